// e2e-wasm-flags: -O2 -msimd128
// e2e-wasm-has: i8x16.shuffle i8x16.swizzle i8x16.narrow_i16x8_s i8x16.narrow_i16x8_u i16x8.narrow_i32x4_s i16x8.extend_low_i8x16_s i16x8.extend_high_i8x16_u i32x4.extend_low_i16x8_u i64x2.extend_high_i32x4_s i8x16.bitmask i16x8.bitmask i32x4.bitmask i64x2.bitmask v128.any_true i8x16.all_true i32x4.all_true i8x16.extract_lane_u i16x8.extract_lane_u i8x16.replace_lane i16x8.replace_lane i32x4.replace_lane f32x4.replace_lane i32x4.splat v128.load8_splat v128.store32_lane v128.store64_lane
// Lane-moving wasm_simd128.h intrinsics: shuffles, swizzle, narrowing and
// widening, bitmasks, any/all_true, lane extract/replace, splat, zero and
// lane loads/stores.  The native build runs a scalar model of each
// instruction, so both builds must print the same bytes.  clang turns a
// few intrinsics into equivalent sequences (load32_splat into a scalar
// load + i32x4.splat, load16_lane into replace_lane), so the e2e-wasm-has
// list names what clang-14 really emits.
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

typedef struct { uint8_t b[16]; } vec;

static uint8_t mem[64];

static void show(const char *name, vec v) {
    printf("%-16s", name);
    for (int i = 0; i < 16; i++)
        printf("%s%02x", i && i % 4 == 0 ? " " : "", v.b[i]);
    printf("\n");
}

#ifdef __wasm_simd128__
static v128_t ld(vec v) { return wasm_v128_load(v.b); }
static vec st(v128_t x) { vec v; wasm_v128_store(v.b, x); return v; }
#endif

static int16_t i16(vec v, int i) { int16_t x; memcpy(&x, v.b + 2 * i, 2); return x; }
static int32_t i32(vec v, int i) { int32_t x; memcpy(&x, v.b + 4 * i, 4); return x; }
static void put16(vec *v, int i, int x) { int16_t y = (int16_t)x; memcpy(v->b + 2 * i, &y, 2); }
static void put32(vec *v, int i, int32_t x) { memcpy(v->b + 4 * i, &x, 4); }
static void put64(vec *v, int i, int64_t x) { memcpy(v->b + 8 * i, &x, 8); }
static int sat(int x, int lo, int hi) { return x < lo ? lo : x > hi ? hi : x; }

static void shuffles(vec a, vec b) {
    vec r;
#ifdef __wasm_simd128__
    r = st(wasm_i8x16_shuffle(ld(a), ld(b), 0, 17, 2, 19, 31, 30, 7, 7, 16, 1, 15, 14, 3, 24, 9, 8));
#else
    static const int idx[16] = {0, 17, 2, 19, 31, 30, 7, 7, 16, 1, 15, 14, 3, 24, 9, 8};
    for (int i = 0; i < 16; i++)
        r.b[i] = idx[i] < 16 ? a.b[idx[i]] : b.b[idx[i] - 16];
#endif
    show("shuffle", r);
    vec s = b; /* swizzle indices: some >= 16 give 0 */
    for (int i = 0; i < 16; i++)
        s.b[i] = (uint8_t)(b.b[i] % 24);
#ifdef __wasm_simd128__
    r = st(wasm_i8x16_swizzle(ld(a), ld(s)));
#else
    for (int i = 0; i < 16; i++)
        r.b[i] = s.b[i] < 16 ? a.b[s.b[i]] : 0;
#endif
    show("swizzle", r);
}

static void narrows(vec a, vec b) {
    vec r1, r2, r3;
#ifdef __wasm_simd128__
    r1 = st(wasm_i8x16_narrow_i16x8(ld(a), ld(b)));
    r2 = st(wasm_u8x16_narrow_i16x8(ld(a), ld(b)));
    r3 = st(wasm_i16x8_narrow_i32x4(ld(a), ld(b)));
#else
    for (int i = 0; i < 8; i++) {
        r1.b[i] = (uint8_t)sat(i16(a, i), -128, 127);
        r1.b[i + 8] = (uint8_t)sat(i16(b, i), -128, 127);
        r2.b[i] = (uint8_t)sat(i16(a, i), 0, 255);
        r2.b[i + 8] = (uint8_t)sat(i16(b, i), 0, 255);
    }
    for (int i = 0; i < 4; i++) {
        put16(&r3, i, i32(a, i) < -32768 ? -32768 : i32(a, i) > 32767 ? 32767 : i32(a, i));
        put16(&r3, i + 4, i32(b, i) < -32768 ? -32768 : i32(b, i) > 32767 ? 32767 : i32(b, i));
    }
#endif
    show("narrow8_s", r1);
    show("narrow8_u", r2);
    show("narrow16_s", r3);
}

