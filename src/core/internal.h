/* internal.h -- shared by the core's files; not installed. */
#ifndef LRE_INTERNAL_H
#define LRE_INTERNAL_H

#include "lrengine.h"

#include <stdarg.h>

#define LRE_PI 3.14159265358979323846

/* lre_error_set over a va_list: the core's handles build their printf-style
 * error helpers on it (error.c). */
int lre__error_setv(lre_error *err, int code, const char *fmt, va_list ap);

/* ---- parameter specifications (params.c) ---- */

enum {
    LRE_P_LO_OPEN = 1 << 0,  /* lo itself is not allowed */
    LRE_P_HI_OPEN = 1 << 1,  /* hi itself is not allowed */
    LRE_P_INT = 1 << 2,      /* a whole number */
    LRE_P_BOOL = 1 << 3,     /* 0 or 1 */
    LRE_P_CHOICE = 1 << 4,   /* one of `choices` ("a|b|c"), stored as its index */
    LRE_P_LIST = 1 << 5,     /* a list of numbers, each in [lo, hi] */
    LRE_P_REQUIRED = 1 << 6, /* no default */
    LRE_P_PAIR = 1 << 7,     /* first of two (or three) specs named "x[1]", "x[2]" given together as "x" */
    LRE_P_FIXED = 1 << 8,    /* can not be driven by a schedule */
    LRE_P_FINITE = 1 << 9,   /* not infinite, whatever the range */
    LRE_P_DUR = 1 << 10      /* a step count that may be given as a duration ("10%", "2 epochs") */
};

typedef struct lre_pspec {
    const char *name;
    double def;
    double lo, hi;
    unsigned flags;
    const char *choices;
} lre_pspec;

/* A parsed list argument: borrowed from the caller until copied. */
typedef struct lre_plist {
    const double *v;
    size_t n;
} lre_plist;

/* Parses params against spec (nspec entries): values into out[i], lists into
 * lists[i] (lists may be NULL when the spec has none). Unknown names,
 * duplicates, missing required parameters and out-of-range values fail with a
 * message "who: name ...". */
int lre__parse_params(const char *who, const lre_pspec *spec, size_t nspec, const lre_param *in, size_t nin,
                      double *out, lre_plist *lists, lre_error *err);
/* The same, taking durations: a LRE_P_DUR parameter given as str (a
 * duration lre_duration_steps reads) leaves out[i] NaN and texts[i] the
 * (borrowed) text; texts[i] is NULL for every other parameter. */
int lre__parse_params_dur(const char *who, const lre_pspec *spec, size_t nspec, const lre_param *in, size_t nin,
                          double *out, lre_plist *lists, const char **texts, lre_error *err);
/* What a duration needs of the horizon to resolve: 0 nothing (steps), 1 the
 * steps per epoch, 2 the run's total steps, 3 the tokens per step; -1 when
 * the text is no duration (duration.c). */
int lre__duration_needs(const char *text);
/* A list of durations is one text, its items separated by commas ("1 epoch,
 * 2 epochs"). lre__duration_item copies the item at p into item (size bytes;
 * a longer one is cut) and returns where the next starts, NULL after the
 * last; lre__duration_list_needs: the most any item needs (as above), -1
 * when one is no duration; *count: the number of items. */
const char *lre__duration_item(const char *p, char *item, size_t size);
int lre__duration_list_needs(const char *text, size_t *count);

/* "who: unknown parameter 'name' (did you mean 'x'? parameters: a, b, ...)"
 * for a name that is not in spec; a pair is also suggested by its base name
 * ("betas"). Returns LRE_EINVAL. */
int lre__unknown_param(const char *who, const lre_pspec *spec, size_t nspec, const char *name, lre_error *err);

/* lre_error_unknown with the suggestion (or NULL) and the list's label given:
 * "who: unknown WHAT 'name' (did you mean 'best'? LABEL: a, b, ...)"
 * (describe.c). */
int lre__error_unknown(lre_error *err, const char *who, const char *what, const char *name, const char *best,
                       const char *label, const char *const *names);

/* Checks one value against one spec entry. */
int lre__check_value(const char *who, const lre_pspec *ps, double v, lre_error *err);

