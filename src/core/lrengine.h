/*
 * lrengine.h -- the lrengine core: optimizers and learning-rate schedules.
 *
 * This header is the whole public C interface of the core library
 * (liblrengine). The core needs no Lua: it is plain C11 plus zlib (for CRC32),
 * OpenBLAS's CBLAS (Muon's matrix products) and OpenMP.
 * It never exits, aborts or prints; every failure is a return code, and the
 * detail is kept as a message (in an lre_error, or per handle).
 *
 * Objects are opaque handles. Schedules are reference counted because they
 * compose: a warmup holds its inner schedule, an optimizer holds the
 * schedules that drive its hyper-parameters.
 *
 * Threads. The core keeps no global mutable state: lre_version_number,
 * lre_strerror, lre_optim_kinds, lre_schedule_kinds, lre_crc32 and
 * lre_error_set (on distinct records) may be called from any thread at any
 * time. Distinct handles are independent and may be used from different
 * threads at once, as long as they share nothing. A handle must not be used
 * from two threads at once, and everything a handle reaches counts as that
 * handle: an optimizer reaches the schedules driving it, a schedule its
 * inner schedules. So a schedule shared by two optimizers (or two trees)
 * makes them one object for threads: do not step, observe, save, load or
 * preview them concurrently, and do not retain or release a shared schedule
 * concurrently either (the count is not atomic). lre_optim_set_threads
 * parallelises the inside of one step; the caller still steps from one
 * thread. Custom schedules' callbacks run on the calling thread.
 */
#ifndef LRENGINE_H
#define LRENGINE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LRE_VERSION_MAJOR 0
#define LRE_VERSION_MINOR 1
#define LRE_VERSION_PATCH 0
#define LRE_VERSION_NUMBER (LRE_VERSION_MAJOR * 10000 + LRE_VERSION_MINOR * 100 + LRE_VERSION_PATCH)
#define LRE_VERSION_STRING "0.1.0"

/* Run-time version, to compare with LRE_VERSION_NUMBER. */
int lre_version_number(void);

/* Result codes. Numbered explicitly; a number is never reused. */
enum {
    LRE_OK = 0,
    LRE_EINVAL = 1,     /* an invalid argument or hyper-parameter */
    LRE_ENOMEM = 2,     /* an allocation failed */
    LRE_ENONFINITE = 3, /* a NaN or infinity in a gradient or a scheduled value */
    LRE_EIO = 4,        /* a reader or writer callback failed */
    LRE_ETRUNCATED = 5, /* a state stream ended early */
    LRE_ECORRUPT = 6,   /* a state stream failed its checksum or is malformed */
    LRE_EFORMAT = 7,    /* not an lrengine stream, another version, or another machine */
    LRE_EMISMATCH = 8,  /* a state stream that belongs to another configuration */
    LRE_ECALLBACK = 9,  /* a custom schedule reported an error */
    LRE_ERANGE = 10,    /* a scheduled value outside its parameter's range */
    LRE_EGUARD = 11     /* the spike guard skipped more steps in a row than its max_skips */
};

/* Generic text of a result code ("invalid argument", ...). Never NULL. */
const char *lre_strerror(int code);

/* Caller-owned error record filled by constructors, which have no handle yet
 * to keep a message in. Any lre_error * argument may be NULL. */
#define LRE_ERRMSG_SIZE 512
typedef struct lre_error {
    int code;
    char msg[LRE_ERRMSG_SIZE];
} lre_error;

#if defined(__GNUC__)
#define LRE_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define LRE_PRINTF(f, a)
#endif

/* Fills err (when not NULL) with code and a printf-style message, and
 * returns code: for custom-schedule callbacks and code built on the library. */
int lre_error_set(lre_error *err, int code, const char *fmt, ...) LRE_PRINTF(3, 4);

/* CRC-32 (zlib's, the polynomial of ISO 3309 and PNG) of len bytes, continuing
 * crc (start from 0): lre_crc32(lre_crc32(0, a, n), b, m) is the CRC of a
 * then b. Any length: zlib's own takes 32-bit lengths, this feeds it in
 * pieces. Thread-safe. */
uint32_t lre_crc32(uint32_t crc, const void *data, size_t len);

/* SplitMix64 (Steele, Lea and Flood 2014): advances *state and returns the
 * next 64 random bits. The core's random schedules use its finaliser, so a
 * host that needs the same generator can share this one. */
uint64_t lre_splitmix64(uint64_t *state);

typedef struct lre_schedule lre_schedule;

/* A named argument. Set exactly one of: value (numbers and booleans 0/1),
 * list/len (a list of numbers: milestones, betas, ...), str (a choice such as
 * mode = "triangular2"), or, for an optimizer's hyper-parameters, schedule
 * (the hyper-parameter follows it; it is retained). Names are PyTorch's, in
 * snake_case. */
typedef struct lre_param {
    const char *name;
    double value;
    const double *list;
    size_t len;
    const char *str;
    lre_schedule *schedule;
} lre_param;

/* A custom allocator, as zstd's customMem and with the contract of Lua's
 * lua_Alloc: realloc(ud, ptr, osize, nsize) returns a block of nsize bytes
 * holding the first min(osize, nsize) bytes of ptr (a new block when ptr is
 * NULL, osize then 0), or NULL on failure with ptr untouched; nsize 0 frees
 * ptr (osize is then its exact size) and returns NULL. Objects made with an
 * allocator make every allocation through it (the object, its groups, state
 * buffers, lists, names, the buffers of save, load and curve), and free with
 * the exact size; it must stay valid as long as they live. NULL means malloc,
 * realloc and free. */
