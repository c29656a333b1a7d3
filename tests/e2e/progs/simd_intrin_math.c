// e2e-wasm-flags: -O2 -msimd128
// e2e-wasm-has: i16x8.q15mulr_sat_s i32x4.dot_i16x8_s f32x4.pmin f32x4.pmax f64x2.pmin f32x4.min f32x4.max i16x8.extmul_low_i8x16_s i32x4.extadd_pairwise_i16x8_u i8x16.popcnt i8x16.abs i8x16.avgr_u i8x16.add_sat_s i16x8.sub_sat_u f32x4.ceil f32x4.floor f32x4.trunc f32x4.nearest f64x2.promote_low_f32x4 f32x4.demote_f64x2_zero f64x2.convert_low_i32x4_s f64x2.convert_low_i32x4_u i32x4.trunc_sat_f64x2_s_zero i64x2.mul i64x2.shr_s i8x16.shl f32x4.sqrt f64x2.div
// Arithmetic wasm_simd128.h intrinsics: q15mulr, dot, pmin/pmax, float
// min/max on signed zeros, extmul, extadd_pairwise, popcnt, abs, avgr,
// saturating add/sub, float rounding, promote/demote, int<->f64
// conversion with saturation, i64x2 mul/shift, lane-masked shift
// counts.  The native build runs a scalar model of each instruction.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

typedef struct { uint8_t b[16]; } vec;

static void show(const char *name, vec v) {
    printf("%-14s", name);
    for (int i = 0; i < 16; i++)
        printf("%s%02x", i && i % 4 == 0 ? " " : "", v.b[i]);
    printf("\n");
}

#ifdef __wasm_simd128__
static v128_t ld(vec v) { return wasm_v128_load(v.b); }
static vec st(v128_t x) { vec v; wasm_v128_store(v.b, x); return v; }
/* Each op runs on values the compiler cannot see, so the instruction
   itself is emitted rather than constant-folded. */
#define OP2(name, expr) do { v128_t x = ld(a), y = ld(b); show(name, st(expr)); } while (0)
#define OP1(name, expr) do { v128_t x = ld(a); show(name, st(expr)); } while (0)
#else
#define G(T, v, i) ({ T t_; memcpy(&t_, (v).b + sizeof(T) * (i), sizeof(T)); t_; })
#define P(T, v, i, x) do { T t_ = (T)(x); memcpy((v).b + sizeof(T) * (i), &t_, sizeof(T)); } while (0)
#define LANES(T) (int)(16 / sizeof(T))
static int sat(long x, long lo, long hi) { return x < lo ? lo : x > hi ? hi : x; }
static float fmin0(float x, float y) { return x == y ? (signbit(x) ? x : y) : x < y ? x : y; }
static float fmax0(float x, float y) { return x == y ? (signbit(x) ? y : x) : x > y ? x : y; }
static int32_t trunc_sat(double d) {
    return isnan(d) ? 0 : d <= -2147483648.0 ? INT32_MIN : d >= 2147483647.0 ? INT32_MAX : (int32_t)d;
}
#endif

