/* test_core_peer_kinds.c -- the kinds added for the peers' schedules (issue
 * 13): shift, swa, inverse_sqrt, logistic, cycles, cyclic_momentum, and the
 * new warm-up shapes, wsd's num_cycles, cosine's exponent and random's power.
 * Expected values are worked out by hand from each kind's formula (the
 * comment at each says how); the peers' own curves are checked through the
 * Lua mappings in spec/porting_spec.lua. */
#include "lrengine.h"
#include "test.h"

#include <stdint.h>

#define P(name, v) {name, v, NULL, 0, NULL, NULL}
#define S(name, str) {name, 0, NULL, 0, str, NULL}
#define N(a) (sizeof(a) / sizeof((a)[0]))

static lre_schedule *make(const char *kind, const lre_param *p, size_t n, lre_schedule *child)
{
    lre_schedule *s = NULL;
    lre_error err;
    if (lre_schedule_new(&s, kind, p, n, child ? &child : NULL, child ? 1 : 0, &err)) {
        fprintf(stderr, "  %s: %s\n", kind, err.msg);
        return NULL;
    }
    return s;
}

static double at(lre_schedule *s, int64_t t)
{
    double v = NAN;
    return lre_schedule_eval(s, t, &v, NULL) == LRE_OK ? v : NAN;
}

static lre_schedule *constant(double lr)
{
    lre_param p[] = {P("lr", lr)};
    return make("constant", p, 1, NULL);
}

static void shift_moves_its_inner_schedule_and_stops_at_step_0(void)
{
    lre_param lin[] = {P("lr", 1), P("start_factor", 0), P("end_factor", 1), P("total_iters", 10)};
    lre_schedule *l = make("linear", lin, N(lin), NULL); /* t / 10 up to 10 */
    lre_param later[] = {P("offset", 3)}, earlier[] = {P("offset", -3)};
    lre_schedule *a = make("shift", later, 1, l), *b = make("shift", earlier, 1, l);
    ASSERT(l && a && b);
    ASSERT(at(a, 0) == 0.3 && at(a, 7) == 1 && at(a, 2) == 0.5);
    ASSERT(at(b, 0) == 0 && at(b, 3) == 0 && at(b, 4) == 0.1 && at(b, 13) == 1);
    ASSERT(at(a, INT64_MAX) == 1); /* saturates rather than overflow */
    lre_param missing[] = {P("lr", 1)};
    lre_error err;
    lre_schedule *s = NULL;
    ASSERT_EQ(lre_schedule_new(&s, "shift", missing, 0, &l, 1, &err), LRE_EINVAL); /* offset is required */
    lre_schedule_release(a);
    lre_schedule_release(b);
    lre_schedule_release(l);
}

static void swa_anneals_from_the_rate_at_start(void)
{
    /* lr 0.2 to 0.05 over 4 steps: alpha = (1 - cos(pi k / 4)) / 2 at k = t - start */
    lre_param p[] = {P("lr", 0.2), P("swa_lr", 0.05), P("anneal_steps", 4)};
    lre_schedule *s = make("swa", p, N(p), NULL);
    ASSERT(s);
    ASSERT(at(s, 0) == 0.2);
    ASSERT_NEAR(at(s, 2), 0.125, 1e-15); /* alpha 1/2 */
    ASSERT(at(s, 4) == 0.05 && at(s, 100) == 0.05);
    lre_schedule_release(s);
    /* wrapping a constant 1 from start 5, linearly over 2 steps: 1, 1, ..., 1 at 5, 0.55 at 6, 0.1 */
    lre_schedule *one = constant(1);
    lre_param q[] = {P("swa_lr", 0.1), P("start", 5), P("anneal_steps", 2), S("anneal", "linear")};
    lre_schedule *w = make("swa", q, N(q), one);
    ASSERT(w);
    ASSERT(at(w, 4) == 1 && at(w, 5) == 1 && at(w, 7) == 0.1);
    ASSERT_NEAR(at(w, 6), 0.55, 1e-15);
    /* anneal_steps 0: swa_lr from start on (PyTorch's step = max(1, step)) */
    lre_param z[] = {P("lr", 0.2), P("swa_lr", 0.05), P("anneal_steps", 0)};
    lre_schedule *now = make("swa", z, N(z), NULL);
    ASSERT(now && at(now, 0) == 0.05);
    lre_schedule *bad = NULL;
    lre_param both[] = {P("lr", 0.2), P("swa_lr", 0.05)};
    ASSERT_EQ(lre_schedule_new(&bad, "swa", both, 2, &one, 1, NULL), LRE_EINVAL); /* lr or a schedule, not both */
    lre_schedule_release(now);
    lre_schedule_release(w);
    lre_schedule_release(one);
}

