/* fuzz_checkpoint.c -- libFuzzer harness for the training job's checkpoint
 * reader (ckpt_read), with the model the input's header names (its
 * fingerprint, up to 4096 parameters) and the optimizer of the seeds' config
 * (AdamW, one float32 group). Each input is read as given, then again with
 * its checksums recomputed (the core stream's, then the checkpoint's) so
 * that mutations reach the checks behind them. Properties: no crash, leak
 * or hang, no allocation sized by the input beyond the file; a refusal
 * leaves a message naming the file and changes nothing (parameters,
 * counters, the optimizer's saved state byte for byte); a checkpoint that
 * loads can be written back and read again, its plan's history (format 4)
 * with it, record for record. Seeds (tests/fuzz/corpus/checkpoint/):
 * checkpoints of `lrengine train` on tiny CSV configs (softmax and a 4-3-2
 * MLP on 400 synthetic rows, AdamW), written by tests/fuzz/seeds_checkpoint.lua
 * (`lua5.4 tests/fuzz/seeds_checkpoint.lua` after `make`; run it again when
 * the optimizer's stream or the plan's layout changes), which resumes each
 * with the binary on the config that wrote it: format 2 (the run's
 * checkpoint with its plan block taken out, as a build without plans wrote
 * it) and format 4 (a plan, one continued twice: cooldown and replace). */
#include "checkpoint.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXP 4096

static char dir[64], path[128], again[128];

static void cleanup(void)
{
    unlink(path);
    unlink(again);
    rmdir(dir);
}

static void put(const char *p, const uint8_t *data, size_t size)
{
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) || close(fd)) abort();
}

static uint64_t u64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static unsigned char *saved(lre_optim *o, size_t *n)
{
    lre_membuf b = {0};
    if (lre_optim_save(o, lre_membuf_write, &b)) abort();
    *n = b.len;
    return b.data;
}

/* Recomputes the core stream's CRC (where its frame fits) and the checkpoint's. */
static void fix_checksums(uint8_t *b, size_t size, size_t np)
{
    size_t off = (b[7] == '2' ? 80 : 88) + np * 4;
    if (size >= off + 48 + 4) {
        uint64_t plen = u64(b + off + 36);
        if (plen <= size - 4 - off - 48) {
            uint32_t crc = lre_crc32(0, b + off, 44 + (size_t)plen);
            memcpy(b + off + 44 + plen, &crc, 4);
        }
    }
    uint32_t crc = lre_crc32(0, b, size - 4);
    memcpy(b + size - 4, &crc, 4);
}

static void read_once(const uint8_t *data, size_t size, size_t np, uint64_t fp)
{
    static float w[MAXP], g[MAXP], w0[MAXP];
    for (size_t i = 0; i < np; i++) w[i] = w0[i] = (float)i * 0.25f - 1, g[i] = 0.5f - (float)(i % 3);
    lre_optim *o;
    lre_param p[] = {{"lr", 3e-3, NULL, 0, NULL, NULL}};
    if (lre_optim_new(&o, "adamw", p, 1, NULL) || lre_optim_add_group(o, LRE_F32, w, g, np, NULL, 0, NULL)) abort();
    size_t n1, n2;
    unsigned char *s1 = saved(o, &n1);
    put(path, data, size);
    ckpt_counters c = {fp, 7, 6, 5, 4}, c0 = c;
    char msg[1024] = "";
    train_plan plan = {0}, plan2 = {0};
    if (ckpt_read(path, &c, w, np, o, &plan, msg, sizeof msg)) {
        if (plan.n) abort(); /* a refusal gives no plan */
        unsigned char *s2 = saved(o, &n2);
        if (!strstr(msg, path) || memcmp(&c, &c0, sizeof c) || memcmp(w, w0, np * sizeof(float)) || n1 != n2 ||
            memcmp(s1, s2, n1))
            abort();
        free(s2);
    } else {
        if (getenv("LRE_FUZZ_VERBOSE")) fprintf(stderr, "loaded: %zu parameters\n", np);
        if (ckpt_write(again, &c, w, np, o, &plan, msg, sizeof msg)) abort();
        ckpt_counters c2 = {fp, 0, 0, 0, 0};
        if (ckpt_read(again, &c2, w, np, o, &plan2, msg, sizeof msg) || memcmp(&c, &c2, sizeof c)) abort();
        if (plan.n != plan2.n) abort();
        for (int i = 0; i < plan.n; i++) {
            const plan_record *x = &plan.r[i], *y = &plan2.r[i];
            if (x->op != y->op || x->at != y->at || x->total != y->total || x->hash != y->hash ||
                x->source_len != y->source_len || memcmp(x->source, y->source, x->source_len) ||
                strcmp(x->name, y->name) || strcmp(x->overrides, y->overrides) || strcmp(x->schedules, y->schedules))
                abort();
        }
    }
    plan_free(&plan);
    plan_free(&plan2);
    if (getenv("LRE_FUZZ_VERBOSE")) fprintf(stderr, "%s\n", msg);
    free(s1);
    lre_optim_free(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        strcpy(dir, "/tmp/lre-fuzz-ckpt-XXXXXX");
        if (!mkdtemp(dir)) abort();
        snprintf(path, sizeof path, "%s/input.ckpt", dir);
        snprintf(again, sizeof again, "%s/again.ckpt", dir);
        atexit(cleanup);
    }
    /* the model the header names, when it is a plausible one */
    size_t np = 10;
    uint64_t fp = 0;
    if (size >= 32) fp = u64(data + 24);
    if (size >= 72 && u64(data + 64) >= 1 && u64(data + 64) <= MAXP) np = (size_t)u64(data + 64);
    read_once(data, size, np, fp);
    if (size >= 92) {
        uint8_t *b = malloc(size);
        memcpy(b, data, size);
        fix_checksums(b, size, np);
        read_once(b, size, np, fp);
        free(b);
    }
    return 0;
}
