/* lint.h -- the classic mistakes of a schedule, caught before a run by
 * `lrengine check` (lint.c): each lint names the hyper-parameter, the step
 * and a suggestion, and is silenced by `--allow NAME` or by a comment in
 * the script, `-- lrengine: allow NAME[, NAME...]`.
 *
 *   warmup-too-long    a warm-up (warmup, wsd's warmup_steps) still ramping
 *                      at the run's last step
 *   cosine-period      a cosine whose t_max does not match the steps it sees
 *                      (cut short, or past its floor: climbing back up, or
 *                      held there for long)
 *   far-from-floor     a decay (polynomial, wsd, one_cycle) ending above its
 *                      floor by more than 10% of its height
 *   jump               consecutive values more than a factor apart
 *                      (--max-jump, default 10), the larger above 1% of the
 *                      peak, but where a random or noise node asks for jumps
 *   rises-again        a value rising by more than 5% after it decayed below
 *                      90% of its peak, when no node asks for that (restarts,
 *                      cycles, random, noise, rewarm, replace, momentum cycles)
 *   patience-too-long  a plateau whose patience needs more observations
 *                      without improvement than the run gives */
#ifndef LRE_LINT_H
#define LRE_LINT_H

#include "cli.h"

#define LINT_MAX 32

typedef struct lint_finding {
    const char *name;   /* the lint's name */
    const char *hparam; /* the hyper-parameter */
    long long step;
    char msg[320], suggestion[200];
} lint_finding;

typedef struct lint_opts {
    const char *const *allow; /* names silenced (--allow), nallow of them */
    int nallow;
    const char *source;       /* the script's text, for its allow comments (may be NULL) */
    double max_jump;          /* 0: 10 */
    long long observations;   /* metrics the run observes (-1: unknown) */
} lint_opts;

/* The lint names, NULL-terminated (for --allow's check). */
extern const char *const lint_names[];

/* The curve's lints, fed a step at a time (constant memory, as check's
 * evaluation): what each series did so far and what it first did wrong. */
typedef struct lint_curve {
    double peak;            /* the largest value so far */
    long long jump_at;      /* the first jump's step, -1: none */
    double jump_from, jump_to;
    int decayed;            /* fell below 90% of the peak */
    double low, decay_peak; /* the least value since, and the peak it fell from */
    long long rise_at;      /* the first rise again, -1: none */
    double rise_to, rise_from;
} lint_curve;

typedef struct lint_stream {
    int n;
    double max_jump;
    lint_curve c[LRE_SCHEDULE_SET_MAX];
    double prev[LRE_SCHEDULE_SET_MAX]; /* the step before's values */
} lint_stream;

void lint_stream_init(lint_stream *ls, int n, double max_jump);
/* Step t's values, one per schedule. */
void lint_row(lint_stream *ls, size_t t, const double *v);

/* Lints the set's trees at the run's last step (n - 1) and the curves ls
 * saw over steps 0..n-1; the findings not silenced go to out (at most
 * LINT_MAX); returns their count, or -1 with a message on stderr when a
 * walk of a tree fails. */
int lint_schedules(const lre_schedule_set *set, const lint_stream *ls, size_t n, const lint_opts *o, lint_finding *out);

#endif