/* Index of name in spec, or -1. */
int lre__spec_index(const lre_pspec *spec, size_t nspec, const char *name);

/* a * b into *out, or 0 when the product does not fit in a size_t. */
static inline int lre__mul_size(size_t a, size_t b, size_t *out)
{
    if (b && a > SIZE_MAX / b) return 0;
    *out = a * b;
    return 1;
}

/* ---- allocation (alloc.c) ---- */

extern const lre_allocator lre__std_alloc; /* malloc, realloc, free */
/* *a, or the standard allocator when a is NULL. */
lre_allocator lre__allocator(const lre_allocator *a);
/* Through a: size bytes (NULL when size is 0 or on failure); n * size
 * zeroed bytes (NULL on overflow, 0 or failure); a resize; a free of the
 * size allocated (p may be NULL). */
void *lre__alloc(const lre_allocator *a, size_t size);
void *lre__alloc_zero(const lre_allocator *a, size_t n, size_t size);
void *lre__realloc(const lre_allocator *a, void *p, size_t osize, size_t nsize);
void lre__free(const lre_allocator *a, void *p, size_t size);

/* ---- byte streams (stream.c) ---- */

/* A growable buffer: start from {0} with alloc set to the owner's allocator. */
typedef struct lre_buf {
    unsigned char *data;
    size_t len, cap;
    int failed; /* an allocation failed; further writes are dropped */
    const lre_allocator *alloc;
} lre_buf;

void lre__buf_put(lre_buf *b, const void *p, size_t n);
void lre__buf_u32(lre_buf *b, uint32_t v);
void lre__buf_u64(lre_buf *b, uint64_t v);
void lre__buf_f64(lre_buf *b, double v);
void lre__buf_free(lre_buf *b);

/* A bounds-checked cursor over a payload. Reads past the end set `bad`. */
typedef struct lre_cur {
    const unsigned char *p, *end;
    int bad;
} lre_cur;

const void *lre__cur_take(lre_cur *c, size_t n);
uint32_t lre__cur_u32(lre_cur *c);
uint64_t lre__cur_u64(lre_cur *c);
double lre__cur_f64(lre_cur *c);

/* Stream kinds (the tag after the magic). */
#define LRE_TAG_SCHEDULE 0x44484353u /* "SCHD" */
#define LRE_TAG_OPTIM 0x4D54504Fu    /* "OPTM" */

/* Writes header, payload and CRC through write. */
int lre__stream_write(uint32_t tag, const lre_buf *payload, lre_write_fn write, void *ud, lre_error *err);
/* Reads and verifies a whole stream; on success *payload holds its *len bytes,
 * allocated through alloc; free it with lre__free(alloc, *payload, *size). */
int lre__stream_read(uint32_t tag, lre_read_fn read, void *ud, const lre_allocator *alloc, unsigned char **payload,
                     size_t *len, size_t *size, lre_error *err);

/* 64-bit FNV-1a, for configuration fingerprints. */
uint64_t lre__fnv(uint64_t h, const void *p, size_t n);
#define LRE_FNV_INIT 0xcbf29ce484222325ull

/* ---- schedules, seen by the optimizer (schedule.c) ---- */

uint64_t lre__schedule_fingerprint(const lre_schedule *s);
uint64_t lre__schedule_shape_fingerprint(const lre_schedule *s);
/* Appends the tree's state to b. */
int lre__schedule_save_state(lre_schedule *s, lre_buf *b, lre_error *err);
/* Two-phase load of the tree's state from c: prepare validates and stages
 * everything, then commit or abort. */
int lre__schedule_prepare_load(lre_schedule *s, lre_cur *c, lre_error *err);
void lre__schedule_finish_load(lre_schedule *s, int commit);
/* Sets what every node's context reports as this step's gradient norm and
 * loss (NaN: unknown), before the optimizer evaluates the tree. */
void lre__schedule_set_inputs(lre_schedule *s, double grad_norm, double loss);

/* ---- counter-based random numbers (rng.c) ---- */

/* A uniform double in [0, 1) that depends only on (seed, counter). */
double lre__uniform(uint64_t seed, uint64_t counter);

#endif
