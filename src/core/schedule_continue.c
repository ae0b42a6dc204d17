/* schedule_continue.c -- continuing a run with a changed plan: extend,
 * cooldown, rewarm and replace. Each is a node holding the plan as it was
 * (its first inner schedule), which it evaluates unchanged before step `at`
 * (so a curve of the continued run shows its whole history), and the change
 * from `at` on, continuous there where the change says so: the value at
 * `at` is the plan's (cooldown and rewarm start from it; extend maps `at`
 * onto itself). A continued run's tree nests them: replace(cooldown(plan)),
 * the history of its plans, which a checkpoint can describe and rebuild.
 *
 * The shapes of cooldown and rewarm: the fraction g(x) of the way done at
 * x = (t - at) / steps in [0, 1]: linear x, cosine (1 - cos(pi x)) / 2, sqrt
 * sqrt(x) (a cooldown's "1 - sqrt" of Hagele et al. 2024, "Scaling Laws and
 * Compute-Optimal Training Beyond Fixed Training Durations", and of WSD). */
#include "schedule_internal.h"

#include <math.h>

static double shape_fraction(int shape, double x)
{
    switch (shape) {
    case CT_COSINE: return (1 - cos(LRE_PI * x)) / 2;
    case CT_SQRT: return sqrt(x);
    default: return x;
    }
}

/* The plan's value where the change starts: the given value, else the plan at `at`. */
static int start_value(lre_schedule *s, double *v, lre_error *err, lre__evalx *x)
{
    if (!isnan(s->p[CT_VALUE])) {
        *v = s->p[CT_VALUE];
        return LRE_OK;
    }
    return lre__eval_child(s, 0, (int64_t)s->p[CT_AT], v, err, x);
}

/* extend: the rest of the plan, from `at` to its end old_total, stretched
 * (or squeezed) to end at total: step t >= at reads the plan at
 * u = at + (t - at) * (old_total - at) / (total - at). Between whole steps
 * the plan is interpolated linearly (a schedule is defined on whole steps;
 * for a cosine over T steps the interpolation is within pi^2 / (16 T^2) of
 * the cosine at u, relative to its height). */
static int extend(lre_schedule *s, int64_t t, double *out, lre_error *err, lre__evalx *x)
{
    double at = s->p[EX_AT];
    double u = at + ((double)t - at) * (s->p[EX_OLD_TOTAL] - at) / (s->p[EX_TOTAL] - at);
    double lo = floor(u), frac = u - lo;
    int rc = lre__eval_child(s, 0, (int64_t)lo, out, err, x);
    if (rc || frac == 0) return rc;
    double hi;
    rc = lre__eval_child(s, 0, (int64_t)lo + 1, &hi, err, x);
    if (!rc) *out += (hi - *out) * frac;
    return rc;
}

/* cooldown, and rewarm's ramp: from the plan's value at `at` to CT_TARGET. */
static int ramp(lre_schedule *s, int64_t t, int64_t at, double *out, lre_error *err, lre__evalx *ev)
{
    double v0;
    int rc = start_value(s, &v0, err, ev);
    if (rc) return rc;
    double x = (double)(t - at) / s->p[CT_STEPS];
    if (x > 1) x = 1;
    *out = v0 + (s->p[CT_TARGET] - v0) * shape_fraction((int)s->p[CT_SHAPE], x);
    return LRE_OK;
}

int lre__continuation(lre_schedule *s, int64_t t, double *out, lre_error *err, lre__evalx *x)
{
    int64_t at = (int64_t)s->p[CT_AT]; /* slot 0 of every continuation */
    if (t < at) return lre__eval_child(s, 0, t, out, err, x);
    switch (s->kind) {
    case K_EXTEND: return extend(s, t, out, err, x);
    case K_REPLACE: return lre__eval_child(s, 1, s->p[RP_SHIFT] ? t - at : t, out, err, x);
    case K_REWARM: {
        int64_t end = at + (int64_t)s->p[CT_STEPS];
        if (t >= end) return lre__eval_child(s, 1, s->p[CT_SHIFT] ? t - end : t, out, err, x);
        return ramp(s, t, at, out, err, x);
    }
    default: return ramp(s, t, at, out, err, x);
    }
}