typedef struct lre_allocator {
    void *(*realloc)(void *ud, void *ptr, size_t osize, size_t nsize);
    void *ud;
} lre_allocator;

/* Byte-stream callbacks for save and load. Both return 0 on success. A reader
 * must deliver exactly n bytes or fail. */
typedef int (*lre_write_fn)(void *ud, const void *buf, size_t n);
typedef int (*lre_read_fn)(void *ud, void *buf, size_t n);

/* Ready-made callbacks for state kept in memory. lre_membuf_write appends to
 * a growable buffer (start from {0}; free(data) when done); lre_memreader_read
 * reads bytes [pos, len) of data. */
typedef struct lre_membuf {
    unsigned char *data;
    size_t len, cap;
} lre_membuf;
int lre_membuf_write(void *ud, const void *buf, size_t n);

typedef struct lre_memreader {
    const unsigned char *data;
    size_t len, pos;
} lre_memreader;
int lre_memreader_read(void *ud, void *buf, size_t n);

/* ------------------------------------------------------------------------ */
/* Schedules                                                                 */
/* ------------------------------------------------------------------------ */

/* An event of a schedule tree and the function that receives it (see
 * lre_schedule_set_events). */
typedef struct lre_event lre_event;
typedef void (*lre_event_fn)(void *ud, const lre_event *ev);

/* What a custom schedule sees at each evaluation. */
typedef struct lre_sched_ctx {
    int64_t step;            /* 0-based: the step about to be taken */
    int64_t steps_per_epoch; /* 0 when unknown */
    int64_t total_steps;     /* 0 when unknown */
    double last_value;       /* the value returned at the previous evaluation; NaN at first */
    double metric;           /* the last observed metric; NaN before any */
    double grad_norm;        /* this step's gradient norm before clipping (lre_optim_grad_norm); NaN when unknown */
    double loss;             /* the loss the caller reported for this step (lre_optim_set_loss); NaN when none */
    /* Set while the tree reports events (lre_schedule_set_events) and the
     * evaluation is not a preview; NULL otherwise. Report through
     * lre_sched_ctx_emit rather than calling them. */
    lre_event_fn event;
    void *event_ud;
    const char *path; /* the node's path, as lre_schedule_walk names it */
    double d;         /* Prodigy's d estimate when a prodigy optimizer evaluates it; NaN otherwise */
} lre_sched_ctx;

/* A schedule implemented outside the core (the Lua binding uses this for
 * script and function schedules). Every callback but `at` may be NULL.
 * Callbacks return LRE_OK or an error code with a message in err (never
 * NULL, even when the caller of lre_schedule_eval passed NULL). Loading is
 * two-phase so that a failed load changes nothing: prepare_load parses and
 * keeps the result in *token; then exactly one of commit_load/abort_load. */
typedef struct lre_custom_vtable {
    int (*at)(void *ud, const lre_sched_ctx *ctx, double *out, lre_error *err);
    int (*observe)(void *ud, double metric, const lre_sched_ctx *ctx, lre_error *err);
    int (*save)(void *ud, lre_write_fn write, void *wud, lre_error *err);
    int (*prepare_load)(void *ud, const void *data, size_t len, void **token, lre_error *err);
    void (*commit_load)(void *ud, void *token);
    void (*abort_load)(void *ud, void *token);
    void (*release)(void *ud);
} lre_custom_vtable;

/* Builds a built-in schedule of the given kind ("cosine", "warmup", ...; see
 * lre_schedule_kinds). Combinators take their inner schedules in children and
 * retain them. On success *out holds one reference owned by the caller. */
int lre_schedule_new(lre_schedule **out, const char *kind, const lre_param *params, size_t nparams,
                     lre_schedule *const *children, size_t nchildren, lre_error *err);
/* The same, allocating through alloc (NULL: malloc). */
int lre_schedule_new_with(lre_schedule **out, const char *kind, const lre_param *params, size_t nparams,
                          lre_schedule *const *children, size_t nchildren, const lre_allocator *alloc,
                          lre_error *err);

/* Wraps a custom schedule. `name` (copied) identifies it in messages and in
 * saved-state fingerprints. On failure vt->release(ud) has been called. */
int lre_schedule_custom(lre_schedule **out, const char *name, const lre_custom_vtable *vt, void *ud,
                        lre_error *err);
/* The same, allocating through alloc (NULL: malloc). */
int lre_schedule_custom_with(lre_schedule **out, const char *name, const lre_custom_vtable *vt, void *ud,
                             const lre_allocator *alloc, lre_error *err);

lre_schedule *lre_schedule_retain(lre_schedule *s);
void lre_schedule_release(lre_schedule *s); /* accepts NULL */

/* NULL-terminated list of built-in kind names. */
const char *const *lre_schedule_kinds(void);
const char *lre_schedule_kind(const lre_schedule *s);

/* The value used by optimizer step t (t >= 0). */
int lre_schedule_eval(lre_schedule *s, int64_t t, double *out, lre_error *err);

/* Reports a metric (for plateau nodes and custom observers) after step t-1,
 * that is before step t is evaluated. */
int lre_schedule_observe(lre_schedule *s, double metric, int64_t t, lre_error *err);

/* Tells every node of the tree the length of an epoch and of the run (0 when
 * unknown), for custom schedules' context, and plans the tree's durations on
 * them as lre_schedule_plan does. It can not report an error: when the plan
 * fails on a known horizon, every duration of the tree waits again and an
 * evaluation reports what failed; on a horizon wholly unknown a plan made
 * before stays. */