static void extends(vec a) {
    vec r1, r2, r3, r4;
#ifdef __wasm_simd128__
    r1 = st(wasm_i16x8_extend_low_i8x16(ld(a)));
    r2 = st(wasm_u16x8_extend_high_u8x16(ld(a)));
    r3 = st(wasm_u32x4_extend_low_u16x8(ld(a)));
    r4 = st(wasm_i64x2_extend_high_i32x4(ld(a)));
#else
    for (int i = 0; i < 8; i++) {
        put16(&r1, i, (int8_t)a.b[i]);
        put16(&r2, i, a.b[i + 8]);
    }
    for (int i = 0; i < 4; i++)
        put32(&r3, i, (uint16_t)i16(a, i));
    for (int i = 0; i < 2; i++)
        put64(&r4, i, i32(a, i + 2));
#endif
    show("ext16_lo_s", r1);
    show("ext16_hi_u", r2);
    show("ext32_lo_u", r3);
    show("ext64_hi_s", r4);
}

static void masks(vec a) {
    int m8, m16, m32, m64, any, all8, all32;
#ifdef __wasm_simd128__
    v128_t v = ld(a);
    m8 = wasm_i8x16_bitmask(v);
    m16 = wasm_i16x8_bitmask(v);
    m32 = wasm_i32x4_bitmask(v);
    m64 = wasm_i64x2_bitmask(v);
    any = wasm_v128_any_true(v);
    all8 = wasm_i8x16_all_true(v);
    all32 = wasm_i32x4_all_true(v);
#else
    m8 = m16 = m32 = m64 = any = 0;
    all8 = all32 = 1;
    for (int i = 0; i < 16; i++) {
        m8 |= (a.b[i] >> 7) << i;
        any |= a.b[i] != 0;
        all8 &= a.b[i] != 0;
    }
    for (int i = 0; i < 8; i++)
        m16 |= (a.b[2 * i + 1] >> 7) << i;
    for (int i = 0; i < 4; i++) {
        m32 |= (a.b[4 * i + 3] >> 7) << i;
        all32 &= i32(a, i) != 0;
    }
    for (int i = 0; i < 2; i++)
        m64 |= (a.b[8 * i + 7] >> 7) << i;
#endif
    printf("masks           %04x %02x %x %x any=%d all8=%d all32=%d\n", m8, m16, m32, m64, any, all8,
           all32);
}

static void lanes(vec a, int k) {
    int e8, e16;
    long long e64;
    vec r1, r2;
    float f = 1.5f * (float)k;
#ifdef __wasm_simd128__
    v128_t v = ld(a);
    e8 = wasm_i8x16_extract_lane(v, 13);
    e16 = wasm_u16x8_extract_lane(v, 5);
    e64 = wasm_i64x2_extract_lane(v, 1);
    r1 = st(wasm_f32x4_replace_lane(v, 2, f));
    r2 = st(wasm_i8x16_replace_lane(v, 0, (int8_t)(k * 37)));
#else
    e8 = (int8_t)a.b[13];
    e16 = (uint16_t)i16(a, 5);
    memcpy(&e64, a.b + 8, 8);
    r1 = a;
    memcpy(r1.b + 8, &f, 4);
    r2 = a;
    r2.b[0] = (uint8_t)(k * 37);
#endif
    printf("extract         %d %d %lld\n", e8, e16, e64);
    show("replace_f32", r1);
    show("replace_i8", r2);
}

static void loads(int off) {
    vec r1, r2, r3, r4 = {{0}};
#ifdef __wasm_simd128__
    r1 = st(wasm_v128_load8_splat(mem + off));
    r2 = st(wasm_v128_load32_splat(mem + off + 1));
    r3 = st(wasm_v128_load32_zero(mem + off + 3));
    r4 = st(wasm_v128_load16_lane(mem + off + 5, ld(r3), 6));
    wasm_v128_store32_lane(mem + 48 + off % 8, ld(r4), 3);
#else
    memset(&r3, 0, sizeof r3);
    for (int i = 0; i < 16; i++)
        r1.b[i] = mem[off];
    for (int i = 0; i < 4; i++)
        memcpy(r2.b + 4 * i, mem + off + 1, 4);
    memcpy(r3.b, mem + off + 3, 4);
    r4 = r3;
    memcpy(r4.b + 12, mem + off + 5, 2);
    memcpy(mem + 48 + off % 8, r4.b + 12, 4);
#endif
    show("load8_splat", r1);
    show("load32_splat", r2);
    show("load32_zero", r3);
    show("load16_lane", r4);
}

int main(void) {
    uint32_t x = 0x2545f491u;
    for (int i = 0; i < 64; i++) {
        x = x * 69069u + 1u;
        mem[i] = (uint8_t)(x >> 24);
    }
    for (int k = 0; k < 4; k++) {
        vec a, b;
        memcpy(a.b, mem + k * 8, 16);
        memcpy(b.b, mem + 40 - k * 8, 16);
        if (k == 2)
            memset(a.b, 0, 16); /* any_true false */
        if (k == 3)
            for (int i = 0; i < 16; i++)
                a.b[i] |= 1; /* all_true true */
        printf("-- round %d\n", k);
        shuffles(a, b);
        narrows(a, b);
        extends(a);
        masks(a);
        lanes(b, k);
        loads(k * 9);
    }
    for (int i = 48; i < 64; i++)
        printf("%02x", mem[i]);
    printf("\n");
    return 0;
}
