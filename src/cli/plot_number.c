/* plot_number.c -- numbers as `plot --format csv|json` writes them: the
 * first of %.15g, %.16g and %.17g that reads back as the same double, which
 * is what lrengine.plot.shortest (lua/lrengine/plot.lua) writes, so that the
 * streamed output is the one the Lua module would give. printf and strtod
 * cost about 300 ns a number; for 1e-5 <= |v| < 1e15 (rates, momenta,
 * factors) the digits come from exact integer arithmetic instead:
 *   v = m 2^-s (m < 2^53), so v 10^k = m 10^k / 2^s exactly, with m 10^k
 *   < 2^127 for k <= 22: its integer part has the 17 leading digits, and
 *   the remainder rounds them half to even, as glibc's printf does;
 * and a candidate of 15 or 16 digits D 10^x reads back as v when D <= 2^53
 * and |x| <= 22, since (double)D * 10^x (or / 10^-x) is then one correctly
 * rounded operation on exact operands, which is what strtod returns
 * (Clinger, "How to read floating point numbers accurately", PLDI 1990).
 * Anything else goes through snprintf and strtod. */
#include "cli.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Lua's algorithm as it is written there, for what the fast path leaves. */
static size_t slow(char *buf, double v)
{
    if (v != v) return (size_t)snprintf(buf, 32, "nan");
    if (isinf(v)) return (size_t)snprintf(buf, 32, v > 0 ? "inf" : "-inf");
    for (int p = 15; p <= 16; p++) {
        int len = snprintf(buf, 32, "%.*g", p, v);
        if (strtod(buf, NULL) == v) return (size_t)len;
    }
    return (size_t)snprintf(buf, 32, "%.17g", v);
}

#if defined(__SIZEOF_INT128__)
__extension__ typedef unsigned __int128 u128; /* (a GCC and clang extension) */

static const double exact_pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                       1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static u128 pow10_128(int k)
{
    static const uint64_t lo[20] = {1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u, 100000000u,
                                    1000000000u, 10000000000u, 100000000000u, 1000000000000u, 10000000000000u,
                                    100000000000000u, 1000000000000000u, 10000000000000000u,
                                    100000000000000000u, 1000000000000000000u, 10000000000000000000u};
    return k < 20 ? lo[k] : (u128)lo[19] * lo[k - 19];
}

/* q + the rounding of (r 2^s + frac) / (div 2^s), half to even. */
static uint64_t round_digits(uint64_t q, uint64_t div, u128 frac, int s)
{
    uint64_t qd = q / div, r = q % div;
    u128 rem = ((u128)r << s) + frac, half = (u128)div << (s - 1);
    return qd + (rem > half || (rem == half && (qd & 1)));
}

/* Whether the candidate C (scaled as q: C 2^-s 10^-k is its value) reads
 * back as m 2^-s, the double between the midpoints (m -+ 1/2) 2^-s, a
 * midpoint itself rounding to the even m; exact in 128 bits for the range
 * above (2 C 2^s < 2^127, (2m + 1) 10^k < 2^128). At the bottom of a binade
 * (m = 2^52) the lower midpoint is m - 1/4: -1, ask Clinger or strtod. */
static int reads_back(uint64_t c, uint64_t m, int s, int k)
{
    if (m == UINT64_C(1) << 52) return -1;
    u128 c2 = (u128)c << (s + 1), p10 = pow10_128(k), lo = (u128)(2 * m - 1) * p10, hi = (u128)(2 * m + 1) * p10;
    return (c2 > lo && c2 < hi) || ((c2 == lo || c2 == hi) && !(m & 1));
}

/* The same for D 10^x (x in [-22, 22], D <= 2^53), else -1: ask strtod. */
static int reads_back_clinger(uint64_t d, int x, double a)
{
    if (d > (UINT64_C(1) << 53) || x < -22 || x > 22) return -1;
    double r = x >= 0 ? (double)d * exact_pow10[x] : (double)d / exact_pow10[-x];
    return r == a;
}

/* The %.{prec}g text of the p-digit D times 10^(e - p + 1), negative or not. */
static size_t text(char *buf, int neg, uint64_t d, int p, int e, int prec)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                "4041424344454647484950515253545556575859606162636465666768697071727374757677787980"
                                "81828384858687888990919293949596979899";
    char dig[24];
    int j = p - 1;
    for (; j >= 1; j -= 2, d /= 100) {
        const char *two = pairs + 2 * (d % 100);
        dig[j - 1] = two[0], dig[j] = two[1];
    }
    if (j == 0) dig[0] = (char)('0' + d);
    int nd = p;
    while (nd > 1 && dig[nd - 1] == '0') nd--; /* %g drops trailing zeros */
    char *o = buf;
    if (neg) *o++ = '-';
    if (e < -4 || e >= prec) {
        *o++ = dig[0];
        if (nd > 1) *o++ = '.';
        for (int i = 1; i < nd; i++) *o++ = dig[i];
        int x = e < 0 ? -e : e; /* e%+03d */
        *o++ = 'e', *o++ = e < 0 ? '-' : '+';
        if (x >= 100) *o++ = (char)('0' + x / 100);
        *o++ = (char)('0' + x / 10 % 10), *o++ = (char)('0' + x % 10);
    } else if (e >= 0) {
        for (int i = 0; i <= e; i++) *o++ = i < nd ? dig[i] : '0';
        if (nd > e + 1) *o++ = '.';
        for (int i = e + 1; i < nd; i++) *o++ = dig[i];
    } else {
        *o++ = '0', *o++ = '.';
        for (int i = 0; i < -e - 1; i++) *o++ = '0';
        for (int i = 0; i < nd; i++) *o++ = dig[i];
    }
    *o = 0;
    return (size_t)(o - buf);
}

