/* config.c -- a training config: a Lua script, run in the sandbox with
 * lrengine available, that returns a table. Every key is checked: an unknown
 * key or a value of the wrong type or range is refused with a message naming
 * it. Numbers are checked before they are converted (epochs = 1e300, 0/0 or
 * math.huge are refused, not cast). Data paths are relative to the config's
 * directory. */
#include "fileio.h"
#include "train.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_COUNT ((int64_t)1 << 40) /* epochs, limits...: far beyond any real run, far below overflow */


/* "data.dir" from the table's path ("data", "" for the top) and the key. */
static const char *join(char *buf, size_t size, const char *where, const char *key)
{
    snprintf(buf, size, "%s%s%s", where, where[0] ? "." : "", key);
    return buf;
}

/* Checks that the table at `where` has only keys from `allowed`. */
static int check_keys(lre_script *s, const char *where, const char *const *allowed, char *msg, size_t size)
{
    const char *const *keys;
    size_t n;
    lre_error err;
    if (lre_script_keys(s, where, &keys, &n, &err)) return fileio_fail(msg, size, "config: %s", err.msg);
    for (size_t i = 0; i < n; i++) {
        int ok = 0;
        for (const char *const *a = allowed; *a && !ok; a++) ok = !strcmp(*a, keys[i]);
        char path[160];
        if (!ok) return fileio_fail(msg, size, "config: unknown key '%s'", join(path, sizeof path, where, keys[i]));
    }
    return 0;
}

/* An optional whole number in [lo, hi]. */
static int get_count(lre_script *s, const char *where, const char *key, long long *out, int64_t lo, int64_t hi,
                     char *msg, size_t size)
{
    char path[160];
    join(path, sizeof path, where, key);
    if (lre_script_type(s, path) == LRE_VNIL) return 0;
    int64_t v;
    if (lre_script_integer(s, path, lo, hi, &v))
        return fileio_fail(msg, size, "config: %s must be a whole number in [%lld, %lld]", path, (long long)lo, (long long)hi);
    *out = (long long)v;
    return 0;
}

static int get_string(lre_script *s, const char *where, const char *key, char *out, size_t outsize, char *msg,
                      size_t size)
{
    char path[160];
    join(path, sizeof path, where, key);
    lre_value_type t = lre_script_type(s, path);
    if (t == LRE_VNIL) return 0;
    size_t len;
    const char *v = t == LRE_VSTRING ? lre_script_string(s, path, &len) : NULL;
    if (!v) return fileio_fail(msg, size, "config: %s must be a string", path);
    if (len >= outsize || strlen(v) != len)
        return fileio_fail(msg, size, "config: %s must be a string of at most %zu bytes without NUL", path, outsize - 1);
    memcpy(out, v, len + 1);
    return 0;
}

/* A data path relative to the config's directory (absolute ones as they are). */
static int get_path(lre_script *s, const char *key, const char *dir, char *out, size_t outsize, char *msg,
                    size_t size)
{
    char rel[1024] = "";
    if (get_string(s, "data", key, rel, sizeof rel, msg, size)) return -1;
    if (!rel[0]) return 0;
    int n = rel[0] == '/' || !dir[0] ? snprintf(out, outsize, "%s", rel) : snprintf(out, outsize, "%s/%s", dir, rel);
    if (n < 0 || (size_t)n >= outsize) return fileio_fail(msg, size, "config: data.%s is too long a path", key);
    return 0;
}

static int read_data(train_config *c, lre_script *s, const char *dir, char *msg, size_t size)
{
    static const char *const keys[] = {"source", "dir", "train", "test", "validation", "limit", "test_limit", NULL};
    if (check_keys(s, "data", keys, msg, size)) return -1;
    char source[32] = "fashion-mnist";
    if (get_string(s, "data", "source", source, sizeof source, msg, size)) return -1;
    if (!strcmp(source, "csv")) c->csv = 1;
    else if (strcmp(source, "fashion-mnist")) return fileio_fail(msg, size, "config: data.source must be 'fashion-mnist' or 'csv'");
    if (get_path(s, "dir", dir, c->data_dir, sizeof c->data_dir, msg, size) ||
        get_path(s, "train", dir, c->train_path, sizeof c->train_path, msg, size) ||
        get_path(s, "test", dir, c->test_path, sizeof c->test_path, msg, size) ||
        get_count(s, "data", "validation", &c->validation, 0, MAX_COUNT, msg, size) ||
        get_count(s, "data", "limit", &c->limit, 1, MAX_COUNT, msg, size) ||
        get_count(s, "data", "test_limit", &c->test_limit, 1, MAX_COUNT, msg, size))
        return -1;
    if (c->csv && (!c->train_path[0] || !c->test_path[0]))
        return fileio_fail(msg, size, "config: data.train and data.test name the CSV files");
    return 0;
}