void lre_schedule_set_horizon(lre_schedule *s, int64_t steps_per_epoch, int64_t total_steps);

/* Tells every node of the tree the learning-rate estimate of the optimizer
 * about to evaluate it (Prodigy's d: lre_optim_step does this), for custom
 * schedules' context (ctx.d); NaN for none, the default. */
void lre_schedule_set_d(lre_schedule *s, double d);

/* A preview: fills out[0..n-1] with the values of steps 0..n-1 as a run from
 * the schedule's current state would give them; with metrics (nmetrics of
 * them), metric i is observed after step i. Pure: the tree's state (plateau
 * counters, and custom nodes' through their save/prepare_load/commit_load
 * callbacks) is snapshotted before and restored after, also on error; a
 * custom node without those callbacks keeps whatever its callbacks changed.
 * n is at most 2^53. On error out may be partly written. */
int lre_schedule_curve(lre_schedule *s, double *out, size_t n, const double *metrics, size_t nmetrics,
                       lre_error *err);

/* The same run in place: the schedule's state advances as in training (a
 * plateau fed metrics keeps its reductions). On error the state is where the
 * failing step left it. */
int lre_schedule_run(lre_schedule *s, double *out, size_t n, const double *metrics, size_t nmetrics,
                     lre_error *err);

/* Resets observed state (plateau counters) to the state after construction.
 * Custom schedules keep theirs. */
void lre_schedule_reset(lre_schedule *s);

/* ---- Events and introspection of a tree (schedule_walk.c) ---- */

/* A field of an event: a number, or a string when str is not NULL. */
typedef struct lre_event_field {
    const char *name;
    double value;
    const char *str;
} lre_event_field;

/* What a schedule tree reports when a value changes for a reason that is not
 * a closed form of the step, and at the landmarks of the closed forms:
 *   plateau_reduce  a plateau cut its rate: metric, best, num_bad_epochs (the
 *                   count that passed patience), factor, scale (after),
 *                   lr_before, lr_after (the node's value at `step`)
 *   warmup_end      the first step at the full rate (a warmup node's, or
 *                   wsd's own warm-up): steps
 *   restart         a warm restart of cosine_restarts or cycles (within its
 *                   cycle_limit): cycle (1 for the first restart), period
 *                   (its length), peak
 *   phase           a sequence hands over to its next part: part (1-based),
 *                   milestone
 * and whatever a custom schedule reports (lre_sched_ctx_emit). `step` is the
 * first step the change applies to (a plateau reduction observed after step
 * t-1 has step t). Everything is borrowed for the duration of the call. */
struct lre_event {
    const char *kind;
    const char *path; /* the node, as lre_schedule_walk names it */
    int64_t step;
    const lre_event_field *fields;
    size_t nfields;
};

/* Reports the tree's events to fn (NULL: stop reporting), from evaluations
 * (lre_schedule_eval, lre_schedule_run, lre_optim_step) and observations;
 * never from previews (lre_schedule_curve) or walks. A landmark is reported
 * once per step even when its step is evaluated again (a skipped step). Sets
 * every node's path (allocated here, once; a node the tree holds twice keeps
 * one of its paths). LRE_ENOMEM leaves the tree without events. Nothing is
 * allocated when events are reported. */
int lre_schedule_set_events(lre_schedule *s, lre_event_fn fn, void *ud, lre_error *err);

/* For custom schedules' callbacks: reports an event of kind `kind` at the
 * context's step and path, when the tree reports events (ctx->event set);
 * returns whether it was reported. The binding rate-limits scripts. */
int lre_sched_ctx_emit(const lre_sched_ctx *ctx, const char *kind, const lre_event_field *fields, size_t nfields);

/* A node of a tree at a step, as lre_schedule_walk reports it. Paths name
 * each node from the root by its kind, a child of a node with several
 * children prefixed by its 1-based place: "warmup", "warmup/cosine",
 * "sequence/2:cosine" (custom nodes by their name). */
typedef struct lre_node_info {
    const char *path;
    const char *kind;
    int depth;          /* the root is 0 */
    int active;         /* 0: not evaluated at this step (a sequence's other parts); step and value unset */
    int64_t step;       /* the step this node sees (a warm-up's inner schedule sees a shifted one) */
    double value;       /* its value at that step */
    const lre_event_field *state; /* plateau: scale, best, num_bad_epochs, cooldown_counter; custom: last_value, metric */
    size_t nstate;
    const lre_schedule *node; /* for lre_schedule_param and lre_schedule_params_text */
} lre_node_info;

/* Called for each node in pre-order; a non-zero return stops the walk and is
 * returned. */
typedef int (*lre_walk_fn)(void *ud, const lre_node_info *node);

/* Evaluates the tree at step t as lre_schedule_eval does (without events)
 * and reports every node, its value and the step it sees, root first. */
int lre_schedule_walk(lre_schedule *s, int64_t t, lre_walk_fn fn, void *ud, lre_error *err);

/* A numeric parameter of a built-in node by name ("t_max", "steps"; a
 * choice as its index, a boolean as 0/1): LRE_OK, or LRE_EINVAL for a name
 * the kind does not have, a list, or a custom node. */
int lre_schedule_param(const lre_schedule *s, const char *name, double *out);

/* The node's parameters in words ("lr=0.1, t_max=900, mode=linear"): those
 * required and those that differ from their defaults; as snprintf. Custom
 * nodes have none. */
