/* config.c -- a training config: a Lua script, run in the sandbox with
 * lrengine available, that returns a table. Every key is checked: an unknown
 * key or a value of the wrong type is refused with a message naming it. */
#include "train.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

static int fail(char *msg, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, size, fmt, ap);
    va_end(ap);
    return -1;
}

/* Checks that table t has only keys from `allowed` (NULL-terminated). */
static int check_keys(lua_State *L, int t, const char *where, const char *const *allowed, char *msg, size_t size)
{
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) {
            lua_pop(L, 1);
            return fail(msg, size, "config: %s has a key that is not a name", where);
        }
        const char *k = lua_tostring(L, -1);
        int ok = 0;
        for (const char *const *a = allowed; *a && !ok; a++) ok = !strcmp(*a, k);
        if (!ok) {
            int rc = fail(msg, size, "config: unknown key '%s%s%s'", where[0] ? where : "", where[0] ? "." : "", k);
            lua_pop(L, 1);
            return rc;
        }
    }
    return 0;
}

/* Reads an optional whole number field of table t. */
static int get_count(lua_State *L, int t, const char *where, const char *key, long long *out, long long lo,
                     char *msg, size_t size)
{
    int type = lua_getfield(L, t, key);
    int rc = 0;
    if (type != LUA_TNIL) {
        lua_Integer v;
        int isint = lua_isinteger(L, -1) || (type == LUA_TNUMBER && lua_tonumber(L, -1) == floor(lua_tonumber(L, -1)));
        v = (lua_Integer)lua_tonumber(L, -1);
        if (type != LUA_TNUMBER || !isint || v < lo)
            rc = fail(msg, size, "config: %s%s%s must be a whole number >= %lld", where, where[0] ? "." : "", key, lo);
        else
            *out = v;
    }
    lua_pop(L, 1);
    return rc;
}

static int get_string(lua_State *L, int t, const char *where, const char *key, char *out, size_t outsize, char *msg,
                      size_t size)
{
    int type = lua_getfield(L, t, key);
    int rc = 0;
    if (type == LUA_TSTRING) snprintf(out, outsize, "%s", lua_tostring(L, -1));
    else if (type != LUA_TNIL) rc = fail(msg, size, "config: %s.%s must be a string", where, key);
    lua_pop(L, 1);
    return rc;
}

static int read_data(train_config *c, lua_State *L, int t, char *msg, size_t size)
{
    static const char *const keys[] = {"source", "dir", "train", "test", "validation", "limit", "test_limit", NULL};
    if (check_keys(L, t, "data", keys, msg, size)) return -1;
    char source[32] = "fashion-mnist";
    if (get_string(L, t, "data", "source", source, sizeof source, msg, size)) return -1;
    if (!strcmp(source, "csv")) c->csv = 1;
    else if (strcmp(source, "fashion-mnist")) return fail(msg, size, "config: data.source must be 'fashion-mnist' or 'csv'");
    if (get_string(L, t, "data", "dir", c->data_dir, sizeof c->data_dir, msg, size) ||
        get_string(L, t, "data", "train", c->train_path, sizeof c->train_path, msg, size) ||
        get_string(L, t, "data", "test", c->test_path, sizeof c->test_path, msg, size) ||
        get_count(L, t, "data", "validation", &c->validation, 0, msg, size) ||
        get_count(L, t, "data", "limit", &c->limit, 1, msg, size) ||
        get_count(L, t, "data", "test_limit", &c->test_limit, 1, msg, size))
        return -1;
    if (c->csv && (!c->train_path[0] || !c->test_path[0]))
        return fail(msg, size, "config: data.train and data.test name the CSV files");
    return 0;
}

static int read_model(train_config *c, lua_State *L, int t, char *msg, size_t size)
{
    static const char *const keys[] = {"kind", "hidden", NULL};
    if (check_keys(L, t, "model", keys, msg, size)) return -1;
    char kind[32] = "mlp";
    if (get_string(L, t, "model", "kind", kind, sizeof kind, msg, size)) return -1;
    if (!strcmp(kind, "softmax")) return 0;
    if (strcmp(kind, "mlp")) return fail(msg, size, "config: model.kind must be 'mlp' or 'softmax'");
    int type = lua_getfield(L, t, "hidden");
    if (type == LUA_TNIL) {
        c->hidden[0] = 256;
        c->nhidden = 1;
    } else if (type != LUA_TTABLE) {
        return fail(msg, size, "config: model.hidden must be a list of layer widths");
    } else {
        lua_Integer n = luaL_len(L, -1);
        if (n < 1 || n > MLP_MAX_LAYERS - 1)
            return fail(msg, size, "config: model.hidden must list 1 to %d widths", MLP_MAX_LAYERS - 1);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_geti(L, -1, i);
            if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > 65536)
                return fail(msg, size, "config: model.hidden[%d] must be a whole number in [1, 65536]", (int)i);
            c->hidden[c->nhidden++] = (size_t)lua_tointeger(L, -1);
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
    return 0;
}