static int read_model(train_config *c, lre_script *s, char *msg, size_t size)
{
    static const char *const keys[] = {"kind", "hidden", NULL};
    if (check_keys(s, "model", keys, msg, size)) return -1;
    char kind[32] = "mlp";
    if (get_string(s, "model", "kind", kind, sizeof kind, msg, size)) return -1;
    if (!strcmp(kind, "softmax")) return 0;
    if (strcmp(kind, "mlp")) return fileio_fail(msg, size, "config: model.kind must be 'mlp' or 'softmax'");
    lre_value_type t = lre_script_type(s, "model.hidden");
    if (t == LRE_VNIL) {
        c->hidden[0] = 256;
        c->nhidden = 1;
        return 0;
    }
    int64_t n = lre_script_length(s, "model.hidden");
    if (t != LRE_VTABLE || n < 1 || n > MLP_MAX_LAYERS - 1)
        return fileio_fail(msg, size, "config: model.hidden must list 1 to %d layer widths", MLP_MAX_LAYERS - 1);
    for (int64_t i = 1; i <= n; i++) {
        char path[64];
        snprintf(path, sizeof path, "model.hidden[%lld]", (long long)i);
        int64_t w;
        if (lre_script_integer(s, path, 1, 65536, &w))
            return fileio_fail(msg, size, "config: %s must be a whole number in [1, 65536]", path);
        c->hidden[c->nhidden++] = (size_t)w;
    }
    return 0;
}

/* optimizer.nonfinite: what a NaN or infinity in a gradient does (lre_nonfinite). */
static int read_nonfinite(train_config *c, lre_script *s, char *msg, size_t size)
{
    static const char *const policies[] = {"error", "skip", "trust"}; /* lre_nonfinite's order */
    char policy[8] = "error";
    if (get_string(s, "optimizer", "nonfinite", policy, sizeof policy, msg, size)) return -1;
    for (int i = 0; i < 3; i++)
        if (!strcmp(policy, policies[i])) return c->nonfinite = i, 0;
    return fileio_fail(msg, size, "config: optimizer.nonfinite must be 'error', 'skip' or 'trust', got '%s'", policy);
}

/* optimizer = {"adamw", lr = 1e-3, weight_decay = 0.01} (or kind = "adamw");
 * numbers, booleans and pairs here, schedules under `schedule`; nonfinite =
 * "error" | "skip" | "trust". */
static int read_optimizer(train_config *c, lre_script *s, char *msg, size_t size)
{
    if (lre_script_type(s, "optimizer[1]") == LRE_VSTRING &&
        get_string(s, "optimizer", "[1]", c->optimizer, sizeof c->optimizer, msg, size))
        return -1;
    if (get_string(s, "optimizer", "kind", c->optimizer, sizeof c->optimizer, msg, size)) return -1;
    if (read_nonfinite(c, s, msg, size)) return -1;
    const char *const *keys;
    size_t n;
    lre_error err;
    if (lre_script_keys(s, "optimizer", &keys, &n, &err)) return fileio_fail(msg, size, "config: %s", err.msg);
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(keys[i], "kind") || !strcmp(keys[i], "nonfinite")) continue;
        char path[160];
        join(path, sizeof path, "optimizer", keys[i]);
        if (c->nhps == TRAIN_MAX_HPS) return fileio_fail(msg, size, "config: optimizer has more than %d parameters", TRAIN_MAX_HPS);
        if (strlen(keys[i]) >= sizeof c->hp_names[0]) return fileio_fail(msg, size, "config: %s: name too long", path);
        lre_param *p = &c->hps[c->nhps];
        memset(p, 0, sizeof *p);
        snprintf(c->hp_names[c->nhps], sizeof c->hp_names[0], "%s", keys[i]);
        p->name = c->hp_names[c->nhps];
        int b;
        lre_value_type t = lre_script_type(s, path);
        if (t == LRE_VNUMBER) {
            lre_script_number(s, path, &p->value);
        } else if (t == LRE_VBOOLEAN) {
            lre_script_boolean(s, path, &b);
            p->value = b;
        } else if (t == LRE_VTABLE && lre_script_length(s, path) == 2) {
            for (int k = 0; k < 2; k++) {
                char elem[180];
                snprintf(elem, sizeof elem, "%s[%d]", path, k + 1);
                if (lre_script_number(s, elem, &c->hp_lists[c->nhps][k]))
                    return fileio_fail(msg, size, "config: %s must be a number", elem);
            }
            p->list = c->hp_lists[c->nhps];
            p->len = 2;
        } else {
            return fileio_fail(msg, size, "config: %s must be a number, a boolean or a pair (schedules go in 'schedule')", path);
        }
        c->nhps++;
    }
    /* let the engine validate names and ranges now, with its messages */
    lre_optim *o;
    if (lre_optim_new(&o, c->optimizer, c->hps, (size_t)c->nhps, &err)) return fileio_fail(msg, size, "config: optimizer: %s", err.msg);
    lre_optim_free(o);
    return 0;
}

