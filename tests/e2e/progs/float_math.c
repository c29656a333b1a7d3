// libm and floating point: results printed with 6 decimals, which every
// correctly rounded or faithfully rounded libm agrees on.
#include <math.h>
#include <stdio.h>

int main(void) {
    double xs[] = {0.5, 1.0, 2.0, 3.14159265358979, 10.0, 100.25};
    for (int i = 0; i < 6; i++) {
        double x = xs[i];
        printf("x=%.6f sqrt=%.6f exp=%.6f log=%.6f sin=%.6f cos=%.6f atan=%.6f pow=%.6f\n", x,
               sqrt(x), exp(x / 10), log(x), sin(x), cos(x), atan(x), pow(x, 1.5));
    }
    printf("floor %.1f ceil %.1f round %.1f trunc %.1f fmod %.3f\n", floor(-2.5), ceil(-2.5),
           round(-2.5), trunc(-2.7), fmod(7.5, 2.0));
    printf("fabs %.2f copysign %.2f hypot %.6f\n", fabs(-3.25), copysign(2.0, -0.0),
           hypot(3.0, 4.0));
    printf("isnan %d isinf %d signbit %d\n", isnan(NAN) != 0, isinf(-INFINITY) != 0,
           signbit(-0.0) != 0);
    float f = 0.1f;
    double d = 0;
    for (int i = 0; i < 1000; i++)
        d += f;
    printf("float accumulate %.6f\n", d);
    printf("conversions %d %u %lld %.1f\n", (int)-3.99, (unsigned)3.99, (long long)1e15,
           (double)(float)16777217);
    return 0;
}