static void integer_ops(vec a, vec b, int shift) {
#ifdef __wasm_simd128__
    OP2("q15mulr", wasm_i16x8_q15mulr_sat(x, y));
    OP2("dot", wasm_i32x4_dot_i16x8(x, y));
    OP2("extmul_lo_s", wasm_i16x8_extmul_low_i8x16(x, y));
    OP1("extadd_u", wasm_u32x4_extadd_pairwise_u16x8(x));
    OP1("popcnt", wasm_i8x16_popcnt(x));
    OP1("abs8", wasm_i8x16_abs(x));
    OP2("avgr_u", wasm_u8x16_avgr(x, y));
    OP2("add_sat_s8", wasm_i8x16_add_sat(x, y));
    OP2("sub_sat_u16", wasm_u16x8_sub_sat(x, y));
    OP2("mul64", wasm_i64x2_mul(x, y));
    OP1("shr_s64", wasm_i64x2_shr(x, shift));
    OP1("shl8", wasm_i8x16_shl(x, shift));
#else
    vec r;
    for (int i = 0; i < 8; i++)
        P(int16_t, r, i, sat(((long)G(int16_t, a, i) * G(int16_t, b, i) + 0x4000) >> 15, -32768, 32767));
    show("q15mulr", r);
    for (int i = 0; i < 4; i++)
        P(uint32_t, r, i, (uint32_t)(G(int16_t, a, 2 * i) * G(int16_t, b, 2 * i)) +
                              (uint32_t)(G(int16_t, a, 2 * i + 1) * G(int16_t, b, 2 * i + 1)));
    show("dot", r);
    for (int i = 0; i < 8; i++)
        P(int16_t, r, i, G(int8_t, a, i) * G(int8_t, b, i));
    show("extmul_lo_s", r);
    for (int i = 0; i < 4; i++)
        P(uint32_t, r, i, (uint32_t)G(uint16_t, a, 2 * i) + G(uint16_t, a, 2 * i + 1));
    show("extadd_u", r);
    for (int i = 0; i < 16; i++)
        r.b[i] = (uint8_t)__builtin_popcount(a.b[i]);
    show("popcnt", r);
    for (int i = 0; i < 16; i++)
        r.b[i] = (uint8_t)((int8_t)a.b[i] < 0 ? -(int8_t)a.b[i] : a.b[i]);
    show("abs8", r);
    for (int i = 0; i < 16; i++)
        r.b[i] = (uint8_t)((a.b[i] + b.b[i] + 1) >> 1);
    show("avgr_u", r);
    for (int i = 0; i < 16; i++)
        r.b[i] = (uint8_t)sat((int8_t)a.b[i] + (int8_t)b.b[i], -128, 127);
    show("add_sat_s8", r);
    for (int i = 0; i < 8; i++)
        P(uint16_t, r, i, sat((long)G(uint16_t, a, i) - G(uint16_t, b, i), 0, 65535));
    show("sub_sat_u16", r);
    for (int i = 0; i < 2; i++)
        P(uint64_t, r, i, G(uint64_t, a, i) * G(uint64_t, b, i));
    show("mul64", r);
    for (int i = 0; i < 2; i++)
        P(int64_t, r, i, G(int64_t, a, i) >> (shift & 63));
    show("shr_s64", r);
    for (int i = 0; i < 16; i++)
        r.b[i] = (uint8_t)(a.b[i] << (shift & 7));
    show("shl8", r);
#endif
}

static void float_ops(vec a, vec b) {
#ifdef __wasm_simd128__
    OP2("pmin", wasm_f32x4_pmin(x, y));
    OP2("pmax", wasm_f32x4_pmax(x, y));
    OP2("pmin64", wasm_f64x2_pmin(x, y));
    OP2("min", wasm_f32x4_min(x, y));
    OP2("max", wasm_f32x4_max(x, y));
    OP1("ceil", wasm_f32x4_ceil(x));
    OP1("floor", wasm_f32x4_floor(x));
    OP1("trunc", wasm_f32x4_trunc(x));
    OP1("nearest", wasm_f32x4_nearest(x));
    OP1("sqrt", wasm_f32x4_sqrt(wasm_f32x4_abs(x)));
    OP2("div64", wasm_f64x2_div(x, y));
    OP1("promote", wasm_f64x2_promote_low_f32x4(x));
    OP1("demote", wasm_f32x4_demote_f64x2_zero(x));
    OP1("cvt_lo_s", wasm_f64x2_convert_low_i32x4(x));
    OP1("cvt_lo_u", wasm_f64x2_convert_low_u32x4(x));
    OP1("trunc_sat64", wasm_i32x4_trunc_sat_f64x2_zero(x));
#else
    vec r;
    for (int i = 0; i < 4; i++)
        P(float, r, i, G(float, b, i) < G(float, a, i) ? G(float, b, i) : G(float, a, i));
    show("pmin", r);
    for (int i = 0; i < 4; i++)
        P(float, r, i, G(float, a, i) < G(float, b, i) ? G(float, b, i) : G(float, a, i));
    show("pmax", r);
    for (int i = 0; i < 2; i++)
        P(double, r, i, G(double, b, i) < G(double, a, i) ? G(double, b, i) : G(double, a, i));
    show("pmin64", r);
    for (int i = 0; i < 4; i++)
        P(float, r, i, fmin0(G(float, a, i), G(float, b, i)));
    show("min", r);
    for (int i = 0; i < 4; i++)
        P(float, r, i, fmax0(G(float, a, i), G(float, b, i)));
    show("max", r);
    float (*const round[4])(float) = {ceilf, floorf, truncf, rintf};
    static const char *const rname[4] = {"ceil", "floor", "trunc", "nearest"};
    for (int k = 0; k < 4; k++) {
        for (int i = 0; i < 4; i++)
            P(float, r, i, round[k](G(float, a, i)));
        show(rname[k], r);
    }
    for (int i = 0; i < 4; i++)
        P(float, r, i, sqrtf(fabsf(G(float, a, i))));
    show("sqrt", r);
    for (int i = 0; i < 2; i++)
        P(double, r, i, G(double, a, i) / G(double, b, i));
    show("div64", r);
    for (int i = 0; i < 2; i++)
        P(double, r, i, (double)G(float, a, i));
    show("promote", r);
    memset(&r, 0, sizeof r);
    for (int i = 0; i < 2; i++)
        P(float, r, i, (float)G(double, a, i));
    show("demote", r);
    for (int i = 0; i < 2; i++)
        P(double, r, i, (double)G(int32_t, a, i));
    show("cvt_lo_s", r);
    for (int i = 0; i < 2; i++)
        P(double, r, i, (double)G(uint32_t, a, i));
    show("cvt_lo_u", r);
    memset(&r, 0, sizeof r);
    for (int i = 0; i < 2; i++)
        P(int32_t, r, i, trunc_sat(G(double, a, i)));
    show("trunc_sat64", r);
#endif
}

