/* SIMD speed-up kernel: the same C built for wasm32-wasi with and without
 * -msimd128, both turned into native executables by kiln.  The loops are
 * shapes clang auto-vectorises (int8 saturating blend, int32 dot product,
 * float saxpy and a float sum), so the only difference between the two
 * builds is whether the wasm carries v128 instructions.  Prints one
 * checksum line that must match between the builds. */
#include <stdint.h>
#include <stdio.h>

enum { N = 1 << 14, ROUNDS = 6000 };

static uint8_t a8[N], b8[N], c8[N];
static int32_t a32[N], b32[N];
static float xf[N], yf[N];

static void fill(void) {
    uint32_t s = 12345;
    for (int i = 0; i < N; i++) {
        s = s * 1103515245u + 12345u;
        a8[i] = (uint8_t)(s >> 16);
        b8[i] = (uint8_t)(s >> 24);
        a32[i] = (int32_t)(s >> 8) % 1000;
        b32[i] = (int32_t)(s >> 12) % 1000;
        xf[i] = (float)(s % 1000) / 1000.0f;
        yf[i] = 0.0f;
    }
}

static void blend_sat(void) {
    for (int i = 0; i < N; i++) {
        unsigned sum = (unsigned)a8[i] + b8[i];
        c8[i] = (uint8_t)(sum > 255 ? 255 : sum);
    }
}

static int64_t dot32(void) {
    int32_t acc = 0;
    for (int i = 0; i < N; i++) acc += a32[i] * b32[i];
    return acc;
}

static void saxpy(float alpha) {
    for (int i = 0; i < N; i++) yf[i] = alpha * xf[i] + yf[i] * 0.5f;
}

int main(void) {
    fill();
    int64_t check = 0;
    for (int r = 0; r < ROUNDS; r++) {
        blend_sat();
        a8[r % N] = c8[(r * 7) % N];
        check += dot32();
        a32[r % N] ^= (int32_t)check & 7;
        saxpy(0.25f + (float)(r & 3));
    }
    unsigned bytes = 0;
    for (int i = 0; i < N; i++) bytes = bytes * 31u + c8[i];
    double fsum = 0;
    for (int i = 0; i < N; i++) fsum += yf[i];
    printf("checksum %lld %u %.6e\n", (long long)check, bytes, fsum);
    return 0;
}