int lre_schedule_params_text(const lre_schedule *s, char *buf, size_t size);

/* Saves and loads the mutable state of the tree (plateau counters, custom
 * state) in the checksummed lrengine stream format. Load refuses a stream of
 * another schedule, or plateau counters that no run can leave (naming the
 * field), and changes nothing on any failure. */
int lre_schedule_save(lre_schedule *s, lre_write_fn write, void *ud, lre_error *err);
int lre_schedule_load(lre_schedule *s, lre_read_fn read, void *ud, lre_error *err);

/* Whose hyper-parameters a load keeps when the stream was written under
 * others. PyTorch's load_state_dict takes the saved ones (the state dict
 * carries them): LRE_LOAD_SAVED_HPARAMS, the default of lre_optim_load. An
 * optimizer's stream carries its hyper-parameters, so both sides can win; a
 * schedule's stream carries its state only (plateau counters, scripts'
 * state), not its parameters, so a schedule loads a stream of other
 * parameters only under LRE_LOAD_CURRENT_HPARAMS (the tree's kinds and
 * structure must still agree, and the state must be one this schedule's
 * parameters can leave). */
enum { LRE_LOAD_SAVED_HPARAMS = 0, LRE_LOAD_CURRENT_HPARAMS = 1 };
int lre_schedule_load_with(lre_schedule *s, lre_read_fn read, void *ud, unsigned flags, lre_error *err);

/* A run's horizon, for durations: 0 (or less) where unknown. */
typedef struct lre_horizon {
    int64_t steps_per_epoch, total_steps;
    double tokens_per_step;
} lre_horizon;
/* A duration in steps, epochs, a fraction of the run or tokens -- "500",
 * "500 steps", "2 epochs", "10%", "3M tokens" (k, M, G or B before tokens) --
 * as whole steps (rounded to the nearest) on horizon h (may be NULL: steps
 * only). LRE_EINVAL with a message naming the duration when the unit is
 * unknown or needs what h does not know. */
int lre_duration_steps(const char *text, const lre_horizon *h, int64_t *steps, lre_error *err);

/* Durations in a schedule's parameters. A step count of a built-in kind
 * (lre_param_info.duration: t_max, t_0, step_size, total_iters,
 * total_steps, a warm-up's steps, step_size_up/down, decay and cool-down
 * lengths, ...) may be given in lre_param.str as a duration text (a list,
 * such as milestones, as one text of comma-separated items: "1 epoch,50%,90");
 * any node may also take tokens_per_step (a number > 0), which holds for the
 * durations in tokens of its subtree (the nearest node's wins over the
 * horizon's). The node keeps the text: what needs no horizon ("500",
 * tokens with tokens_per_step given) resolves at once, the rest when the
 * tree is planned; until then evaluating the node is LRE_EINVAL naming its
 * path, the parameter and what it needs ("cosine: t_max = '90%' needs the
 * run's length (its total steps)"). lre_schedule_plan resolves every
 * duration of the tree on h (NULL: steps only), checks the values as the
 * constructors would, and sets h as the tree's horizon (as
 * lre_schedule_set_horizon); all or nothing: on an error the tree is
 * unchanged. Planning again on another horizon (a longer run) re-resolves.
 * A duration is part of the tree as its text: lre_schedule_text shows
 * t_max='90%'=900 (='90%' alone while unresolved), a saved state loads
 * whatever horizon resolved it, and lre_schedule_differ compares texts. */
int lre_schedule_plan(lre_schedule *s, const lre_horizon *h, lre_error *err);

/* A schedule tree as text: kind{param=value, ...}(inner, ...), custom
 * schedules as custom 'name' (their code is not the core's to show). Written
 * into buf like snprintf: returns the length the whole text needs. */
size_t lre_schedule_text(const lre_schedule *s, char *buf, size_t size);
/* 0 when a and b are alike (kinds, parameters and inner schedules; custom
 * schedules by name), else 1 with the first difference in buf, naming the
 * node by its path, the parameter, the old and the new value:
 * "warmup/cosine: t_max 1716 -> 3432". */
int lre_schedule_differ(const lre_schedule *a, const lre_schedule *b, char *buf, size_t size);
/* Carries the state of from's nodes onto the nodes of `to` at the same path
 * with the same kind (path: the kinds from the root and, under a node with
 * several, the inner schedule's number): plateau counters (its reductions,
 * best, counters cut to the new patience and cooldown; not across a change
 * of mode) and custom schedules' saved state (a script's `state`). All or
 * nothing: on an error `to` is unchanged. *carried (may be NULL): how many
 * nodes took state. */
int lre_schedule_carry_state(lre_schedule *to, lre_schedule *from, size_t *carried, lre_error *err);

/* ------------------------------------------------------------------------ */
/* Optimizers                                                                */
/* ------------------------------------------------------------------------ */

typedef struct lre_optim lre_optim;

typedef enum lre_dtype { LRE_F32 = 0, LRE_F64 = 1 } lre_dtype;

/* What to do with a non-finite gradient. ERROR (the default) refuses the
 * step with LRE_ENONFINITE and SKIP skips it and counts it: both scan every
 * gradient before writing anything, one more read of the gradients per step.
 * TRUST does not look: the step is one fused pass over memory, and a NaN or
 * infinity in a gradient goes into the parameters and the state, as in
 * PyTorch. The fast mode, for callers who check their loss themselves. */
