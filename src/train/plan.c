/* plan.c -- see plan.h. The encoding, in the checkpoint's byte order (its
 * header checks it):
 *
 *   u32 records
 *   each: u32 op, u64 at, u64 total, f64 value, steps, target, shape,
 *         old_total, u64 hash, then four strings (u64 length, bytes): name,
 *         source, overrides, schedules; from checkpoint format 4 a fifth,
 *         hparam (format 3's cooldowns and rewarms are lr's)
 *
 * Fields a record's op does not use are 0. */
#include "fileio.h"
#include "plan.h"
#include "train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const plan_op_names[PLAN_NOPS + 1] = {"origin", "extend", "cooldown", "rewarm", "replace", NULL};
static const char *const shape_names[] = {"linear", "cosine", "sqrt"};
#define MAX_STEP 9007199254740992.0 /* 2^53: the core's step limit */
#define MAX_NAME 255


uint64_t plan_hash(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

static void record_free(plan_record *r)
{
    free(r->name), free(r->source), free(r->overrides), free(r->schedules), free(r->hparam);
    memset(r, 0, sizeof *r);
}

void plan_free(train_plan *p)
{
    for (int i = 0; i < p->n; i++) record_free(&p->r[i]);
    p->n = 0;
}

static char *copy(const char *s, size_t n)
{
    char *c = malloc(n + 1);
    if (!c) return NULL;
    if (n) memcpy(c, s, n);
    c[n] = 0;
    return c;
}

int plan_add(train_plan *p, const plan_record *r, char *msg, size_t size)
{
    if (p->n == PLAN_MAX_RECORDS)
        return fileio_fail(msg, size, "the run's plan has changed %d times: a checkpoint keeps at most that many", PLAN_MAX_RECORDS - 1);
    plan_record *d = &p->r[p->n];
    *d = *r;
    d->name = copy(r->name ? r->name : "", r->name ? strlen(r->name) : 0);
    d->source = copy(r->source ? r->source : "", r->source ? r->source_len : 0);
    d->source_len = r->source ? r->source_len : 0;
    d->overrides = copy(r->overrides ? r->overrides : "", r->overrides ? strlen(r->overrides) : 0);
    d->schedules = copy(r->schedules ? r->schedules : "", r->schedules ? strlen(r->schedules) : 0);
    d->hparam = copy(r->hparam ? r->hparam : "", r->hparam ? strlen(r->hparam) : 0);
    if (!d->name || !d->source || !d->overrides || !d->schedules || !d->hparam) {
        record_free(d);
        return fileio_fail(msg, size, "out of memory recording the plan");
    }
    d->hash = d->source_len ? plan_hash(d->source, d->source_len) : 0;
    p->n++;
    return 0;
}

char *plan_schedules_text(const lre_schedule_set *set)
{
    size_t len = 1;
    for (int i = 0; i < set->n; i++) len += strlen(set->name[i]) + 3 + lre_schedule_text(set->s[i], NULL, 0);
    char *t = malloc(len), *p = t;
    if (!t) return NULL;
    *p = 0;
    for (int i = 0; i < set->n; i++) {
        p += sprintf(p, "%s: ", set->name[i]);
        p += lre_schedule_text(set->s[i], p, len - (size_t)(p - t));
        *p++ = '\n';
        *p = 0;
    }
    return t;
}

/* ---- encoding ---- */

static int put(lre_membuf *b, const void *p, size_t n) { return lre_membuf_write(b, p, n); }
static int put_str(lre_membuf *b, const char *s, size_t n)
{
    uint64_t len = n;
    return put(b, &len, 8) || put(b, s, n);
}

int plan_encode(const train_plan *p, unsigned char **out, size_t *len)
{
    lre_membuf b = {0};
    uint32_t n = (uint32_t)p->n;
    int bad = put(&b, &n, 4);
    for (int i = 0; i < p->n && !bad; i++) {
        const plan_record *r = &p->r[i];
        uint32_t op = (uint32_t)r->op;
        double nums[5] = {r->value, r->steps, r->target, r->shape, r->old_total};
        bad = put(&b, &op, 4) || put(&b, &r->at, 8) || put(&b, &r->total, 8) || put(&b, nums, sizeof nums) ||
              put(&b, &r->hash, 8) || put_str(&b, r->name, strlen(r->name)) ||
              put_str(&b, r->source, r->source_len) || put_str(&b, r->overrides, strlen(r->overrides)) ||
              put_str(&b, r->schedules, strlen(r->schedules)) || put_str(&b, r->hparam, strlen(r->hparam));
    }
    if (bad) {
        free(b.data);
        return -1;
    }
    *out = b.data;
    *len = b.len;
    return 0;
}

/* ---- decoding: hostile ---- */

typedef struct cursor {
    const unsigned char *p;
    size_t len, off;
} cursor;

static int take(cursor *c, void *out, size_t n)
{
    if (c->len - c->off < n) return -1;
    memcpy(out, c->p + c->off, n);
    c->off += n;
    return 0;
}

/* A string of at most max bytes; text: no NUL within. */
static int take_str(cursor *c, char **out, size_t *n, size_t max, int text, const char *what, int rec, char *msg,
                    size_t size)
{
    uint64_t len;
    size_t at = c->off;
    if (take(c, &len, 8)) return fileio_fail(msg, size, "plan record %d: offset %zu: %s cut short", rec, at, what);
    if (len > max) return fileio_fail(msg, size, "plan record %d: offset %zu: a %s of %llu bytes, at most %zu", rec, at, what,
                                (unsigned long long)len, max);
    if (len > c->len - c->off)
        return fileio_fail(msg, size, "plan record %d: offset %zu: a %s of %llu bytes, %zu left", rec, at, what,
                    (unsigned long long)len, c->len - c->off);
    if (text && memchr(c->p + c->off, 0, (size_t)len))
        return fileio_fail(msg, size, "plan record %d: offset %zu: a NUL byte in the %s", rec, at, what);
    *out = copy((const char *)c->p + c->off, (size_t)len);
    if (!*out) return fileio_fail(msg, size, "out of memory reading the plan");
    if (n) *n = (size_t)len;
    c->off += (size_t)len;
    return 0;
}

static int whole(double v, double lo, double hi) { return v >= lo && v <= hi && v == floor(v); }

/* What a record's numbers may be, by op. */
static const char *check_numbers(const plan_record *r, const plan_record *prev)
{
    if (r->at > (uint64_t)MAX_STEP || r->total > (uint64_t)MAX_STEP) return "a step beyond 2^53";
    if (prev && r->at < prev->at) return "a change before the previous one";
    int ramp = r->op == PLAN_COOLDOWN || r->op == PLAN_REWARM;
    if (ramp) {
        if (!(r->value >= 0 && isfinite(r->value))) return "a rate that is not a finite number >= 0";
        if (!whole(r->steps, 1, MAX_STEP)) return "steps that are not a whole number in [1, 2^53]";
        if (!(r->target >= 0 && isfinite(r->target))) return "a floor or peak that is not a finite number >= 0";
        if (!whole(r->shape, 0, 2)) return "a shape that is not 0, 1 or 2";
    } else if (r->value != 0 || r->steps != 0 || r->target != 0 || r->shape != 0) {
        return "numbers its change does not use";
    }
    if (r->op == PLAN_EXTEND) {
        if (!whole(r->old_total, (double)r->at, MAX_STEP)) return "an old total before its step";
        if (r->total <= r->at) return "a total that ends before its step";
    } else if (r->old_total != 0) {
        return "an old total its change does not use";
    }
    return NULL;
}

int plan_hparam_ok(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n <= 31 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

static int decode_record(cursor *c, plan_record *r, int i, const plan_record *prev, int with_hparam, char *msg,
                         size_t size)
{
    size_t at = c->off;
    uint32_t op;
    double nums[5];
    if (take(c, &op, 4) || take(c, &r->at, 8) || take(c, &r->total, 8) || take(c, nums, sizeof nums) ||
        take(c, &r->hash, 8))
        return fileio_fail(msg, size, "plan record %d: offset %zu: cut short", i, at);
    if (op >= PLAN_NOPS || (i == 0) != (op == PLAN_ORIGIN))
        return fileio_fail(msg, size, "plan record %d: offset %zu: %s", i, at,
                    op >= PLAN_NOPS ? "an unknown change" : i == 0 ? "the first record is not the origin" : "a second origin");
    r->op = (int)op;
    r->value = nums[0], r->steps = nums[1], r->target = nums[2], r->shape = nums[3], r->old_total = nums[4];
    const char *bad = check_numbers(r, prev);
    if (bad) return fileio_fail(msg, size, "plan record %d (%s): offset %zu: %s", i, plan_op_names[op], at, bad);
    if (take_str(c, &r->name, NULL, MAX_NAME, 1, "name", i, msg, size) ||
        take_str(c, &r->source, &r->source_len, TRAIN_SOURCE_MAX, 0, "source", i, msg, size) ||
        take_str(c, &r->overrides, NULL, PLAN_MAX_TEXT, 1, "overrides", i, msg, size) ||
        take_str(c, &r->schedules, NULL, PLAN_MAX_TEXT, 1, "schedules' text", i, msg, size))
        return -1;
    int ramp = op == PLAN_COOLDOWN || op == PLAN_REWARM;
    if (with_hparam) {
        size_t hat = c->off;
        if (take_str(c, &r->hparam, NULL, 31, 1, "hyper-parameter", i, msg, size)) return -1;
        if (ramp ? !plan_hparam_ok(r->hparam) : r->hparam[0] != 0)
            return fileio_fail(msg, size, "plan record %d (%s): offset %zu: %s", i, plan_op_names[op], hat,
                               ramp ? "not a hyper-parameter's name" : "a hyper-parameter its change does not take");
    } else if (!(r->hparam = copy(ramp ? "lr" : "", ramp ? 2 : 0))) {
        return fileio_fail(msg, size, "out of memory reading the plan");
    }
    int sourced = op == PLAN_ORIGIN || op == PLAN_REWARM || op == PLAN_REPLACE;
    if (sourced && (!r->name[0] || !r->source_len))
        return fileio_fail(msg, size, "plan record %d (%s): offset %zu: no config name or text", i, plan_op_names[op], at);
    if (!sourced && (r->name[0] || r->source_len || r->hash))
        return fileio_fail(msg, size, "plan record %d (%s): offset %zu: a config its change does not take", i, plan_op_names[op], at);
    if (sourced && plan_hash(r->source, r->source_len) != r->hash)
        return fileio_fail(msg, size, "plan record %d (%s): offset %zu: the config's text does not match its hash", i,
                    plan_op_names[op], at);
    return 0;
}

int plan_decode(train_plan *p, const unsigned char *data, size_t len, int with_hparam, char *msg, size_t size)
{
    cursor c = {data, len, 0};
    uint32_t n;
    train_plan tmp;
    tmp.n = 0;
    if (take(&c, &n, 4)) return fileio_fail(msg, size, "plan: offset 0: cut short");
    if (n < 1 || n > PLAN_MAX_RECORDS) return fileio_fail(msg, size, "plan: offset 0: %u records, expected 1 to %d", n, PLAN_MAX_RECORDS);
    for (uint32_t i = 0; i < n; i++) {
        plan_record *r = &tmp.r[i];
        memset(r, 0, sizeof *r);
        tmp.n = (int)i + 1;
        if (decode_record(&c, r, (int)i, i ? &tmp.r[i - 1] : NULL, with_hparam, msg, size)) {
            plan_free(&tmp);
            return -1;
        }
    }
    if (c.off != len) {
        plan_free(&tmp);
        return fileio_fail(msg, size, "plan: offset %zu: %zu bytes after its last record", c.off, len - c.off);
    }
    plan_free(p);
    *p = tmp;
    return 0;
}

/* ---- the tree in force ---- */

static int find(const lre_schedule_set *set, const char *name)
{
    for (int i = 0; i < set->n; i++)
        if (!strcmp(set->name[i], name)) return i;
    return -1;
}

/* tree[i] = kind{params}(tree[i], next): the node takes tree[i]'s place. */
static int wrap(lre_schedule_set *tree, int i, const char *kind, const lre_param *ps, size_t np, lre_schedule *next,
                char *msg, size_t size)
{
    lre_schedule *kids[2] = {tree->s[i], next}, *node;
    lre_error err;
    if (lre_schedule_new(&node, kind, ps, np, kids, next ? 2 : 1, &err))
        return fileio_fail(msg, size, "%s of %s: %s", kind, tree->name[i], err.msg);
    lre_schedule_release(tree->s[i]);
    tree->s[i] = node;
    return 0;
}

/* rewarm and replace: the new schedules must drive what the plan drove. */
static int same_names(const lre_schedule_set *tree, const lre_schedule_set *next, const char *op, char *msg, size_t size)
{
    for (int i = 0; i < next->n; i++)
        if (find(tree, next->name[i]) < 0)
            return fileio_fail(msg, size, "%s: the new config schedules %s, the run's plan did not", op, next->name[i]);
    for (int i = 0; i < tree->n; i++)
        if (find(next, tree->name[i]) < 0)
            return fileio_fail(msg, size, "%s: the run's plan schedules %s, the new config does not", op, tree->name[i]);
    return 0;
}

/* Every schedule of tree but skip replaced by next's of the same name from r->at. */
static int replace_all(lre_schedule_set *tree, const plan_record *r, const lre_schedule_set *next, int skip, char *msg,
                       size_t size)
{
    lre_param ps[] = {{"at", (double)r->at, NULL, 0, NULL, NULL}};
    for (int i = 0; i < tree->n; i++)
        if (i != skip && wrap(tree, i, "replace", ps, 1, next->s[find(next, tree->name[i])], msg, size)) return -1;
    return 0;
}

int plan_apply(lre_schedule_set *tree, const plan_record *r, const lre_schedule_set *next, char *msg, size_t size)
{
    double at = (double)r->at;
    int lr = r->hparam ? find(tree, r->hparam) : -1; /* the ramped hyper-parameter */
    switch (r->op) {
    case PLAN_EXTEND: {
        lre_param ps[] = {{"at", at, NULL, 0, NULL, NULL},
                          {"old_total", r->old_total, NULL, 0, NULL, NULL},
                          {"total", (double)r->total, NULL, 0, NULL, NULL}};
        for (int i = 0; i < tree->n; i++)
            if (wrap(tree, i, "extend", ps, 3, NULL, msg, size)) return -1;
        return 0;
    }
    case PLAN_COOLDOWN:
    case PLAN_REWARM: {
        if (lr < 0)
            return fileio_fail(msg, size, "%s: the run's plan does not schedule %s", plan_op_names[r->op],
                               r->hparam ? r->hparam : "?");
        int rewarm = r->op == PLAN_REWARM;
        if (rewarm && same_names(tree, next, "rewarm", msg, size)) return -1;
        lre_param ps[] = {{"at", at, NULL, 0, NULL, NULL},
                          {"steps", r->steps, NULL, 0, NULL, NULL},
                          {"value", r->value, NULL, 0, NULL, NULL},
                          {"shape", 0, NULL, 0, shape_names[(int)r->shape], NULL},
                          {rewarm ? "peak" : "floor", r->target, NULL, 0, NULL, NULL}};
        if (wrap(tree, lr, plan_op_names[r->op], ps, 5, rewarm ? next->s[find(next, r->hparam)] : NULL, msg, size))
            return -1;
        /* rewarm: the config's other schedules replace the plan's */
        return rewarm ? replace_all(tree, r, next, lr, msg, size) : 0;
    }
    case PLAN_REPLACE:
        if (same_names(tree, next, "replace", msg, size)) return -1;
        return replace_all(tree, r, next, -1, msg, size);
    default: return fileio_fail(msg, size, "plan: no change to apply");
    }
}

static void set_copy(lre_schedule_set *to, const lre_schedule_set *from)
{
    *to = *from;
    for (int i = 0; i < to->n; i++) lre_schedule_retain(to->s[i]);
}

int plan_build(const train_plan *p, const lre_script_limits *limits, lre_schedule_set *tree,
               lre_schedule_set *current, char *msg, size_t size)
{
    tree->n = current->n = 0;
    if (p->n < 1 || p->r[0].op != PLAN_ORIGIN) return fileio_fail(msg, size, "plan: no origin");
    if (train_config_schedules(p->r[0].source, p->r[0].source_len, p->r[0].name, limits, tree, msg, size)) return -1;
    set_copy(current, tree);
    for (int i = 1; i < p->n; i++) {
        const plan_record *r = &p->r[i];
        lre_schedule_set next = {0};
        int sourced = r->op == PLAN_REWARM || r->op == PLAN_REPLACE;
        if (sourced && train_config_schedules(r->source, r->source_len, r->name, limits, &next, msg, size)) break;
        if (plan_apply(tree, r, sourced ? &next : NULL, msg, size)) {
            lre_schedule_set_free(&next);
            break;
        }
        if (sourced) {
            lre_schedule_set_free(current);
            *current = next;
        }
        if (i == p->n - 1) return 0;
    }
    if (p->n == 1) return 0;
    lre_schedule_set_free(tree);
    lre_schedule_set_free(current);
    return -1;
}
