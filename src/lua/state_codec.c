/* state_codec.c -- a script's `state` table as bytes and back: numbers
 * (integers and floats kept apart, as Lua 5.4 does), strings, booleans and
 * nested tables of them. Keys are written in sorted order so that equal
 * tables give equal bytes (Lua's traversal order depends on a per-state hash
 * seed), which keeps checkpoints byte-identical across runs.
 *
 *   'I' int64 | 'N' double | 'S' u32 length, bytes | 'T' | 'F'
 *   '{' u32 count, then count (key, value) pairs
 *
 * The state must be a tree: a table reached twice (a cycle, or one table
 * shared by two fields) is refused with the path of its second place, as is
 * nesting deeper than MAX_DEPTH; without that a few shared tables would
 * encode to exponentially many bytes. */
#include "lrengine_lua.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

typedef struct key_entry {
    int type;
    double num;
    lua_Integer ival; /* an integer key's value; isint says it is one */
    int isint;
    const char *str;
    size_t len;
    lua_Integer pos; /* where the key is in the key list */
} key_entry;

static int key_cmp(const void *pa, const void *pb)
{
    const key_entry *a = pa, *b = pb;
    if (a->type != b->type) return a->type < b->type ? -1 : 1;
    if (a->type == LUA_TBOOLEAN) return a->num < b->num ? -1 : a->num > b->num;
    if (a->type == LUA_TNUMBER) {
        /* by value as a double, then (integers beyond 2^53 that round to the
         * same double, or an integer and a float equal to it) integers first,
         * in order: a total order, so the bytes are the table's alone */
        if (a->num != b->num) return a->num < b->num ? -1 : 1;
        if (a->isint != b->isint) return a->isint ? -1 : 1;
        return a->ival < b->ival ? -1 : a->ival > b->ival;
    }
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->str, b->str, n);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* The output grows in a C buffer owned by a userdata on the stack, so a Lua
 * error half-way frees it (luaL_Buffer would forbid the stack use below). */
#define BOX_MT "lrengine.codecbuffer"

static int box_gc(lua_State *L)
{
    lre_membuf *b = lua_touserdata(L, 1);
    free(b->data);
    b->data = NULL;
    return 0;
}

static void add(lua_State *L, lre_membuf *b, const void *p, size_t n)
{
    if (lre_membuf_write(b, p, n)) luaL_error(L, "out of memory");
}

static void add_char(lua_State *L, lre_membuf *b, char c) { add(L, b, &c, 1); }
static void put_u32(lua_State *L, lre_membuf *b, uint32_t v) { add(L, b, &v, sizeof v); }

/* Appends the value at idx; `path` names it in errors ("state.a[3]"); the
 * table at `seen` holds every table encoded so far. */
static void encode(lua_State *L, lre_membuf *b, int seen, int idx, const char *path, int depth)
{
    idx = lua_absindex(L, idx);
    luaL_checkstack(L, 8, path);
    switch (lua_type(L, idx)) {
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            int64_t v = (int64_t)lua_tointeger(L, idx);
            add_char(L, b, 'I');
            add(L, b, (const char *)&v, sizeof v);
        } else {
            double v = lua_tonumber(L, idx);
            add_char(L, b, 'N');
            add(L, b, (const char *)&v, sizeof v);
        }
        return;
    case LUA_TBOOLEAN: add_char(L, b, lua_toboolean(L, idx) ? 'T' : 'F'); return;
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        if (len > UINT32_MAX) luaL_error(L, "%s: string too long to save", path);
        add_char(L, b, 'S');
        put_u32(L, b, (uint32_t)len);
        add(L, b, s, len);
        return;
    }
    case LUA_TTABLE: break;
    default: luaL_error(L, "%s: can not save a %s (only numbers, strings, booleans and tables)", path, luaL_typename(L, idx));
    }
    if (depth >= MAX_DEPTH) luaL_error(L, "%s: tables nested more than %d deep", path, MAX_DEPTH);
    lua_pushvalue(L, idx);
    if (lua_rawget(L, seen) != LUA_TNIL)
        luaL_error(L, "%s: this table appears twice in the state (a cycle or a shared table); the state must be a tree",
                   path);
    lua_pop(L, 1);
    lua_pushvalue(L, idx);
    lua_pushboolean(L, 1);
    lua_rawset(L, seen);
    /* collect and sort the keys */
    lua_newtable(L);
    int keys = lua_gettop(L);
    lua_Integer n = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        int kt = lua_type(L, -1);
        if (kt != LUA_TNUMBER && kt != LUA_TSTRING && kt != LUA_TBOOLEAN)
            luaL_error(L, "%s: can not save a table with a %s key", path, luaL_typename(L, -1));
        lua_pushvalue(L, -1);
        lua_rawseti(L, keys, ++n);
    }
    key_entry *e = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof *e, 0);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, keys, i);
        e[i - 1].type = lua_type(L, -1);
        e[i - 1].pos = i;
        e[i - 1].str = NULL;
        e[i - 1].len = 0;
        e[i - 1].isint = lua_isinteger(L, -1);
        e[i - 1].ival = e[i - 1].isint ? lua_tointeger(L, -1) : 0;
        if (e[i - 1].type == LUA_TSTRING) e[i - 1].str = lua_tolstring(L, -1, &e[i - 1].len); /* anchored in keys */
        else if (e[i - 1].type == LUA_TBOOLEAN) e[i - 1].num = lua_toboolean(L, -1);
        else e[i - 1].num = lua_tonumber(L, -1);
        lua_pop(L, 1);
    }
    qsort(e, (size_t)n, sizeof *e, key_cmp);
    add_char(L, b, '{');
    put_u32(L, b, (uint32_t)n);
    for (lua_Integer i = 0; i < n; i++) {
        lua_rawgeti(L, keys, e[i].pos);
        int k = lua_gettop(L);
        encode(L, b, seen, k, path, depth + 1);
        const char *sub = e[i].type == LUA_TSTRING ? lua_pushfstring(L, "%s.%s", path, e[i].str)
                                                   : lua_pushfstring(L, "%s[%s]", path, luaL_tolstring(L, k, NULL));
        lua_pushvalue(L, k);
        lua_rawget(L, idx);
        encode(L, b, seen, -1, sub, depth + 1);
        lua_settop(L, k - 1);
    }
    lua_settop(L, keys - 1);
}