static void inverse_sqrt_and_logistic(void)
{
    /* lr / sqrt((t + 4) / 4): 1 at 0, 1/2 at 12 */
    lre_param i[] = {P("lr", 1), P("timescale", 4)};
    lre_schedule *s = make("inverse_sqrt", i, N(i), NULL);
    ASSERT(s && at(s, 0) == 1 && at(s, 12) == 0.5);
    lre_schedule_release(s);
    /* lr / (1 + exp(rate (t - midpoint))): lr / 2 at the midpoint, lr / (1 + e) one step later at rate 1 */
    lre_param l[] = {P("lr", 0.4), P("rate", 1), P("midpoint", 5)};
    s = make("logistic", l, N(l), NULL);
    ASSERT(s && at(s, 5) == 0.2);
    ASSERT_NEAR(at(s, 6), 0.4 / (1 + exp(1)), 1e-16);
    lre_schedule_release(s);
}

static void cycles_restart_decay_and_stop(void)
{
    /* t_0 4, t_mult 2 (cycles [0,4), [4,12), [12,28)), peaks 1, 0.5, 0.25, two cycles then eta_min 0.1 */
    lre_param c[] = {P("lr", 1), P("t_0", 4), P("t_mult", 2), P("eta_min", 0.1), P("cycle_decay", 0.5),
                     P("cycle_limit", 2)};
    lre_schedule *s = make("cycles", c, N(c), NULL);
    ASSERT(s);
    ASSERT(at(s, 0) == 1 && at(s, 4) == 0.5);
    ASSERT_NEAR(at(s, 2), 0.1 + 0.9 * 0.5, 1e-15);      /* half-way down the first cosine */
    ASSERT_NEAR(at(s, 8), 0.1 + 0.4 * 0.5, 1e-15);      /* half-way down the second */
    ASSERT(at(s, 12) == 0.1 && at(s, 1000) == 0.1);     /* past cycle_limit */
    lre_schedule_release(s);
    /* poly with k_decay 2 and power 1: 1 - (t/4)^2 in the first cycle */
    lre_param p[] = {P("lr", 1), P("t_0", 4), S("shape", "poly"), P("k_decay", 2), P("power", 1)};
    s = make("cycles", p, N(p), NULL);
    ASSERT(s && at(s, 2) == 0.75 && at(s, 4) == 1);
    lre_schedule_release(s);
    /* tanh with lb = -ub: 1/2 of lr at mid-cycle */
    lre_param h[] = {P("lr", 1), P("t_0", 4), S("shape", "tanh"), P("lb", -3), P("ub", 3)};
    s = make("cycles", h, N(h), NULL);
    ASSERT(s && at(s, 2) == 0.5);
    lre_schedule_release(s);
    /* end_inclusive: step 4 ends the first cycle (the cosine at its floor) */
    lre_param e[] = {P("lr", 1), P("t_0", 4), P("end_inclusive", 1)};
    s = make("cycles", e, N(e), NULL);
    ASSERT(s && at(s, 4) == 0 && at(s, 0) == 1);
    ASSERT_NEAR(at(s, 6), 0.5, 1e-15); /* the second cycle (4, 8] at 2 of 4 */
    lre_schedule_release(s);
}

static void cyclic_momentum_mirrors_the_rate(void)
{
    /* up 2, down 2: the rate base, mid, max, mid; the momentum max, mid, base, mid */
    lre_param m[] = {P("base_momentum", 0.8), P("max_momentum", 0.9), P("step_size_up", 2)};
    lre_schedule *s = make("cyclic_momentum", m, N(m), NULL);
    ASSERT(s && at(s, 0) == 0.9 && at(s, 2) == 0.8 && at(s, 4) == 0.9);
    ASSERT_NEAR(at(s, 1), 0.85, 1e-15);
    lre_schedule_release(s);
}