/* optimizer = {"adamw", lr = 1e-3, weight_decay = 0.01} (or kind = "adamw");
 * numbers, booleans and pairs here, schedules under `schedule`. */
static int read_optimizer(train_config *c, lua_State *L, int t, char *msg, size_t size)
{
    if (lua_geti(L, t, 1) == LUA_TSTRING) snprintf(c->optimizer, sizeof c->optimizer, "%s", lua_tostring(L, -1));
    lua_pop(L, 1);
    if (get_string(L, t, "optimizer", "kind", c->optimizer, sizeof c->optimizer, msg, size)) return -1;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        if (lua_type(L, -2) != LUA_TSTRING || !strcmp(lua_tostring(L, -2), "kind")) {
            lua_pop(L, 1);
            continue;
        }
        const char *k = lua_tostring(L, -2);
        if (c->nhps == TRAIN_MAX_HPS) return fail(msg, size, "config: optimizer has too many parameters");
        lre_param *p = &c->hps[c->nhps];
        memset(p, 0, sizeof *p);
        snprintf(c->hp_names[c->nhps], sizeof c->hp_names[0], "%s", k);
        p->name = c->hp_names[c->nhps];
        int type = lua_type(L, -1);
        if (type == LUA_TNUMBER || type == LUA_TBOOLEAN) {
            p->value = type == LUA_TBOOLEAN ? lua_toboolean(L, -1) : lua_tonumber(L, -1);
        } else if (type == LUA_TTABLE && luaL_len(L, -1) == 2) {
            for (int i = 0; i < 2; i++) {
                lua_geti(L, -1, i + 1);
                if (!lua_isnumber(L, -1)) return fail(msg, size, "config: optimizer.%s[%d] must be a number", k, i + 1);
                c->hp_lists[c->nhps][i] = lua_tonumber(L, -1);
                lua_pop(L, 1);
            }
            p->list = c->hp_lists[c->nhps];
            p->len = 2;
        } else {
            return fail(msg, size, "config: optimizer.%s must be a number, a boolean or a pair (schedules go in 'schedule')", k);
        }
        c->nhps++;
        lua_pop(L, 1);
    }
    /* let the engine validate names and ranges now, with its messages */
    lre_optim *o;
    lre_error err;
    if (lre_optim_new(&o, c->optimizer, c->hps, (size_t)c->nhps, &err)) return fail(msg, size, "config: optimizer: %s", err.msg);
    lre_optim_free(o);
    return 0;
}

int train_config_load(train_config *c, const char *path, char *msg, size_t size)
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
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    c->host = lre_host_new(base, NULL);
    if (!c->host) return fail(msg, size, "out of memory");
    lre_error err;
    if (lre_host_dofile(c->host, path, &err)) return fail(msg, size, "%s", err.msg);
    lua_State *L = lre_host_state(c->host);
    int t = lua_gettop(L);
    if (!lua_istable(L, t)) return fail(msg, size, "config: %s must return a table", base);
    static const char *const keys[] = {"data", "model", "optimizer", "schedule", "epochs", "batch_size", "seed",
                                       "observe", "log_every", "threads", NULL};
    if (check_keys(L, t, "", keys, msg, size)) return -1;
    if (get_count(L, t, "", "epochs", &c->epochs, 0, msg, size) ||
        get_count(L, t, "", "batch_size", &c->batch_size, 1, msg, size) ||
        get_count(L, t, "", "seed", &c->seed, 0, msg, size) ||
        get_count(L, t, "", "log_every", &c->log_every, 1, msg, size) ||
        get_count(L, t, "", "threads", &c->threads, 1, msg, size))
        return -1;
    struct { const char *key; int (*read)(train_config *, lua_State *, int, char *, size_t); } parts[] = {
        {"data", read_data}, {"model", read_model}, {"optimizer", read_optimizer}};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        int type = lua_getfield(L, t, parts[i].key);
        if (type != LUA_TNIL && type != LUA_TTABLE) return fail(msg, size, "config: %s must be a table", parts[i].key);
        if (type == LUA_TTABLE && parts[i].read(c, L, lua_gettop(L), msg, size)) return -1;
        lua_pop(L, 1);
    }
    char observe[32] = "";
    if (get_string(L, t, "", "observe", observe, sizeof observe, msg, size)) return -1;
    if (!strcmp(observe, "val_loss")) c->observe = OBSERVE_VAL_LOSS;
    else if (!strcmp(observe, "val_acc")) c->observe = OBSERVE_VAL_ACC;
    else if (observe[0]) return fail(msg, size, "config: observe must be 'val_loss' or 'val_acc'");
    if (lua_getfield(L, t, "schedule") != LUA_TNIL) {
        if (cli_schedules_from_value(c->host, base, &c->schedules, &err))
            return fail(msg, size, "config: schedule: %s", err.msg);
    } else {
        lua_pop(L, 1);
    }
    lua_settop(L, t - 1);
    return 0;
}

void train_config_free(train_config *c)
{
    cli_free_schedules(&c->schedules);
    lre_host_release(c->host);
    c->host = NULL;
}
