/* lint.c -- see lint.h. The tree's lints read each node where the run ends
 * (lre_schedule_walk at the last step: the step each node sees, its value,
 * its parameters); the curve's lints read the values step by step. */
#include "lint.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

const char *const lint_names[] = {"warmup-too-long", "cosine-period", "far-from-floor", "jump", "rises-again",
                                  "patience-too-long", NULL};

typedef struct linter {
    const lint_opts *o;
    lint_finding *out;
    int n;
    const char *hparam;
    long long last; /* the run's last step */
    /* kinds in the tree that ask for jumps or rises */
    int jumpy, rising;
} linter;

/* Whether `name` is silenced: --allow NAME, or "lrengine: allow NAME" in the script. */
static int allowed(const lint_opts *o, const char *name)
{
    for (int i = 0; i < o->nallow; i++)
        if (!strcmp(o->allow[i], name)) return 1;
    size_t len = strlen(name);
    for (const char *p = o->source; p && (p = strstr(p, "lrengine: allow")); p++) {
        const char *end = strchr(p, '\n');
        for (const char *q = p + 15; (q = strstr(q, name)) && (!end || q < end); q++) {
            char before = q[-1], after = q[len];
            if ((before == ' ' || before == ',') && (after == 0 || strchr(" ,\r\n", after))) return 1;
        }
    }
    return 0;
}

static void add(linter *l, const char *name, long long step, const char *suggestion, const char *fmt, ...)
    LRE_PRINTF(5, 6);
static void add(linter *l, const char *name, long long step, const char *suggestion, const char *fmt, ...)
{
    if (l->n >= LINT_MAX || allowed(l->o, name)) return;
    lint_finding *f = &l->out[l->n++];
    f->name = name;
    f->hparam = l->hparam;
    f->step = step;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->msg, sizeof f->msg, fmt, ap);
    va_end(ap);
    snprintf(f->suggestion, sizeof f->suggestion, "%s", suggestion);
}

static double param(const lre_node_info *n, const char *name)
{
    double v = NAN;
    lre_schedule_param(n->node, name, &v);
    return v;
}

/* ---- the tree where the run ends ---- */

static void lint_warmup(linter *l, const lre_node_info *n, double steps)
{
    if (!(steps > 0) || (double)n->step >= steps) return;
    char hint[200];
    long long five = (l->last + 1) / 20 > 0 ? (l->last + 1) / 20 : 1;
    snprintf(hint, sizeof hint, "a warm-up of about 5%% of the run (%lld steps)", five);
    add(l, "warmup-too-long", l->last, hint,
        "%s is still warming up at the run's last step (it sees step %lld of %.17g): the warm-up is longer than "
        "the run's %lld steps", n->path, (long long)n->step, steps, l->last + 1);
}

/* A cosine matches the run when it sees its t_max - 1 or t_max at the last step (5% either way). */
static int lint_cosine(linter *l, const lre_node_info *n)
{
    double t_max = param(n, "t_max"), seen = (double)n->step + 1, tol = fmax(1, 0.05 * t_max);
    if (fabs(seen - t_max) <= tol) return 0;
    char hint[200];
    snprintf(hint, sizeof hint, "t_max = %lld, the steps it sees in this run", (long long)seen);
    if (seen < t_max) {
        add(l, "cosine-period", l->last, hint,
            "%s ends the run at step %lld of its t_max = %.17g (%.0f%% of its period), at %.6g, above its eta_min "
            "%.6g", n->path, (long long)n->step, t_max, 100 * seen / t_max, n->value, param(n, "eta_min"));
    } else {
        long long floor_at = l->last - (n->step - (long long)t_max);
        add(l, "cosine-period", floor_at, hint,
            "%s reaches its floor at step %lld (its t_max = %.17g) and the run goes on %lld steps: %s",
            n->path, floor_at, t_max, l->last - floor_at,
            param(n, "hold") == 1 ? "held at the floor" : "climbing back up (hold = false)");
    }
    return 1;
}

/* A decay that ends above its floor by more than 10% of its height. */
static void lint_floor(linter *l, const lre_node_info *n, double peak, double floor, const char *what, double planned)
{
    if (!(peak > floor) || n->value - floor <= 0.1 * (peak - floor)) return;
    char hint[200];
    snprintf(hint, sizeof hint, "plan the decay for the run: %s = %.17g", what, planned);
    add(l, "far-from-floor", l->last, hint,
        "%s ends the run at %.6g, %.0f%% of the way from its floor %.6g to its peak %.6g", n->path, n->value,
        100 * (n->value - floor) / (peak - floor), floor, peak);
}

static void lint_plateau(linter *l, const lre_node_info *n)
{
    double patience = param(n, "patience");
    if (l->o->observations < 0 || patience + 1 <= (double)l->o->observations) return;
    char hint[200];
    snprintf(hint, sizeof hint, "patience < %lld, the observations of the run", l->o->observations);
    add(l, "patience-too-long", l->last, hint,
        "%s needs %.17g observations without improvement to cut its rate and the run observes %lld", n->path,
        patience + 1, l->o->observations);
}

