/* plan.h -- what produced a run's schedules, and how its plan changed: the
 * history a checkpoint keeps so a resumed run rebuilds the very tree it was
 * following (and a continued run can be continued again), and says what
 * differs when a config no longer matches it.
 *
 * A history is a list of records. The first is the origin: the config that
 * started the run (its name, its text and that text's hash, the command
 * line's overrides, the schedules as text, the run's planned steps). Each
 * later record is a continuation at step `at`: extend (every scheduled
 * hyper-parameter), cooldown (one hyper-parameter, lr unless another is
 * named), rewarm (one; the config's other schedules replace theirs) or
 * replace, the last two with the text of the config whose schedules take
 * over. The tree in force is the origin's schedules with each continuation
 * applied in turn (the core's nodes extend, cooldown, rewarm, replace). */
#ifndef LRE_PLAN_H
#define LRE_PLAN_H

#include "lrengine_script.h"

#include <stddef.h>
#include <stdint.h>

typedef enum { PLAN_ORIGIN, PLAN_EXTEND, PLAN_COOLDOWN, PLAN_REWARM, PLAN_REPLACE, PLAN_NOPS } plan_op;

extern const char *const plan_op_names[PLAN_NOPS + 1]; /* "origin", "extend", ... NULL */

#define PLAN_MAX_RECORDS 64
#define PLAN_MAX_TEXT ((size_t)1 << 20) /* overrides, schedules' text */

typedef struct plan_record {
    int op;             /* plan_op */
    uint64_t at;        /* the step the change starts at (0 for the origin) */
    uint64_t total;     /* the run's planned steps from then on */
    /* cooldown, rewarm: the rate at `at`, the steps, the floor or peak, the
     * shape (0 linear, 1 cosine, 2 sqrt); extend: old_total (the plan's end before it) */
    double value, steps, target, shape, old_total;
    char *name;         /* origin, rewarm, replace: the config's file name */
    char *source;       /* its text (NUL-terminated; may hold NULs, source_len says) */
    size_t source_len;
    uint64_t hash;      /* FNV-1a 64 of the text */
    char *overrides;    /* the command line's changes in force ("--epochs 8"), "" for none */
    char *schedules;    /* the schedules as text, "lr: cosine{...}" one per line */
    char *hparam;       /* cooldown, rewarm: the hyper-parameter it ramps ("lr", "momentum"); "" otherwise */
} plan_record;

typedef struct train_plan {
    int n;
    plan_record r[PLAN_MAX_RECORDS];
} train_plan;

uint64_t plan_hash(const void *p, size_t n);
void plan_free(train_plan *p);
/* Appends a record (copying its strings); 0, or -1 with a message. */
int plan_add(train_plan *p, const plan_record *r, char *msg, size_t size);
/* The schedules of a set as text, one "name: tree" line each (malloc'd). */
char *plan_schedules_text(const lre_schedule_set *set);

/* Serialised into a checkpoint: the bytes, malloc'd in *out (each record
 * with its hparam: checkpoint format 4). */
int plan_encode(const train_plan *p, unsigned char **out, size_t *len);
/* Reads what plan_encode wrote, hostile: every size and count is checked
 * against what is left before use, ops and numbers against their ranges,
 * hashes against the texts; `at` never decreases. Nothing is kept on
 * failure. 0, or -1 with a message naming the record and the offset. */
int plan_decode(train_plan *p, const unsigned char *data, size_t len, int with_hparam, char *msg, size_t size);
/* Whether s names a hyper-parameter as a record may: 1 to 31 of [a-z0-9_]. */
int plan_hparam_ok(const char *s);

/* The tree in force after the history: the origin's schedules with each
 * continuation applied (sources run sandboxed within limits). 0, or -1
 * with a message. `current` receives the schedules of the last config that
 * took over (the origin's or the last rewarm's or replace's): what a config
 * given to resume is compared with. */
int plan_build(const train_plan *p, const lre_script_limits *limits, lre_schedule_set *tree,
               lre_schedule_set *current, char *msg, size_t size);
/* Applies one continuation record r to tree (in place), given the schedules
 * of the config that takes over (rewarm, replace; NULL otherwise). 0, or -1
 * with a message. */
int plan_apply(lre_schedule_set *tree, const plan_record *r, const lre_schedule_set *next, char *msg, size_t size);

#endif
