/* raytrace.c - a small ray tracer for `make demo`.
 *
 * Three spheres and a checkered plane, one point light: diffuse and
 * specular (Phong) shading, hard shadows and up to four reflection
 * bounces, 9 samples per pixel on a fixed grid.  Plain C99 and libm only,
 * so the same file builds natively and for wasm32-wasi.
 *
 *   raytrace [WIDTH HEIGHT [OUT.ppm]]     default 640 480, no file
 *
 * Prints a 64x24 ASCII preview and a checksum (FNV-1a over the 8-bit RGB
 * image), which must be the same on every engine: nothing here depends
 * on unspecified floating-point behaviour (no fast-math, no long double). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct vec { double x, y, z; } vec;

static vec v3(double x, double y, double z) { vec v = {x, y, z}; return v; }
static vec add(vec a, vec b) { return v3(a.x + b.x, a.y + b.y, a.z + b.z); }
static vec sub(vec a, vec b) { return v3(a.x - b.x, a.y - b.y, a.z - b.z); }
static vec scale(vec a, double s) { return v3(a.x * s, a.y * s, a.z * s); }
static vec mul(vec a, vec b) { return v3(a.x * b.x, a.y * b.y, a.z * b.z); }
static double dot(vec a, vec b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
static vec norm(vec a) { return scale(a, 1.0 / sqrt(dot(a, a))); }

typedef struct sphere { vec c; double r; vec color; double reflect, shine; } sphere;

static const sphere SPHERES[] = {
    {{-1.2, 1.0, 4.5}, 1.0, {0.9, 0.2, 0.2}, 0.25, 60},
    {{1.1, 0.7, 3.6}, 0.7, {0.2, 0.5, 0.9}, 0.45, 120},
    {{0.2, 0.35, 2.4}, 0.35, {0.9, 0.8, 0.2}, 0.1, 30},
};
enum { NUM_SPHERES = sizeof SPHERES / sizeof SPHERES[0], MAX_DEPTH = 4, SS = 3 };
static const vec LIGHT = {-3.0, 6.0, -1.0};

typedef struct hit { double t; vec p, n, color; double reflect, shine; } hit;

static int sphere_hit(const sphere *s, vec o, vec d, double *t) {
    vec oc = sub(o, s->c);
    double b = dot(oc, d), c = dot(oc, oc) - s->r * s->r, disc = b * b - c;
    if (disc < 0) return 0;
    double q = sqrt(disc), t0 = -b - q, t1 = -b + q;
    *t = t0 > 1e-6 ? t0 : t1;
    return *t > 1e-6;
}

/* The plane y = 0, checkered in 1x1 tiles. */
static int plane_hit(vec o, vec d, hit *h) {
    if (fabs(d.y) < 1e-9) return 0;
    double t = -o.y / d.y;
    if (t <= 1e-6 || t >= h->t) return 0;
    h->t = t;
    h->p = add(o, scale(d, t));
    h->n = v3(0, 1, 0);
    int check = ((int)floor(h->p.x) + (int)floor(h->p.z)) & 1;
    h->color = check ? v3(0.85, 0.85, 0.85) : v3(0.15, 0.15, 0.18);
    h->reflect = 0.15;
    h->shine = 10;
    return 1;
}

static int scene_hit(vec o, vec d, hit *h) {
    h->t = 1e30;
    int any = plane_hit(o, d, h);
    for (int i = 0; i < NUM_SPHERES; i++) {
        double t;
        if (!sphere_hit(&SPHERES[i], o, d, &t) || t >= h->t) continue;
        const sphere *s = &SPHERES[i];
        h->t = t;
        h->p = add(o, scale(d, t));
        h->n = scale(sub(h->p, s->c), 1.0 / s->r);
        h->color = s->color;
        h->reflect = s->reflect;
        h->shine = s->shine;
        any = 1;
    }
    return any;
}

static vec sky(vec d) {
    double k = 0.5 * (d.y + 1.0);
    return add(scale(v3(0.25, 0.25, 0.3), 1 - k), scale(v3(0.02, 0.05, 0.15), k));
}