static int on_node(void *ud, const lre_node_info *n)
{
    linter *l = ud;
    static const char *const jumpy[] = {"random", "noise", NULL};
    static const char *const rising[] = {"cosine_restarts", "cyclic", "cyclic_momentum", "cycles", "one_cycle_momentum",
                                         "random", "noise", "rewarm", "replace", NULL};
    for (const char *const *k = jumpy; *k; k++) l->jumpy |= !strcmp(n->kind, *k);
    for (const char *const *k = rising; *k; k++) l->rising |= !strcmp(n->kind, *k);
    if (!n->active) return 0;
    const char *kind = n->kind;
    if (!strcmp(kind, "warmup")) {
        lint_warmup(l, n, param(n, "steps"));
    } else if (!strcmp(kind, "cosine")) {
        lint_cosine(l, n);
    } else if (!strcmp(kind, "wsd")) {
        double w = param(n, "warmup_steps"), s = param(n, "stable_steps");
        lint_warmup(l, n, w);
        double cycles = NAN;
        if (lre_schedule_param(n->node, "num_cycles", &cycles) || cycles == 0.5)
            lint_floor(l, n, param(n, "lr"), param(n, "min_lr"), "decay_steps", (double)n->step + 1 - w - s);
    } else if (!strcmp(kind, "polynomial") && param(n, "cycle") == 0) {
        lint_floor(l, n, param(n, "lr"), param(n, "end_lr"), "total_iters", (double)n->step + 1);
    } else if (!strcmp(kind, "one_cycle")) {
        double peak = param(n, "max_lr");
        lint_floor(l, n, peak, peak / param(n, "div_factor") / param(n, "final_div_factor"), "total_steps",
                   (double)n->step + 1);
    } else if (!strcmp(kind, "plateau")) {
        lint_plateau(l, n);
    }
    return 0;
}

/* ---- the curve ---- */

void lint_stream_init(lint_stream *ls, int n, double max_jump)
{
    memset(ls, 0, sizeof *ls);
    ls->n = n;
    ls->max_jump = max_jump > 0 ? max_jump : 10;
    for (int k = 0; k < n; k++) ls->c[k] = (lint_curve){-INFINITY, -1, 0, 0, 0, INFINITY, 0, -1, 0, 0};
}

static void curve_row(lint_curve *c, double max_jump, size_t t, double prev, double v)
{
    c->peak = fmax(c->peak, v);
    /* a start from 0 or a stop at 0 is no jump, nor are the last steps of a
     * decay to a tiny floor: only values above 1% of the peak so far count */
    if (t > 0 && c->jump_at < 0 && prev > 0 && v > 0 && fmax(prev, v) >= 0.01 * c->peak &&
        (prev > v ? prev / v : v / prev) > max_jump * (1 + 1e-9))
        c->jump_at = (long long)t, c->jump_from = prev, c->jump_to = v;
    if (c->rise_at >= 0) return;
    if (!c->decayed) {
        /* (v < peak too: 0.9 * peak rounds up to peak for the smallest subnormals) */
        if (c->peak > 0 && v < c->peak && v <= 0.9 * c->peak) c->decayed = 1, c->low = v, c->decay_peak = c->peak;
    } else if (v > c->low * 1.05 && v - c->low > 1e-12 * c->decay_peak) {
        c->rise_at = (long long)t, c->rise_to = v, c->rise_from = c->low;
    } else {
        c->low = fmin(c->low, v);
    }
}

void lint_row(lint_stream *ls, size_t t, const double *v)
{
    for (int k = 0; k < ls->n; k++) {
        curve_row(&ls->c[k], ls->max_jump, t, t ? ls->prev[k] : 0, v[k]);
        ls->prev[k] = v[k];
    }
}

static void lint_curve_findings(linter *l, const lint_curve *c, double max_jump)
{
    if (c->jump_at >= 0 && !l->jumpy) {
        double r = c->jump_from > c->jump_to ? c->jump_from / c->jump_to : c->jump_to / c->jump_from;
        char hint[200];
        snprintf(hint, sizeof hint, "a gentler step (a factor of at most %g), or --max-jump %.3g if it is meant",
                 max_jump, r);
        add(l, "jump", c->jump_at, hint, "%s jumps from %.6g to %.6g at step %lld, a factor of %.3g", l->hparam,
            c->jump_from, c->jump_to, c->jump_at, r);
    }
    if (c->rise_at >= 0 && !l->rising)
        add(l, "rises-again", c->rise_at, "a restart asked for (cosine_restarts, cycles, rewarm), or a decay that stays down",
            "%s rises again at step %lld, to %.6g from %.6g, after decaying from its peak %.6g", l->hparam, c->rise_at,
            c->rise_to, c->rise_from, c->decay_peak);
}

int lint_schedules(const lre_schedule_set *set, const lint_stream *ls, size_t n, const lint_opts *o, lint_finding *out)
{
    linter l = {o, out, 0, NULL, (long long)n - 1, 0, 0};
    for (int k = 0; k < set->n && n > 0; k++) {
        l.hparam = set->name[k];
        l.jumpy = l.rising = 0;
        lre_error err;
        if (lre_schedule_walk(set->s[k], (int64_t)n - 1, on_node, &l, &err)) {
            cli_error(LRE_EXIT_FAIL, "%s", err.msg);
            return -1;
        }
        if (k < ls->n) lint_curve_findings(&l, &ls->c[k], ls->max_jump);
    }
    return l.n;
}