typedef enum lre_nonfinite {
    LRE_NONFINITE_ERROR = 0,
    LRE_NONFINITE_SKIP = 1,
    LRE_NONFINITE_TRUST = 2
} lre_nonfinite;

/* Creates an optimizer ("sgd", "adam", ...; see lre_optim_kinds). params are
 * the defaults of every group; they are validated here. A required
 * hyper-parameter (SGD's lr) may be left out when every group will give it,
 * as in PyTorch: lre_optim_add_group refuses a group left without one. */
int lre_optim_new(lre_optim **out, const char *kind, const lre_param *params, size_t nparams, lre_error *err);
/* The same, allocating through alloc (NULL: malloc). */
int lre_optim_new_with(lre_optim **out, const char *kind, const lre_param *params, size_t nparams,
                       const lre_allocator *alloc, lre_error *err);
void lre_optim_free(lre_optim *o); /* accepts NULL; releases held schedules */

const char *const *lre_optim_kinds(void);
const char *lre_optim_kind(const lre_optim *o);

/* Adds a parameter group: n parameters and gradients of one dtype, owned by
 * the caller and alive as long as the optimizer. `overrides` override the
 * defaults for this group. Allocates the group's state, once. Returns LRE_OK
 * and stores the new group's index in *group_out (when not NULL), or returns
 * an error code (message in lre_optim_errmsg) and adds nothing. */
int lre_optim_add_group(lre_optim *o, lre_dtype dtype, void *params, const void *grads, size_t n,
                        const lre_param *overrides, size_t noverrides, int *group_out);

/* Adds a parameter group that is a matrix of rows x cols, stored row-major
 * (rows * cols parameters; an overflow is LRE_EINVAL). Otherwise as
 * lre_optim_add_group, whose groups are vectors. Optimizers that treat
 * matrices apart (Muon orthogonalises them; the others update element by
 * element) read the shape; it is saved with the optimizer, and a load
 * refuses state of another shape. */
int lre_optim_add_matrix(lre_optim *o, lre_dtype dtype, void *params, const void *grads, size_t rows, size_t cols,
                         const lre_param *overrides, size_t noverrides, int *group_out);

/* The shape of a group: returns 2 for a matrix (rows x cols), 1 for a vector
 * (rows 1, cols its size), -1 for no such group (rows and cols untouched).
 * rows and cols may be NULL. */
int lre_optim_shape(const lre_optim *o, int group, size_t *rows, size_t *cols);

/* Muon's orthogonalisation alone (KellerJordan/Muon's
 * zeropower_via_newtonschulz5): replaces the rows x cols matrix x (row-major,
 * of dtype) by `steps` Newton-Schulz iterations, with the coefficients
 * (3.4445, -4.7750, 2.0315), on x / (||x||_F + 1e-7), in x's dtype. GEMMs
 * through CBLAS; allocates its scratch through alloc (NULL: malloc). */
int lre_newton_schulz(lre_dtype dtype, void *x, size_t rows, size_t cols, int steps, const lre_allocator *alloc,
                      lre_error *err);

/* Points a group at other buffers of the same size and dtype. */
int lre_optim_rebind(lre_optim *o, int group, void *params, const void *grads);

/* Drives a hyper-parameter ("lr", "momentum", "betas[1]", ...) of one group,
 * or of every group when group < 0, by a schedule (retained). NULL removes it. */
int lre_optim_schedule(lre_optim *o, int group, const char *hparam, lre_schedule *s);

/* Sets a constant hyper-parameter of one group, or of every group and the
 * defaults when group < 0 (so groups added later get it too), validated like
 * construction (range, relations such as nesterov's momentum > 0). A switch
 * (amsgrad, nesterov, maximize...) is fixed at construction and refused. On a
 * scheduled hyper-parameter the constant replaces the schedule: the
 * schedule is released and no longer drives it (lre_optim_schedule drives it
 * again). All-or-nothing: on failure no group changes. */
int lre_optim_set(lre_optim *o, int group, const char *hparam, double value);
/* Reads a hyper-parameter's current value: the value used by the last step
 * when it is scheduled (before any step, a stand-in: the default). With
 * group < 0, the first group's, or the default when there is no group yet
 * (NaN for a required one not given as a default). */
int lre_optim_get(lre_optim *o, int group, const char *hparam, double *value);

/* Names of the schedulable hyper-parameters of this optimizer (NULL-
 * terminated; valid as long as o) and the schedule driving one in a group,
 * or NULL (also for an unknown name or group). */
const char *const *lre_optim_hparams(const lre_optim *o);
lre_schedule *lre_optim_get_schedule(const lre_optim *o, int group, const char *hparam);

/* Sets the policy for non-finite gradients (a value not in lre_nonfinite
 * is ignored). */
void lre_optim_set_nonfinite(lre_optim *o, lre_nonfinite policy);
/* Threads for the update of large groups (default 1; 0 = all cores). */
void lre_optim_set_threads(lre_optim *o, int threads);
void lre_optim_set_horizon(lre_optim *o, int64_t steps_per_epoch, int64_t total_steps);

/* ---- Gradient clipping, the gradient norm and the spike guard ---------- */