/* average = {kind = "ema", decay = 0.999, ...}: the rule's parameters are
 * numbers or booleans, an EMA's decay may be a schedule. The engine
 * validates them (names, ranges, relations) with its messages. */
static int read_average(train_config *c, lre_script *s, char *msg, size_t size)
{
    if (lre_script_type(s, "average") != LRE_VTABLE)
        return fileio_fail(msg, size, "config: average must be a table such as {kind = 'ema', decay = 0.999}");
    if (get_string(s, "average", "kind", c->average, sizeof c->average, msg, size)) return -1;
    if (!c->average[0]) return fileio_fail(msg, size, "config: average.kind ('ema' or 'swa') is missing");
    const char *const *keys;
    size_t n;
    lre_error err;
    if (lre_script_keys(s, "average", &keys, &n, &err)) return fileio_fail(msg, size, "config: %s", err.msg);
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(keys[i], "kind")) continue;
        char path[160];
        join(path, sizeof path, "average", keys[i]);
        if (c->navg == (int)(sizeof c->avg_params / sizeof c->avg_params[0]))
            return fileio_fail(msg, size, "config: average has too many parameters");
        if (strlen(keys[i]) >= sizeof c->avg_names[0]) return fileio_fail(msg, size, "config: %s: name too long", path);
        lre_param *p = &c->avg_params[c->navg];
        memset(p, 0, sizeof *p);
        snprintf(c->avg_names[c->navg], sizeof c->avg_names[0], "%s", keys[i]);
        p->name = c->avg_names[c->navg];
        lre_value_type t = lre_script_type(s, path);
        int b;
        if (t == LRE_VNUMBER) {
            lre_script_number(s, path, &p->value);
        } else if (t == LRE_VBOOLEAN) {
            lre_script_boolean(s, path, &b);
            p->value = b;
        } else if (!strcmp(keys[i], "decay") && (t == LRE_VTABLE || t == LRE_VFUNCTION || t == LRE_VOTHER)) {
            lre_schedule_set set = {0};
            if (lre_script_schedules(s, path, &set, &err)) return fileio_fail(msg, size, "config: %s: %s", path, err.msg);
            if (set.n != 1) {
                lre_schedule_set_free(&set);
                return fileio_fail(msg, size, "config: %s must be a number or one schedule", path);
            }
            c->avg_decay = lre_schedule_retain(set.s[0]);
            lre_schedule_set_free(&set);
            p->schedule = c->avg_decay;
        } else {
            return fileio_fail(msg, size, "config: %s must be a number or a boolean%s", path,
                        strcmp(keys[i], "decay") ? "" : " (or a schedule)");
        }
        c->navg++;
    }
    lre_optim *o;
    if (lre_optim_new(&o, c->optimizer, c->hps, (size_t)c->nhps, &err)) return fileio_fail(msg, size, "config: optimizer: %s", err.msg);
    int rc = lre_optim_set_average(o, c->average, c->avg_params, (size_t)c->navg);
    if (rc) {
        const char *m = lre_optim_errmsg(o), *k = strchr(m, ':');
        fileio_fail(msg, size, "config: %s", k && !strncmp(k, ": average", 9) ? k + 2 : m);
    }
    lre_optim_free(o);
    return rc ? -1 : 0;
}