static vec floats(float w, float x, float y, float z) {
    vec v;
    float f[4] = {w, x, y, z};
    memcpy(v.b, f, 16);
    return v;
}

static vec doubles(double x, double y) {
    vec v;
    double d[2] = {x, y};
    memcpy(v.b, d, 16);
    return v;
}

int main(void) {
    uint8_t pool[80];
    uint32_t s = 0x9e3779b9u;
    for (int i = 0; i < 80; i++) {
        s ^= s << 13, s ^= s >> 17, s ^= s << 5;
        pool[i] = (uint8_t)s;
    }
    pool[0] = 0x00, pool[1] = 0x80, pool[16] = 0x00, pool[17] = 0x80; /* q15: -32768 * -32768 */
    pool[2] = 0x80, pool[3] = 0x80; /* abs(-128), add_sat overflow */
    for (int k = 0; k < 4; k++) {
        vec a, b;
        memcpy(a.b, pool + 16 * k, 16);
        memcpy(b.b, pool + 16 * k + 16, 16);
        printf("-- ints %d\n", k);
        integer_ops(a, b, k * 21 + 3);
    }
    const float nan = __builtin_nanf("");
    const vec fa[] = {
        floats(-0.0f, 0.0f, 2.5f, -3.5f), floats(0.5f, -1.5f, 1e10f, -7.25f),
        floats(nan, 1.0f, -INFINITY, 0x1.fffffep-2f),
    };
    const vec fb[] = {
        floats(0.0f, -0.0f, -2.5f, 3.5f), floats(-0.5f, -1.5f, 3.0f, 1e-3f),
        floats(2.0f, nan, 0.0f, -0.0f),
    };
    for (int k = 0; k < 3; k++) {
        printf("-- floats %d\n", k);
        vec a = fa[k], b = fb[k];
        if (k == 2) { /* no NaN into min/max or the rounding ops: NaN sign/payload is nondeterministic */
            printf("pmin/pmax only\n");
#ifdef __wasm_simd128__
            OP2("pmin", wasm_f32x4_pmin(x, y));
            OP2("pmax", wasm_f32x4_pmax(x, y));
#else
            vec r;
            for (int i = 0; i < 4; i++)
                P(float, r, i, G(float, b, i) < G(float, a, i) ? G(float, b, i) : G(float, a, i));
            show("pmin", r);
            for (int i = 0; i < 4; i++)
                P(float, r, i, G(float, a, i) < G(float, b, i) ? G(float, b, i) : G(float, a, i));
            show("pmax", r);
#endif
            continue;
        }
        float_ops(a, b);
    }
    /* As f32 lanes these doubles hold no NaN (2147483646.5 would: its low
       half is a signalling NaN, and a NaN result's bits are not specified). */
    const vec da[] = {doubles(3e9, -2.75), doubles(-3e9, 1e300), doubles(-0.999, 2147483646.0)};
    const vec db[] = {doubles(-7.0, 0.0), doubles(3.0, 1e-300), doubles(-0.0, 1.0)};
    for (int k = 0; k < 3; k++) {
        printf("-- doubles %d\n", k);
        float_ops(da[k], db[k]);
    }
    return 0;
}