/* Clips the gradients inside the step, without writing them (the caller's
 * gradients stay as they are) and without another pass over memory: the
 * norm is taken in the scan that checks the gradients for NaN and infinity,
 * and the coefficient is applied in the update's own read of each gradient.
 *   "norm"  max_norm (required; a schedule may drive it), norm_type (2, the
 *           default, or INFINITY): PyTorch's clip_grad_norm_ over every group
 *           together: total = the norm of the groups' norms, every gradient
 *           multiplied by min(1, max_norm / (total + 1e-6)).
 *   "value" clip_value (required; may be scheduled): PyTorch's
 *           clip_grad_value_, each entry clamped to [-clip_value, clip_value].
 *   "agc"   clip_factor (default 0.01; may be scheduled), eps (1e-3): adaptive
 *           gradient clipping (Brock et al. 2021, timm's adaptive_clip_grad),
 *           per unit: a row of a group shaped rows x cols, a whole group
 *           otherwise; a unit's gradient is scaled by max_norm / max(norm(g),
 *           1e-6) where max_norm = clip_factor * max(norm(p), eps) and
 *           norm(g) >= max_norm. Refused (LRE_EINVAL) for lamb, lars,
 *           novograd, prodigy and adafactor; not applied to Muon's
 *           orthogonalised matrix groups.
 * kind NULL or "none" turns clipping off. Clipping turns the scan on under
 * LRE_NONFINITE_TRUST too (a NaN or infinity then flows as in PyTorch: an
 * infinite norm makes the coefficient 0, a NaN one NaN). Returns LRE_OK or
 * LRE_EINVAL (message in lre_optim_errmsg) and changes nothing on failure. */
int lre_optim_set_clip(lre_optim *o, const char *kind, const lre_param *params, size_t nparams);

/* The global gradient norm of the last step that scanned its gradients,
 * before clipping: the 2-norm of every group's gradients together (the
 * inf-norm when clipping by the inf-norm); NaN when no step has scanned
 * (LRE_NONFINITE_TRUST without clipping or a guard). Schedules see the
 * step's own norm as lre_sched_ctx.grad_norm (the scan runs before they are
 * evaluated). */
double lre_optim_grad_norm(const lre_optim *o);
/* The coefficient the last step multiplied the gradients by when clipping by
 * norm: min(1, max_norm / (norm + 1e-6)); NaN before any step or under
 * another kind of clipping. */
double lre_optim_clip_coef(const lre_optim *o);

/* The loss of the forward pass whose gradients the next lre_optim_step
 * applies: read by a guard on the loss and by schedules as
 * lre_sched_ctx.loss. The step consumes it (the next step has none until it
 * is set again). NaN: none. */
void lre_optim_set_loss(lre_optim *o, double loss);

/* The spike guard: a rule evaluated inside the step after the scan and
 * before anything is written, that keeps a step, skips it, or scales its
 * gradients. A skipped step changes no parameter, state or schedule, does
 * not advance the step count (lre_optim_step_count) and is counted
 * (lre_optim_skipped and the guard's own count); the step returns LRE_OK.
 * After max_skips skips in a row, a step the rule would skip fails with
 * LRE_EGUARD instead (nothing written; the next step is judged again).
 *   "zscore"    on ("grad_norm", the default, or "loss"), window (100),
 *               z (6), warmup (10), max_skips (10): skips a step whose value
 *               is more than z standard deviations (the window's, n - 1 in
 *               the denominator) above the mean of the last `window` values
 *               of kept steps, once `warmup` values are in; a value that is
 *               not finite is always skipped.
 *   "threshold" on, max (required), max_skips: skips a step whose value
 *               exceeds max (or is not finite).
 *   "custom"    script (required: a schedule, typically a script's
 *               guard(ctx) function, which sees ctx.grad_norm, ctx.loss,
 *               ctx.step and its saved state), max_skips: its value at the
 *               step (a schedule's, so >= 0) skips it when 0, else scales the
 *               gradients by it (1 keeps the step as it is).
 * rule NULL or "none" turns the guard off. The guard turns the scan on (see
 * lre_optim_set_clip). A guard on the loss fails a step whose loss was not
 * set (LRE_EINVAL). The window, the counters and the script's state are
 * saved with the optimizer. Returns LRE_OK or LRE_EINVAL/LRE_ENOMEM and
 * changes nothing on failure. */
int lre_optim_set_guard(lre_optim *o, const char *rule, const lre_param *params, size_t nparams,
                        lre_schedule *script);

/* What the guard did. */
typedef struct lre_guard_info {
    int64_t skips;       /* steps the guard has skipped */
    int64_t consecutive; /* of them, in a row up to the last judged step */
    int skipped;         /* the last judged step was skipped */
    double value;        /* the value the rule judged there (grad norm or loss); NaN before any */
    double mean, std;    /* zscore: the window's mean and standard deviation there; NaN otherwise */
    double limit;        /* the value above which it skips (mean + z std, or max); NaN when not judging */
    double scale;        /* the scale the step's gradients got (1: kept as they are) */
} lre_guard_info;
void lre_optim_guard_info(const lre_optim *o, lre_guard_info *info);

/* The most steps a run takes (and skips): 2^53, so that every step count is
 * exact as a double in schedules' arithmetic. lre_optim_step refuses a step
 * beyond it; lre_optim_load refuses counts beyond it. */
#define LRE_STEP_MAX ((int64_t)1 << 53)

/* One update of every group. In order, before anything is written: the
 * scan of the gradients (their norm and finiteness; see lre_nonfinite), the
 * guard, then the schedules, evaluated at the current step count with the
 * step's gradient norm and loss in their context. On any error (a schedule
 * failing or giving a value outside its range, a non-finite gradient, the
 * guard's LRE_EGUARD) nothing is changed. A skipped step (policy
 * LRE_NONFINITE_SKIP, or the guard) returns LRE_OK, leaves the step count
 * and counts it; under LRE_NONFINITE_TRUST without clipping or a guard the
 * gradients are not read before the update. */