static int read_config(train_config *c, lre_script *s, const char *dir, char *msg, size_t size)
{
    if (lre_script_type(s, "") != LRE_VTABLE) return fileio_fail(msg, size, "config: a training config must return a table");
    static const char *const keys[] = {"data", "model", "optimizer", "schedule", "epochs", "batch_size", "seed",
                                       "observe", "log_every", "threads", "average", "clip", "guard", NULL};
    if (check_keys(s, "", keys, msg, size)) return -1;
    if (get_count(s, "", "epochs", &c->epochs, 0, MAX_COUNT, msg, size) ||
        get_count(s, "", "batch_size", &c->batch_size, 1, 1 << 20, msg, size) ||
        get_count(s, "", "seed", &c->seed, 0, INT64_MAX, msg, size) ||
        get_count(s, "", "log_every", &c->log_every, 1, MAX_COUNT, msg, size) ||
        get_count(s, "", "threads", &c->threads, 1, 1024, msg, size))
        return -1;
    static const char *const parts[] = {"data", "model", "optimizer"};
    for (int i = 0; i < 3; i++) {
        lre_value_type t = lre_script_type(s, parts[i]);
        if (t == LRE_VNIL) continue;
        if (t != LRE_VTABLE) return fileio_fail(msg, size, "config: %s must be a table", parts[i]);
        int rc = i == 0 ? read_data(c, s, dir, msg, size) : i == 1 ? read_model(c, s, msg, size)
                                                               : read_optimizer(c, s, msg, size);
        if (rc) return -1;
    }
    if (lre_script_type(s, "average") != LRE_VNIL && read_average(c, s, msg, size)) return -1;
    if (train_config_clip(c, s, msg, size)) return -1;
    char observe[32] = "";
    if (get_string(s, "", "observe", observe, sizeof observe, msg, size)) return -1;
    if (!strcmp(observe, "val_loss")) c->observe = OBSERVE_VAL_LOSS;
    else if (!strcmp(observe, "val_acc")) c->observe = OBSERVE_VAL_ACC;
    else if (observe[0]) return fileio_fail(msg, size, "config: observe must be 'val_loss' or 'val_acc'");
    lre_error err;
    if (lre_script_type(s, "schedule") != LRE_VNIL && lre_script_schedules(s, "schedule", &c->schedules, &err))
        return fileio_fail(msg, size, "config: schedule: %s", err.msg);
    return 0;
}

/* The config's text, read once: what runs is what a checkpoint records.
 * NULL (and the file opened by path, for its usual messages) when it cannot
 * be read or is larger than a checkpoint records. */
static char *read_source(const char *path, size_t *len)
{
    int fd;
    uint64_t fsize;
    char msg[64];
    if (fileio_open_regular(path, NULL, &fd, &fsize, msg, sizeof msg)) return NULL;
    char *text = fsize <= TRAIN_SOURCE_MAX ? malloc((size_t)fsize + 1) : NULL;
    size_t got = 0;
    if (text && (fileio_read(fd, text, (size_t)fsize, &got) || got != fsize)) {
        free(text);
        text = NULL;
    }
    close(fd);
    if (text) text[got] = 0, *len = got;
    return text;
}

int train_config_load(train_config *c, const char *path, const lre_script_limits *limits, char *msg, size_t size)
{
    memset(c, 0, sizeof *c);
    snprintf(c->optimizer, sizeof c->optimizer, "sgd");
    snprintf(c->data_dir, sizeof c->data_dir, "/usr/share/datasets/fashion-mnist");
    c->validation = 5000;
    c->epochs = 5;
    c->batch_size = 128;
    c->seed = 1;
    c->log_every = 50;
    c->threads = 1;
    const char *slash = strrchr(path, '/'); /* the config's directory, for data paths */
    char dir[1024] = "";
    if (slash) snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    lre_script *s;
    lre_error err;
    c->source = read_source(path, &c->source_len);
    int orc = c->source ? lre_script_open_string(&s, c->source, c->source_len, slash ? slash + 1 : path, limits, &err)
                        : lre_script_open(&s, path, limits, &err);
    if (orc) {
        train_config_free(c);
        return fileio_fail(msg, size, "%s", err.msg);
    }
    snprintf(c->name, sizeof c->name, "%s", lre_script_name(s));
    int rc = read_config(c, s, dir, msg, size);
    lre_script_close(s); /* the schedules keep what they need of it */
    if (rc && !strncmp(msg, "config: ", 8)) { /* name the file: "fashion.lua: unknown key 'x'" */
        char what[TRAIN_MSG_SIZE];
        snprintf(what, sizeof what, "%s", msg + 8);
        snprintf(msg, size, "%s: %s", c->name, what);
    }
    if (rc) train_config_free(c);
    return rc;
}

int train_config_schedules(const char *source, size_t len, const char *name, const lre_script_limits *limits,
                           lre_schedule_set *set, char *msg, size_t size)
{
    lre_script *s;
    lre_error err;
    set->n = 0;
    if (lre_script_open_string(&s, source, len, name, limits, &err)) return fileio_fail(msg, size, "%s", err.msg);
    int rc = 0;
    if (lre_script_type(s, "") != LRE_VTABLE) rc = fileio_fail(msg, size, "%s: does not return a table", name);
    else if (lre_script_type(s, "schedule") != LRE_VNIL && lre_script_schedules(s, "schedule", set, &err))
        rc = fileio_fail(msg, size, "%s: schedule: %s", name, err.msg);
    lre_script_close(s);
    return rc;
}

void train_config_free(train_config *c)
{
    lre_schedule_set_free(&c->schedules);
    lre_schedule_release(c->avg_decay);
    c->avg_decay = NULL;
    train_config_clip_free(c);
    free(c->source);
    c->source = NULL;
    c->source_len = 0;
}
