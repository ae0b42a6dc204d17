/* test_plot_number.c -- the numbers of `plot --format csv|json`
 * (src/cli/plot_number.c) against the definition they follow,
 * lrengine.plot.shortest: the first of %.15g and %.16g whose text strtod
 * reads back as the value, else %.17g (printf and strtod are the
 * reference). Values: random bit patterns, random magnitudes around the
 * fast path's range, a cosine's curve, and decimals of few digits and their
 * neighbours (the ties and the carries into one more digit). */
#include "test.h"

#include "../../src/cli/plot_number.c"

#include <stdint.h>

static size_t reference(char *buf, double v)
{
    for (int p = 15; p <= 16; p++) {
        int len = snprintf(buf, 32, "%.*g", p, v);
        if (strtod(buf, NULL) == v) return (size_t)len;
    }
    return (size_t)snprintf(buf, 32, "%.17g", v);
}

static uint64_t state = 88172645463325252u;
static uint64_t next(void)
{
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    return state;
}

static long mismatches;
static void check(double v)
{
    char got[40], want[40];
    size_t lg = cli_shortest(got, v), lw = reference(want, v);
    if (lg != lw || strcmp(got, want)) {
        if (mismatches++ < 10) fprintf(stderr, "  %.17g: '%s', expected '%s'\n", v, got, want);
    }
}

static void random_bits(void)
{
    for (int i = 0; i < 300000; i++) {
        double v;
        uint64_t b = next();
        memcpy(&v, &b, sizeof v);
        if (isfinite(v)) check(v);
    }
    ASSERT_EQ(mismatches, 0);
}

static void random_magnitudes(void)
{
    for (int i = 0; i < 300000; i++) {
        double v = ldexp((double)(next() >> 11), -(int)(next() % 110));
        check(v), check(-v);
    }
    ASSERT_EQ(mismatches, 0);
}

static void a_cosine(void)
{
    for (int i = 0; i < 200000; i++) check(0.05 * (1 + cos(i * 3.14159265358979 / 2e5)));
    ASSERT_EQ(mismatches, 0);
}

static void short_decimals_and_neighbours(void)
{
    for (int e = -8; e <= 16; e++)
        for (int d = 1; d < 3000; d++) {
            double v = d * pow(10, e);
            check(v), check(nextafter(v, 0)), check(nextafter(v, INFINITY));
        }
    for (int i = 0; i < 100000; i++) {
        double v = (double)(next() % 100000000000000000u) * pow(10, (int)(next() % 30) - 25);
        check(v), check(nextafter(v, 0)), check(nextafter(v, INFINITY));
    }
    const double edges[] = {0.1, 0.1 + 0.2, 1e-5, 1e15, 9.999999999999999e14, 0.0, -0.0, 1, 0.5, 0.3, 4e-7,
                            1.0 / 3, 2.0 / 3, 0x1p52, 0x1p-17, 123456789012345.6};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) check(edges[i]), check(nextafter(edges[i], 1));
    ASSERT_EQ(mismatches, 0);
}

int main(void)
{
    static const test_case tests[] = {
        {"plot numbers: random bit patterns", random_bits},
        {"plot numbers: random magnitudes", random_magnitudes},
        {"plot numbers: a cosine", a_cosine},
        {"plot numbers: short decimals and their neighbours", short_decimals_and_neighbours},
        {NULL, NULL}};
    return run_tests(tests);
}