int lre_optim_step(lre_optim *o);
/* Reports a metric to every tree the optimizer holds (its groups', the
 * clip's bound, the guard's script, the average's decay), each once however
 * many uses it has. LRE_OK, or the first tree's error (the trees before it
 * have taken the metric). */
int lre_optim_observe(lre_optim *o, double metric);

/* The events of the optimizer's schedules (see struct lre_event), each
 * reported once per use: a tree that drives several hyper-parameters (one
 * onecycle object for lr and momentum), or one hyper-parameter in only some
 * groups, reports an event of its once for each hyper-parameter it drives,
 * with group -1 when it drives it in every group, else once per group that
 * uses it (0-based), all with the same ev. The clip's bound, the guard's
 * script and the average's decay report under "clip.max_norm" (or
 * "clip.clip_value", "clip.clip_factor"), "guard" and "average.decay", group
 * -1. hparam is NULL (group -1) for an
 * event of a tree evaluated outside lre_optim_step and lre_optim_observe (a
 * direct lre_schedule_eval of a tree the optimizer holds). Everything is
 * borrowed for the duration of the call; the function must not call back
 * into the optimizer. */
typedef void (*lre_optim_event_fn)(void *ud, const lre_event *ev, const char *hparam, int group);

/* Reports the events of every schedule the optimizer holds (group
 * schedules, the ones given later included, the clip's, the guard's and the
 * average's) to fn; NULL stops. The optimizer takes over its trees' events
 * (lre_schedule_set_events: a tree reports to one receiver) and gives them
 * up when it drops a tree and when freed. Paths are allocated here and when a new tree is first stepped or
 * observed: LRE_ENOMEM (from here, or from that step, which then changes
 * nothing). */
int lre_optim_set_events(lre_optim *o, lre_optim_event_fn fn, void *ud);

int64_t lre_optim_step_count(const lre_optim *o);
int64_t lre_optim_skipped(const lre_optim *o);
int lre_optim_ngroups(const lre_optim *o);
/* The dtype and number of elements of a group (LRE_EINVAL: no such group). */
int lre_optim_group_info(const lre_optim *o, int group, lre_dtype *dtype, size_t *n);

/* Saves and loads the whole optimizer: step counts, hyper-parameters, state
 * buffers and the state of its schedules. Load treats the stream as hostile:
 * beyond its checksum, every value passes the checks of construction and of
 * lre_optim_set (ranges, switches equal to this optimizer's, relations, the
 * buffers the values need), counts must be ones a run can reach (<=
 * LRE_STEP_MAX, no group updated more often than the optimizer stepped) and
 * state buffers must hold finite values (non-negative where they are sums of
 * squares). It refuses a stream from another configuration (LRE_EMISMATCH) or
 * with an impossible value (LRE_ECORRUPT, naming the field) and changes
 * nothing on any failure. */
int lre_optim_save(lre_optim *o, lre_write_fn write, void *ud);
int lre_optim_load(lre_optim *o, lre_read_fn read, void *ud);
/* The same with flags: LRE_LOAD_SAVED_HPARAMS is lre_optim_load (the stream's
 * hyper-parameters replace this optimizer's; its switches must be this
 * optimizer's, its schedules the same trees with the same parameters).
 * LRE_LOAD_CURRENT_HPARAMS keeps this optimizer's hyper-parameters and
 * schedules' parameters, and loads counts, state buffers and schedules'
 * state written under others: switches may differ where the state buffers
 * are the same ones, schedules need the same kinds and structure only. */
int lre_optim_load_with(lre_optim *o, lre_read_fn read, void *ud, unsigned flags);

/* ---- Weight averaging (average.c) ----
 *
 * An average of the weights kept by the optimizer and updated inside its
 * step: each chunk of parameters is averaged right after its update, while
 * it is in cache (one more read and write of the average, no other pass).
 * kind "ema" (timm's ModelEmaV3 as timm's train.py steps it), "swa" (PyTorch's
 * swa_utils.AveragedModel: a uniform average) or "none" (NULL too: off,
 * freeing the buffers). Parameters of "ema": decay (in [0, 1], default
 * 0.9999; a number or a schedule of the step), use_step (default 1: the
 * decay sees the step count as timm's train.py passes it, so the first
 * update_after_step + 1 averaging updates copy the weights; 0: the constant
 * decay from the first update, ModelEmaV3.update(model) without a step),
 * update_after_step (default 0), warmup (default 0: timm's use_warmup, the
 * decay 1 - (1 + s/warmup_gamma)^-warmup_power clamped to [min_decay, decay]
 * with s = step - update_after_step), warmup_gamma (1), warmup_power (2/3),
 * min_decay (0). Parameters of "swa": start and every (defaults 0 and 1):
 * the average takes the weights after steps start + every, start + 2*every,
 * ... (counting steps from 1), the first time as a copy. The average starts
 * as the parameters before the first averaged update. Setting a rule (again)
 * restarts the averages; refused while they are swapped in. Every group,
 * also those added later, gets a buffer of its size (allocated here, never
 * in the step). The rule, its counts and the averages are saved with the
 * optimizer; a stream with another rule is refused (LRE_EMISMATCH). */
int lre_optim_set_average(lre_optim *o, const char *kind, const lre_param *params, size_t nparams);
/* "none", "ema" or "swa". */
const char *lre_optim_average_kind(const lre_optim *o);
/* Exchanges the averages and the parameters, element by element (no
 * allocation, exact): call it before evaluating and again after. A step,
 * set_average and schedule-free's eval refuse to run while they are swapped
 * in; save records it. Before any averaged update the average is the
 * parameters themselves. */