/* What the candidates share: v = m 2^-s, its 17 leading digits q and the
 * bits below them (frac, s bits) at the scale 10^k, its decimal exponent e. */
typedef struct digits17 {
    uint64_t m, q;
    u128 frac;
    int s, k, e, neg;
    double v;
} digits17;

/* The p-digit rounding (p = 15, 16, 17) in *d and its exponent; then
 * whether it reads back (1, 0; -1: cannot tell). */
static int candidate(const digits17 *x, int p, uint64_t *d, int *ep)
{
    uint64_t div = p == 15 ? 100 : p == 16 ? 10 : 1, tenp = 100000000000000000u / div; /* 10^p */
    *ep = x->e;
    if (p < 17) {
        *d = round_digits(x->q, div, x->frac, x->s);
    } else {
        u128 half = (u128)1 << (x->s - 1);
        *d = x->q + (x->frac > half || (x->frac == half && (x->q & 1)));
    }
    if (*d == tenp) { /* rounded up to 10^p: 10^(p-1) at the next exponent */
        *d /= 10;
        ++*ep;
    }
    if (p == 17) return 1; /* %.17g always reads back */
    int ok = reads_back(*ep == x->e ? *d * div : 100000000000000000u, x->m, x->s, x->k);
    if (ok < 0) ok = reads_back_clinger(*d, *ep - p + 1, fabs(x->v));
    return ok;
}

/* The p-digit candidate's text if it reads back (asking strtod when the
 * arithmetic above cannot tell), else 0. */
static size_t try_digits(const digits17 *x, int p, char *buf)
{
    uint64_t d;
    int ep, ok = candidate(x, p, &d, &ep);
    if (!ok) return 0;
    size_t len = text(buf, x->neg, d, p, ep, p);
    return ok > 0 || strtod(buf, NULL) == x->v ? len : 0;
}

size_t cli_shortest(char *buf, double v)
{
    if (v == 0) return (size_t)snprintf(buf, 32, signbit(v) ? "-0" : "0");
    double a = fabs(v);
    if (!(a >= 1e-5 && a < 1e15)) return slow(buf, v);
    digits17 x = {0};
    x.v = v, x.neg = v < 0;
    uint64_t bits;
    memcpy(&bits, &a, sizeof bits); /* a normal double: m = 2^52 + fraction bits, a = m 2^(exponent - 1075) */
    x.m = (bits & ((UINT64_C(1) << 52) - 1)) | UINT64_C(1) << 52;
    x.s = 1075 - (int)(bits >> 52); /* 4..70 in this range */
    int e2 = 53 - x.s;              /* a in [2^(e2-1), 2^e2) */
    x.e = (e2 - 1) * 78913 >> 18;   /* floor((e2 - 1) log10 2) for |e2| < 2^11: 10^e <= a, or one below */
    x.k = 16 - x.e;
    u128 P = 0;
    for (int tries = 0; tries < 3 && !x.q; tries++) {
        P = (u128)x.m * pow10_128(x.k);
        u128 q128 = P >> x.s;
        if (q128 < (u128)10000000000000000u) x.k++, x.e--;
        else if (q128 >= (u128)100000000000000000u) x.k--, x.e++;
        else x.q = (uint64_t)q128;
    }
    if (!x.q || x.k > 22) return slow(buf, v);
    x.frac = P & (((u128)1 << x.s) - 1);
    /* The interval of the decimals that read back as v is symmetric around
     * it but at the bottom of a binade: there, if the 16-digit rounding (the
     * nearest 16-digit decimal) is outside, so is every 15-digit decimal, and
     * 17 digits are needed; so 16 is tried first. */
    size_t len;
    if (x.m != UINT64_C(1) << 52) {
        if (!(len = try_digits(&x, 16, buf))) return try_digits(&x, 17, buf);
        char b15[32];
        size_t l15 = try_digits(&x, 15, b15);
        if (l15) memcpy(buf, b15, l15 + 1), len = l15;
        return len;
    }
    for (int p = 15; p <= 17; p++)
        if ((len = try_digits(&x, p, buf))) return len;
    return slow(buf, v);
}
#else
size_t cli_shortest(char *buf, double v) { return slow(buf, v); }
#endif