/* Direct light at a hit: ambient, plus diffuse and specular unless shadowed. */
static vec shade(const hit *h, vec d) {
    vec to_light = sub(LIGHT, h->p);
    double dist = sqrt(dot(to_light, to_light));
    vec l = scale(to_light, 1.0 / dist);
    vec c = scale(h->color, 0.1);
    hit sh;
    vec o = add(h->p, scale(h->n, 1e-4));
    if (scene_hit(o, l, &sh) && sh.t < dist) return c;
    double diff = dot(h->n, l);
    if (diff <= 0) return c;
    c = add(c, scale(h->color, 0.9 * diff));
    vec r = sub(l, scale(h->n, 2 * dot(l, h->n)));
    double spec = dot(r, d);
    if (spec > 0) c = add(c, scale(v3(1, 1, 1), pow(spec, h->shine) * 0.6));
    return c;
}

static vec trace(vec o, vec d, int depth) {
    hit h;
    if (!scene_hit(o, d, &h)) return sky(d);
    vec c = shade(&h, d);
    if (depth >= MAX_DEPTH || h.reflect <= 0) return c;
    vec r = norm(sub(d, scale(h.n, 2 * dot(d, h.n))));
    vec rc = trace(add(h.p, scale(h.n, 1e-4)), r, depth + 1);
    return add(scale(c, 1 - h.reflect), mul(scale(rc, h.reflect), v3(1, 1, 1)));
}

static unsigned char to_byte(double v) {
    if (!(v > 0)) return 0;
    if (v >= 1) return 255;
    return (unsigned char)(sqrt(v) * 255.0 + 0.5); /* gamma 2 */
}

static vec pixel(int x, int y, int w, int h) {
    vec sum = v3(0, 0, 0), eye = v3(0, 1.2, -1.5);
    double aspect = (double)w / h;
    for (int sy = 0; sy < SS; sy++)
        for (int sx = 0; sx < SS; sx++) {
            double u = ((x + (sx + 0.5) / SS) / w * 2 - 1) * aspect;
            double v = 1 - (y + (sy + 0.5) / SS) / h * 2;
            vec d = norm(v3(u * 0.9, v * 0.9 - 0.15, 1.6));
            sum = add(sum, trace(eye, d, 0));
        }
    return scale(sum, 1.0 / (SS * SS));
}

static void preview(const unsigned char *img, int w, int h) {
    static const char RAMP[] = " .:-=+*#%@";
    enum { PW = 64, PH = 24 };
    for (int py = 0; py < PH; py++) {
        char line[PW + 1];
        for (int px = 0; px < PW; px++) {
            const unsigned char *p = img + 3 * ((py * h / PH) * w + px * w / PW);
            int lum = (p[0] * 30 + p[1] * 59 + p[2] * 11) / 100;
            line[px] = RAMP[lum * 9 / 255];
        }
        line[PW] = 0;
        puts(line);
    }
}

int main(int argc, char **argv) {
    int w = argc > 2 ? atoi(argv[1]) : 640, h = argc > 2 ? atoi(argv[2]) : 480;
    if (w <= 0 || h <= 0 || w > 8192 || h > 8192) return fprintf(stderr, "bad size\n"), 2;
    unsigned char *img = malloc((size_t)w * h * 3);
    if (!img) return fprintf(stderr, "out of memory\n"), 1;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            vec c = pixel(x, y, w, h);
            unsigned char *p = img + 3 * ((size_t)y * w + x);
            p[0] = to_byte(c.x), p[1] = to_byte(c.y), p[2] = to_byte(c.z);
        }
    uint32_t sum = 2166136261u;
    for (size_t i = 0; i < (size_t)w * h * 3; i++) sum = (sum ^ img[i]) * 16777619u;
    preview(img, w, h);
    printf("%dx%d checksum %08x\n", w, h, (unsigned)sum);
    if (argc > 3) {
        FILE *f = fopen(argv[3], "wb");
        if (!f) return fprintf(stderr, "cannot open %s\n", argv[3]), 2;
        fprintf(f, "P6\n%d %d\n255\n", w, h);
        fwrite(img, 3, (size_t)w * h, f);
        fclose(f);
    }
    free(img);
    return 0;
}