int lre_optim_swap_average(lre_optim *o);
int lre_optim_average_swapped(const lre_optim *o);
/* The averaged weights of a group (n elements of its dtype; the parameters
 * themselves while swapped in), or NULL before the first averaged update,
 * without averaging or for no such group. Valid until the next call that
 * changes the optimizer. */
const void *lre_optim_average(const lre_optim *o, int group);
/* Averaging updates a group has had; the EMA decay of the last one (NaN
 * before any, and for SWA). */
int64_t lre_optim_average_count(const lre_optim *o, int group);
double lre_optim_average_decay(const lre_optim *o);

/* ---- Schedule-free modes ----
 *
 * A schedule-free optimizer ("sgd_schedulefree", "adamw_schedulefree")
 * trains at y and averages at x. lre_optim_eval moves the parameters to x,
 * lre_optim_train back to y (by exchanging them with the state buffer of
 * x: nothing is allocated or lost), as the reference's optimizer.eval() and
 * train(); a group not yet updated stays as it is. A step is refused in eval
 * mode; save records the mode and load restores it (the caller restores the
 * parameters saved at the same moment). For any other optimizer both are
 * no-ops. lre_optim_scheduled_lr gives the rate lr_t (warm-up included) and
 * the averaging weight c_t the group's last update used (NaN before the
 * first); LRE_EINVAL for another optimizer or no such group. */
int lre_optim_eval(lre_optim *o);
int lre_optim_train(lre_optim *o);
int lre_optim_is_eval(const lre_optim *o);
int lre_optim_scheduled_lr(const lre_optim *o, int group, double *lr, double *c);

/* The message of the last failure on this handle ("" when none). */
const char *lre_optim_errmsg(const lre_optim *o);

/* ------------------------------------------------------------------------ */
/* Introspection (describe.c)                                                */
/* ------------------------------------------------------------------------ */

/* What a built-in schedule kind or optimizer is. The parameters come from the
 * tables the constructors validate with; the strings are static. */
typedef struct lre_kind_info {
    const char *name;
    const char *summary; /* one line */
    const char *formula; /* one line, in the step t (0-based) and the parameters */
    const char *peers;   /* the libraries' names whose semantics it follows, or "(none)" */
    size_t nparams;
    size_t min_children, max_children; /* inner schedules (SIZE_MAX: any number); 0 for optimizers */
} lre_kind_info;

typedef enum lre_param_type {
    LRE_PARAM_NUMBER = 0,
    LRE_PARAM_INTEGER = 1, /* a whole number */
    LRE_PARAM_BOOLEAN = 2,
    LRE_PARAM_CHOICE = 3,  /* one of `choices`, given as a string */
    LRE_PARAM_LIST = 4     /* a list of numbers, each in the range */
} lre_param_type;

typedef struct lre_param_info {
    const char *name;      /* as lre_param.name: "t_max", "betas[1]" */
    lre_param_type type;
    int whole;             /* whole numbers only (a list's entries too) */
    int required;          /* has no default */
    int schedulable;       /* an optimizer hyper-parameter a schedule may drive */
    double def;            /* the default; NaN when required or not a number */
    char default_text[48]; /* the default in words when def is NaN and one exists ("triangular"), else "" */
    double lo, hi;         /* the range, -inf/inf when open-ended */
    int lo_open, hi_open;  /* the bound itself is excluded */
    int finite;            /* must be finite whatever the range */
    const char *choices;   /* "triangular|triangular2|exp_range", or NULL */
    int pair;              /* first of two ("betas[1]", "betas[2]") also given together as a list ("betas") */
    int duration;          /* a step count also given as a duration text ("10%", "2 epochs"; lre_schedule_plan) */
} lre_param_info;

/* Describes a kind (see lre_schedule_kinds, lre_optim_kinds); an unknown one
 * is LRE_EINVAL with "unknown schedule kind 'cosin' (did you mean 'cosine'?
 * valid names: ...)" in err. */
int lre_schedule_describe(const char *kind, lre_kind_info *info, lre_error *err);
int lre_optim_describe(const char *kind, lre_kind_info *info, lre_error *err);

/* Parameter i (0 <= i < info.nparams) of a kind, in the order of its table;
 * LRE_EINVAL past the end or for an unknown kind. */
int lre_schedule_param_info(const char *kind, size_t i, lre_param_info *info);
int lre_optim_param_info(const char *kind, size_t i, lre_param_info *info);

/* The range of a parameter in the words of the constructors' messages ("in
 * [0, 1)", ">= 0", "a whole number > 0", "one of min|max"); as snprintf. */
int lre_param_range_text(const lre_param_info *p, char *buf, size_t size);

/* The entry of names (NULL-terminated) closest to name, ignoring case, when
 * it is close (at most two edits, a swap of neighbours counting one), else
 * NULL: for "did you mean" messages. */
const char *lre_suggest(const char *name, const char *const *names);

/* Fills err with "WHO: unknown WHAT 'name' (did you mean 'x'? valid names:
 * a, b, ...)" ("WHO: " left out when who is NULL, the suggestion when none is
 * close) and returns LRE_EINVAL. */
int lre_error_unknown(lre_error *err, const char *who, const char *what, const char *name, const char *const *names);

#ifdef __cplusplus
}
#endif
#endif