static void warmup_shapes(void)
{
    lre_schedule *one = constant(1);
    /* steps 4, start_factor 0.2: at t = 2 (p = 1/2) */
    struct { const char *mode; double want; } shapes[] = {
        {"cosine", 0.2 + 0.8 * 0.5},                 /* (1 - cos(pi/2)) / 2 = 1/2 */
        {"sqrt", 0.2 + 0.8 * (1 - sqrt(0.5))},       /* 1 - sqrt(1 - 1/2) */
        {"power", 0.2 + 0.8 * 0.125},                /* (1/2)^3 */
        {"log", 0.2 + 0.8 * log(3) / log(4)},        /* log(t + 1) / log(steps) */
    };
    for (size_t i = 0; i < N(shapes); i++) {
        lre_param w[] = {P("steps", 4), P("start_factor", 0.2), S("mode", shapes[i].mode), P("power", 3)};
        lre_schedule *s = make("warmup", w, N(w), one);
        ASSERT(s);
        ASSERT_NEAR(at(s, 2), shapes[i].want, 1e-15);
        ASSERT(at(s, 4) == 1);
        lre_schedule_release(s);
    }
    lre_param log1[] = {P("steps", 1), S("mode", "log")};
    lre_schedule *bad = NULL;
    ASSERT_EQ(lre_schedule_new(&bad, "warmup", log1, 2, &one, 1, NULL), LRE_EINVAL); /* log(1) divides */
    lre_schedule_release(one);
}

static void wsd_cycles_cosine_exponent_random_power(void)
{
    /* wsd cosine with num_cycles 0.25: at the decay's end cos(pi/2) = 0 gives half-way, then min_lr */
    lre_param w[] = {P("lr", 1), P("decay_steps", 4), S("decay", "cosine"), P("min_lr", 0.2), P("num_cycles", 0.25)};
    lre_schedule *s = make("wsd", w, N(w), NULL);
    ASSERT(s);
    ASSERT_NEAR(at(s, 2), 0.2 + 0.8 * 0.5 * (1 + cos(3.14159265358979323846 / 4)), 1e-15);
    ASSERT(at(s, 4) == 0.2);
    lre_schedule_release(s);
    /* cosine exponent 2: at t_max / 2 the factor (1/2)^2 */
    lre_param c[] = {P("lr", 1), P("t_max", 4), P("exponent", 2)};
    s = make("cosine", c, N(c), NULL);
    ASSERT(s);
    ASSERT_NEAR(at(s, 2), 0.25, 1e-15);
    lre_schedule_release(s);
    /* random with power 2: the square of the power-1 draw (the same stream) */
    lre_param r1[] = {P("min_lr", 0), P("max_lr", 1), P("seed", 7)};
    lre_param r2[] = {P("min_lr", 0), P("max_lr", 1), P("seed", 7), P("power", 2)};
    lre_schedule *a = make("random", r1, N(r1), NULL), *b = make("random", r2, N(r2), NULL);
    ASSERT(a && b);
    for (int t = 0; t < 20; t++) ASSERT_NEAR(at(b, t), at(a, t) * at(a, t), 1e-16);
    lre_schedule_release(a);
    lre_schedule_release(b);
}

/* cosine_restarts (and cycles) find the restart by a closed form: the same
 * values as walking the periods one by one for whole t_0 and t_mult, and an
 * answer at once where a walk would take billions of periods. */
static void restarts_are_found_without_walking_the_periods(void)
{
    for (double m = 2; m <= 3; m++) {
        lre_param p[] = {P("lr", 1), P("t_0", 3), P("t_mult", m), P("eta_min", 0.1)};
        lre_schedule *s = make("cosine_restarts", p, N(p), NULL);
        ASSERT(s);
        for (int step = 0; step < 2000; step++) {
            double t = step, period = 3;
            while (t >= period) t -= period, period *= m; /* the walk, as PyTorch's docstring states it */
            ASSERT(at(s, step) == 0.1 + (1 - 0.1) * (1 + cos(3.14159265358979323846 * t / period)) / 2);
        }
        lre_schedule_release(s);
    }
    lre_param h[] = {P("lr", 1), P("t_0", 1e-300), P("t_mult", 1.0000000000000002)};
    lre_schedule *s = make("cosine_restarts", h, N(h), NULL);
    ASSERT(s);
    double v = at(s, 1000000);
    ASSERT(v >= 0 && v <= 1);
    ASSERT(at(s, (int64_t)1 << 53) >= 0);
    lre_schedule_release(s);
    lre_param c[] = {P("lr", 1), P("t_0", 5e-324), P("t_mult", 3)};
    s = make("cycles", c, N(c), NULL);
    ASSERT(s && at(s, (int64_t)1 << 53) == 0); /* past what a double places: eta_min */
    lre_schedule_release(s);
}

