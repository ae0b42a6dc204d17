/* fuzz_script_state.c -- libFuzzer harness for a script's saved state: the
 * decoder of state_codec.c (lre_lua_decode), reached two ways in a
 * sandboxed host with a 16 MB cap:
 *   1. directly, in a protected call in the host: the input decodes, or
 *      fails with "script state is corrupt at byte N: ..."; a value that
 *      decodes encodes, and encoding is canonical: decoding and encoding
 *      that again gives the same bytes;
 *   2. as the payload of a table schedule's saved state (a stream of the
 *      schedule with the input in place of its state and the CRC
 *      recomputed): lre_schedule_load fails with a message and changes
 *      nothing (the schedule saves the same bytes as before), or succeeds;
 *      then the schedule evaluates and observes (errors allowed), and saves
 *      (or fails with a message).
 * No crash, leak or hang.
 *
 * Seeds (tests/fuzz/corpus/script_state/) are encoded states: the payloads
 * of real saved states, written by this file built with -DLRE_FUZZ_SEEDS
 * (see the end). */
#include "host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The schedule whose state is fuzzed: it reads its state every step. */
static const char script[] =
    "local n = 0\n"
    "return {state = {count = 0, hist = {1.5, 2, 'x'}, flags = {a = true}}, at = function(self, step, ctx)\n"
    "  local s = ctx.state\n"
    "  for k, v in pairs(s) do n = n + 1 if type(v) == 'table' then for _ in pairs(v) do n = n + 1 end end end\n"
    "  s.count = (math.type(s.count) and s.count or 0) + 1\n"
    "  return 0.01 * (1 + n % 3)\n"
    "end, observe = function(self, m, ctx) ctx.state.last = m end}\n";

static lre_host *host;
static lre_schedule *sched;
static unsigned char *prefix; /* the schedule's saved stream up to its state's blob */
static size_t prefix_len;

static unsigned char *save(lre_schedule *s, size_t *n)
{
    lre_membuf b = {0};
    lre_error err;
    if (lre_schedule_save(s, lre_membuf_write, &b, &err)) {
        free(b.data);
        return NULL;
    }
    *n = b.len;
    return b.data;
}

static void setup(void)
{
    lre_script_limits limits = {0};
    limits.memory_bytes = 16u << 20;
    limits.instructions_per_call = 2000000;
    limits.seconds_per_call = 2;
    lre_error err;
    host = lre_host_new("fuzz_state.lua", &limits);
    if (!host || lre_host_dostring(host, script, sizeof script - 1, "fuzz_state.lua", &err) ||
        lre_host_toschedule(host, &sched, &err))
        abort();
    /* the stream: header (44 bytes), fingerprint, last_value, metric, blob
     * length, blob, CRC: the prefix is everything before the blob */
    size_t n;
    unsigned char *s = save(sched, &n);
    if (!s || n < 44 + 32 + 4) abort();
    prefix_len = 44 + 32;
    prefix = malloc(prefix_len);
    memcpy(prefix, s, prefix_len);
    free(s);
}

/* 1: decode, encode, decode, encode (the host's stack: the input as a
 * light userdata and its size). */
static int roundtrip(lua_State *L)
{
    const char *data = lua_touserdata(L, 1);
    size_t size = (size_t)lua_tointeger(L, 2);
    lre_lua_decode(L, data, size);
    lre_lua_encode(L, -1, "state");
    size_t n1, n2;
    const char *e1 = lua_tolstring(L, -1, &n1);
    lre_lua_decode(L, e1, n1);
    lre_lua_encode(L, -1, "state");
    const char *e2 = lua_tolstring(L, -1, &n2);
    if (n1 != n2 || memcmp(e1, e2, n1) != 0) abort(); /* encoding is not canonical */
    return 0;
}

static void direct(const uint8_t *data, size_t size)
{
    lua_State *L = lre_host_state(host);
    lua_pushcfunction(L, roundtrip);
    lua_pushlightuserdata(L, (void *)data);
    lua_pushinteger(L, (lua_Integer)size);
    lre_error err;
    if (lre_host_pcall(host, 2, 0, 0, &err) == LRE_OK) return;
    /* a refusal says where; an encoding refusal (a decoded value the
     * encoder will not write) would be a load that cannot be saved */
    if (!strstr(err.msg, "script state is corrupt at byte") && !strstr(err.msg, "memory limit") &&
        !strstr(err.msg, "instruction budget") && !strstr(err.msg, "stack overflow"))
        abort();
}

static void through_load(const uint8_t *data, size_t size)
{
    size_t len = prefix_len + size + 4;
    unsigned char *stream = malloc(len);
    memcpy(stream, prefix, prefix_len);
    uint64_t blob = size, payload = 32 + size;
    memcpy(stream + prefix_len - 8, &blob, 8);
    memcpy(stream + 36, &payload, 8);
    if (size) memcpy(stream + prefix_len, data, size);
    uint32_t crc = lre_crc32(0, stream, len - 4);
    memcpy(stream + len - 4, &crc, 4);

    size_t before_n, after_n;
    unsigned char *before = save(sched, &before_n);
    lre_memreader r = {stream, len, 0};
    lre_error err;
    err.msg[0] = 0;
    int rc = lre_schedule_load(sched, lre_memreader_read, &r, &err);
    if (rc) {
        if (!err.msg[0]) abort();
        unsigned char *after = save(sched, &after_n);
        if (!before != !after || (before && (before_n != after_n || memcmp(before, after, before_n)))) abort();
        free(after);
    } else {
        double v;
        for (int64_t t = 0; t < 3; t++) {
            if (lre_schedule_eval(sched, t, &v, &err) && !err.msg[0]) abort();
            if (lre_schedule_observe(sched, 0.5 * (double)t, t + 1, &err) && !err.msg[0]) abort();
        }
        free(save(sched, &after_n));
    }
    free(before);
    free(stream);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!host) setup();
    direct(data, size);
    through_load(data, size);
    return 0;
}

#ifdef LRE_FUZZ_SEEDS
/* Writes the seeds: the state blobs of a few real saved states. */
int main(int argc, char **argv)
{
    static const char *const states[] = {
        "{}",
        "{count = 3, hist = {1.5, 2, 'x'}, flags = {a = true, b = false}}",
        "{n = math.maxinteger, f = -0.0, nan = 0/0, inf = math.huge, s = 'a\\0b', [1] = 1, [2.5] = 'x', [true] = {}}",
        "(function() local t = {} local c = t for i = 1, 63 do c.x = {} c = c.x end c.leaf = 1 return t end)()",
        "(function() local t = {} for i = 1, 200 do t[i] = {i, tostring(i)} end return t end)()",
    };
    if (argc < 2) return 2;
    for (size_t i = 0; i < sizeof states / sizeof *states; i++) {
        lre_host *h = lre_host_new("seed", NULL);
        lua_State *L = lre_host_state(h);
        char chunk[512];
        snprintf(chunk, sizeof chunk, "return %s", states[i]);
        lre_error err;
        if (lre_host_dostring(h, chunk, strlen(chunk), "seed", &err)) return 1;
        lre_lua_encode(L, -1, "state");
        size_t n;
        const char *e = lua_tolstring(L, -1, &n);
        char path[512];
        snprintf(path, sizeof path, "%s/seed%zu", argv[1], i);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(e, 1, n, f) != n || fclose(f)) return 1;
        lre_host_release(h);
    }
    return 0;
}
#endif