void lre_lua_encode(lua_State *L, int idx, const char *what)
{
    idx = lua_absindex(L, idx);
    lre_membuf *b = lua_newuserdatauv(L, sizeof *b, 0);
    memset(b, 0, sizeof *b);
    if (luaL_newmetatable(L, BOX_MT)) {
        lua_pushcfunction(L, box_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    lua_newtable(L); /* the tables seen */
    encode(L, b, lua_gettop(L), idx, what, 0);
    lua_pop(L, 1);
    lua_pushlstring(L, b->data ? (const char *)b->data : "", b->len);
    lua_remove(L, -2); /* the box: collected later, freeing the buffer */
}

/* ---- decoding ---- */

typedef struct reader {
    const unsigned char *start, *p, *end;
} reader;

static int corrupt(lua_State *L, const reader *r, const char *what)
{
    return luaL_error(L, "script state is corrupt at byte %I: %s", (lua_Integer)(r->p - r->start), what);
}

static const unsigned char *take(lua_State *L, reader *r, size_t n)
{
    if ((size_t)(r->end - r->p) < n) corrupt(L, r, "cut short");
    const unsigned char *q = r->p;
    r->p += n;
    return q;
}

static void decode(lua_State *L, reader *r, int depth)
{
    if (depth > MAX_DEPTH) corrupt(L, r, "nested too deeply");
    luaL_checkstack(L, 4, "script state nested too deeply");
    char tag = (char)*take(L, r, 1);
    switch (tag) {
    case 'I': {
        int64_t v;
        memcpy(&v, take(L, r, sizeof v), sizeof v);
        lua_pushinteger(L, (lua_Integer)v);
        return;
    }
    case 'N': {
        double v;
        memcpy(&v, take(L, r, sizeof v), sizeof v);
        lua_pushnumber(L, v);
        return;
    }
    case 'T': lua_pushboolean(L, 1); return;
    case 'F': lua_pushboolean(L, 0); return;
    case 'S': {
        uint32_t len;
        memcpy(&len, take(L, r, sizeof len), sizeof len);
        lua_pushlstring(L, (const char *)take(L, r, len), len);
        return;
    }
    case '{': {
        /* as the encoder: a table nested MAX_DEPTH deep would load, then not save */
        if (depth >= MAX_DEPTH) r->p--, corrupt(L, r, "tables nested too deeply");
        uint32_t n;
        memcpy(&n, take(L, r, sizeof n), sizeof n);
        if (n > (size_t)(r->end - r->p) / 2) corrupt(L, r, "a table larger than the bytes left");
        lua_createtable(L, 0, n < (1u << 24) ? (int)n : 1 << 24);
        for (uint32_t i = 0; i < n; i++) {
            if (r->p < r->end && *r->p == '{') corrupt(L, r, "a table as a key");
            decode(L, r, depth + 1);
            if (lua_type(L, -1) == LUA_TNUMBER && lua_tonumber(L, -1) != lua_tonumber(L, -1))
                corrupt(L, r, "a NaN key");
            decode(L, r, depth + 1);
            lua_rawset(L, -3);
        }
        return;
    }
    default: r->p--, corrupt(L, r, "unknown tag");
    }
}

void lre_lua_decode(lua_State *L, const char *data, size_t len)
{
    reader r = {(const unsigned char *)data, (const unsigned char *)data, (const unsigned char *)data + len};
    decode(L, &r, 0);
    if (r.p != r.end) corrupt(L, &r, "trailing bytes");
}