/* noise's limit: the normal draws stay inside it, and without one the
 * stream is the one before limit existed (the first draw is kept). */
static void noise_limit_truncates_the_normal_draws(void)
{
    lre_schedule *one = constant(1);
    lre_param lim[] = {P("amplitude", 1), S("distribution", "normal"), P("limit", 0.5), P("seed", 3)};
    lre_param free_[] = {P("amplitude", 1), S("distribution", "normal"), P("seed", 3)};
    lre_schedule *a = make("noise", lim, N(lim), one), *b = make("noise", free_, N(free_), one);
    ASSERT(a && b);
    int same = 0, outside = 0;
    for (int t = 0; t < 400; t++) {
        double va = at(a, t), vb = at(b, t);
        ASSERT(fabs(va - 1) < 0.5);
        if (fabs(vb - 1) >= 0.5) outside++;
        else if (va == vb) same++;
    }
    ASSERT(outside > 100);        /* a standard normal is outside +-0.5 about 62% of the time */
    ASSERT(same == 400 - outside); /* where the first draw fits, it is kept */
    lre_schedule_release(a);
    lre_schedule_release(b);
    lre_schedule_release(one);
}

/* sum, and the shapes timm's WSD adds: wsd's power and exp decays,
 * inverse_sqrt's power. */
static void sum_and_timms_wsd_shapes(void)
{
    lre_schedule *a = constant(0.25), *b = constant(0.5), *kids[2] = {a, b}, *s = NULL;
    ASSERT_EQ(lre_schedule_new(&s, "sum", NULL, 0, kids, 2, NULL), LRE_OK);
    ASSERT(at(s, 7) == 0.75);
    lre_schedule_release(s);
    lre_schedule_release(a);
    lre_schedule_release(b);
    /* decay over 4 steps from 1 to 0: at x = 1/4, power 2: 1 - 1/16; exp with ratio 1/4: (0.25^0.25 - 0.25) / 0.75 */
    lre_param pw[] = {P("lr", 1), P("decay_steps", 4), S("decay", "power"), P("decay_power", 2)};
    lre_param ex[] = {P("lr", 1), P("decay_steps", 4), S("decay", "exp"), P("decay_ratio", 0.25)};
    s = make("wsd", pw, N(pw), NULL);
    ASSERT(s && at(s, 1) == 1 - 1.0 / 16 && at(s, 4) == 0);
    lre_schedule_release(s);
    s = make("wsd", ex, N(ex), NULL);
    ASSERT(s && at(s, 0) == 1 && at(s, 4) == 0);
    ASSERT_NEAR(at(s, 1), (pow(0.25, 0.25) - 0.25) / 0.75, 1e-15);
    lre_schedule_release(s);
    /* (1 + t / 2)^-2 at t = 2: 1/4 */
    lre_param ip[] = {P("lr", 1), P("timescale", 2), P("power", 2)};
    s = make("inverse_sqrt", ip, N(ip), NULL);
    ASSERT(s && at(s, 2) == 0.25);
    lre_schedule_release(s);
}

int main(void)
{
    static const test_case tests[] = {
        {"shift moves its inner schedule and stops at step 0", shift_moves_its_inner_schedule_and_stops_at_step_0},
        {"swa anneals from the rate at start", swa_anneals_from_the_rate_at_start},
        {"inverse_sqrt and logistic", inverse_sqrt_and_logistic},
        {"cycles restart, decay and stop", cycles_restart_decay_and_stop},
        {"cyclic_momentum mirrors the rate", cyclic_momentum_mirrors_the_rate},
        {"warm-up shapes", warmup_shapes},
        {"wsd's cycles, cosine's exponent, random's power", wsd_cycles_cosine_exponent_random_power},
        {"restarts are found without walking the periods", restarts_are_found_without_walking_the_periods},
        {"noise's limit truncates the normal draws", noise_limit_truncates_the_normal_draws},
        {"sum and timm's WSD shapes", sum_and_timms_wsd_shapes},
        {NULL, NULL}};
    return run_tests(tests);
}
