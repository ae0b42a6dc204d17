/* test_checkpoint.c -- the training job's checkpoints: an exact round trip,
 * equal bytes for equal runs, every hostile file refused with its offset and
 * nothing changed (parameters, counters, optimizer), and writes that leave
 * no temporaries and keep the previous checkpoint when the disk is full. The
 * plan's history (format 4) round-trips and is refused when hostile; a
 * format 2 checkpoint (no plan) still reads. */
#include "checkpoint.h"
#include "test.h"
#include "test_files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NP 1000
#define FP 0x1234abcdULL

static char dir[64];
static char msg[1024];

static const char *at(const char *name)
{
    static char paths[8][512];
    static int k;
    char *p = paths[k++ % 8];
    snprintf(p, 512, "%s/%s", dir, name);
    return p;
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)len + 1);
    *n = fread(b, 1, (size_t)len, f);
    fclose(f);
    return b;
}

static void put(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (n && fwrite(data, 1, n, f) != n) abort();
    fclose(f);
}

/* A model: NP parameters and an AdamW optimizer that has taken `steps` steps. */
typedef struct model {
    float w[NP], g[NP];
    lre_optim *opt;
} model;

static int model_init(model *m, int steps)
{
    lre_param p[] = {{"lr", 1e-2, NULL, 0, NULL, NULL}, {"weight_decay", 0.01, NULL, 0, NULL, NULL}};
    if (lre_optim_new(&m->opt, "adamw", p, 2, NULL)) return -1;
    for (int i = 0; i < NP; i++) m->w[i] = (float)i / NP, m->g[i] = 0;
    if (lre_optim_add_group(m->opt, LRE_F32, m->w, m->g, NP, NULL, 0, NULL)) return -1;
    for (int s = 0; s < steps; s++) {
        for (int i = 0; i < NP; i++) m->g[i] = m->w[i] - (float)((i * 7 + s) % 13) / 13;
        if (lre_optim_step(m->opt)) return -1;
    }
    return 0;
}

/* The optimizer's whole state, as bytes. */
static unsigned char *opt_state(lre_optim *o, size_t *n)
{
    lre_membuf b = {0};
    if (lre_optim_save(o, lre_membuf_write, &b)) abort();
    *n = b.len;
    return b.data;
}

static const ckpt_counters counters = {FP, 3, 17, 12.5, 40};

/* A good checkpoint at `path` of a model after 5 steps; its bytes in *bytes. */
static unsigned char *good_checkpoint(const char *path, size_t *n)
{
    model m;
    if (model_init(&m, 5)) abort();
    if (ckpt_write(path, &counters, m.w, NP, m.opt, NULL, msg, sizeof msg)) {
        fprintf(stderr, "%s\n", msg);
        abort();
    }
    lre_optim_free(m.opt);
    return slurp(path, n);
}

static void u64_at(unsigned char *b, size_t off, uint64_t v) { memcpy(b + off, &v, 8); }

/* Rewrites the trailing CRC so that only the intended damage remains. */
static void fix_crc(unsigned char *b, size_t n)
{
    uint32_t crc = lre_crc32(0, b, n - 4);
    memcpy(b + n - 4, &crc, 4);
}

static void round_trip_is_exact_and_bytes_are_reproducible(void)
{
    size_t n1, n2, s1, s2;
    unsigned char *a = good_checkpoint(at("a.ckpt"), &n1), *b = good_checkpoint(at("b.ckpt"), &n2);
    ASSERT(a && b && n1 == n2 && !memcmp(a, b, n1));
    free(a), free(b);
    model src, dst;
    ASSERT_EQ(model_init(&src, 5), 0);
    ASSERT_EQ(model_init(&dst, 0), 0);
    ckpt_counters c = {FP, 0, 0, 0, 0};
    ASSERT_EQ(ckpt_read(at("a.ckpt"), &c, dst.w, NP, dst.opt, NULL, msg, sizeof msg), 0);
    ASSERT(!memcmp(&c, &counters, sizeof c));
    ASSERT(!memcmp(src.w, dst.w, sizeof src.w));
    unsigned char *x = opt_state(src.opt, &s1), *y = opt_state(dst.opt, &s2);
    int same = s1 == s2 && !memcmp(x, y, s1);
    free(x), free(y);
    lre_optim_free(src.opt), lre_optim_free(dst.opt);
    ASSERT(same);
}

/* Loads path into a fresh model and expects a refusal containing `expected`,
 * with nothing changed. */
static int refused_unchanged(const char *path, const char *expected)
{
    model m;
    if (model_init(&m, 2)) return 0;
    float before[NP];
    memcpy(before, m.w, sizeof before);
    size_t s1, s2;
    unsigned char *st1 = opt_state(m.opt, &s1);
    ckpt_counters c = {FP, 99, 98, 97, 96}, c0 = c;
    int rc = ckpt_read(path, &c, m.w, NP, m.opt, NULL, msg, sizeof msg);
    unsigned char *st2 = opt_state(m.opt, &s2);
    int ok = rc == -1 && strstr(msg, expected) && !memcmp(before, m.w, sizeof before) && !memcmp(&c, &c0, sizeof c) &&
             s1 == s2 && !memcmp(st1, st2, s1) && strstr(msg, path);
    if (!ok) fprintf(stderr, "  rc %d, message \"%s\", expected \"%s\"\n", rc, msg, expected);
    free(st1), free(st2);
    lre_optim_free(m.opt);
    return ok;
}

/* Writes b (n bytes) to name, with the CRC fixed when fix is set, and checks the refusal. */
static int hostile(const char *name, unsigned char *b, size_t n, int fix, const char *expected)
{
    if (fix) fix_crc(b, n);
    const char *p = at(name);
    put(p, b, n);
    return refused_unchanged(p, expected);
}

static void refuses_lengths_claiming_a_terabyte_before_allocating(void)
{
    size_t n;
    unsigned char *g = good_checkpoint(at("g.ckpt"), &n), *b = malloc(n);
    size_t opt_at = 88 + NP * 4;
    /* the checkpoint's own length of the optimizer state */
    memcpy(b, g, n), u64_at(b, 72, (uint64_t)1 << 40);
    ASSERT(hostile("tb1.ckpt", b, n, 1, "offset 72: an optimizer state of 1099511627776 bytes, expected 48 to"));
    /* the same in a 1 KB file */
    ASSERT(hostile("tb2.ckpt", b, 1024, 0, "offset 72: an optimizer state of 1099511627776 bytes"));
    /* the core stream's inner length, with every checksum made right */
    memcpy(b, g, n), u64_at(b, opt_at + 36, (uint64_t)1 << 40);
    ASSERT(hostile("tb3.ckpt", b, n, 1, "the optimizer state declares 1099511627776 bytes, the checkpoint holds"));
    /* a parameter count of 2^61 (4 x 2^61 overflows 64 bits) */
    memcpy(b, g, n), u64_at(b, 64, (uint64_t)1 << 61);
    ASSERT(hostile("tb4.ckpt", b, n, 1, "offset 64: holds 2305843009213693952 parameters, the model has 1000"));
    free(g), free(b);
}

static void refuses_truncated_damaged_and_foreign_checkpoints(void)
{
    size_t n;
    unsigned char *g = good_checkpoint(at("g.ckpt"), &n), *b = malloc(n + 16);
    ASSERT(hostile("h1.ckpt", g, 40, 0, "damaged: truncated header: 40 of 88 bytes"));
    ASSERT(hostile("h2.ckpt", g, 0, 0, "damaged: the file is empty"));
    char expect[200];
    snprintf(expect, sizeof expect, "damaged: truncated: the header declares %zu bytes, the file holds %zu", n, n / 2);
    ASSERT(hostile("half.ckpt", g, n / 2, 0, expect));
    memcpy(b, g, n), b[n] = 'x';
    snprintf(expect, sizeof expect, "damaged: offset %zu: data after the end", n);
    ASSERT(hostile("long.ckpt", b, n + 1, 0, expect));
    memcpy(b, g, n), b[100] ^= 1;
    ASSERT(hostile("flip.ckpt", b, n, 0, "damaged (checksum mismatch at offset"));
    memcpy(b, g, n), u64_at(b, 24, FP + 1);
    ASSERT(hostile("other.ckpt", b, n, 1, "offset 24: belongs to another configuration"));
    memcpy(b, g, n), memcpy(b, "LRENGINE", 8);
    ASSERT(hostile("magic.ckpt", b, n, 1, "offset 0: not an lrengine checkpoint (expected 'LRECKPT', got 'LRENGIN')"));
    memcpy(b, g, n), b[7] = '1';
    ASSERT(hostile("v1.ckpt", b, n, 1, "offset 7: checkpoint format version '1', this build reads versions '2' to '4'"));
    memcpy(b, g, n), u64_at(b, 8, 0x0807060504030201ull);
    ASSERT(hostile("endian.ckpt", b, n, 1, "offset 8: written on a machine with another byte order"));
    /* damage inside the optimizer's stream, the outer CRC made right: the core's own check */
    memcpy(b, g, n), b[88 + NP * 4 + 60] ^= 0x40;
    ASSERT(hostile("core.ckpt", b, n, 1, "offset 4088: state is corrupt: checksum mismatch"));
    /* a checkpoint of another model size */
    model m;
    ASSERT_EQ(model_init(&m, 1), 0);
    ASSERT_EQ(ckpt_write(at("small.ckpt"), &counters, m.w, NP / 2, m.opt, NULL, msg, sizeof msg), 0);
    lre_optim_free(m.opt);
    ASSERT(refused_unchanged(at("small.ckpt"), "offset 64: holds 500 parameters, the model has 1000"));
    free(g), free(b);
}

static void refuses_what_is_not_a_regular_file(void)
{
    char fifo[600];
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    mkfifo(fifo, 0644);
    ASSERT(refused_unchanged("/dev/zero", "checkpoint /dev/zero: not a regular file (a character device)"));
    ASSERT(refused_unchanged(dir, "not a regular file (a directory)"));
    ASSERT(refused_unchanged(fifo, "not a regular file (a FIFO)"));
    ASSERT(refused_unchanged(at("none.ckpt"), "none.ckpt: cannot open: No such file or directory"));
}

/* The names in dir that start with prefix. */
static int count_prefixed(const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int k = 0;
    while ((e = readdir(d))) k += !strncmp(e->d_name, prefix, strlen(prefix));
    closedir(d);
    return k;
}

static void writes_leave_no_temporaries_and_remove_stale_ones(void)
{
    size_t n;
    /* two killed runs' temporaries, and names that merely look alike */
    put(at("w.ckpt.tmp.AbC123"), "x", 1);
    put(at("w.ckpt.tmp.zzzzzz"), "y", 1);
    put(at("w.ckpt.tmp.toolong1"), "z", 1);
    put(at("w.ckpt.tmp"), "z", 1);
    put(at("ww.ckpt.tmp.AbC123"), "z", 1);
    /* a live writer's: locked by another process */
    int ready[2], done[2];
    ASSERT_EQ(pipe(ready), 0);
    ASSERT_EQ(pipe(done), 0);
    pid_t child = fork();
    if (child == 0) {
        int fd = open(at("w.ckpt.tmp.LIVE00"), O_RDWR | O_CREAT, 0644);
        struct flock fl;
        memset(&fl, 0, sizeof fl);
        fl.l_type = F_WRLCK;
        fl.l_whence = SEEK_SET;
        char c = fd >= 0 && !fcntl(fd, F_SETLK, &fl);
        if (write(ready[1], &c, 1) != 1 || read(done[0], &c, 1) < 0) _exit(1);
        _exit(0);
    }
    char c = 0;
    ASSERT(read(ready[0], &c, 1) == 1 && c == 1);
    unsigned char *g = good_checkpoint(at("w.ckpt"), &n);
    free(g);
    ASSERT(write(done[1], &c, 1) == 1);
    waitpid(child, NULL, 0);
    close(ready[0]), close(ready[1]), close(done[0]), close(done[1]);
    ASSERT(access(at("w.ckpt.tmp.AbC123"), F_OK) != 0);
    ASSERT(access(at("w.ckpt.tmp.zzzzzz"), F_OK) != 0);
    ASSERT(access(at("w.ckpt.tmp.LIVE00"), F_OK) == 0);
    ASSERT(access(at("w.ckpt.tmp.toolong1"), F_OK) == 0);
    ASSERT(access(at("w.ckpt.tmp"), F_OK) == 0);
    ASSERT(access(at("ww.ckpt.tmp.AbC123"), F_OK) == 0);
    unlink(at("w.ckpt.tmp.LIVE00"));
    unlink(at("w.ckpt.tmp.toolong1"));
    unlink(at("w.ckpt.tmp"));
    unlink(at("ww.ckpt.tmp.AbC123"));
    ASSERT_EQ(count_prefixed("w.ckpt.tmp"), 0);
    ASSERT_EQ(count_prefixed("w.ckpt"), 1);
}

static void a_full_disk_keeps_the_previous_checkpoint(void)
{
    size_t n0, n1;
    unsigned char *before = good_checkpoint(at("full.ckpt"), &n0);
    model m;
    ASSERT_EQ(model_init(&m, 9), 0);
    /* files may not grow past 4 KB: write fails with EFBIG (SIGXFSZ ignored) */
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = 4096;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    setrlimit(RLIMIT_FSIZE, &lim);
    ckpt_counters c = counters;
    c.epoch = 4;
    int rc = ckpt_write(at("full.ckpt"), &c, m.w, NP, m.opt, NULL, msg, sizeof msg);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, prev);
    lre_optim_free(m.opt);
    unsigned char *after = slurp(at("full.ckpt"), &n1);
    int same = n0 == n1 && !memcmp(before, after, n0);
    free(before), free(after);
    ASSERT_EQ(rc, -1);
    ASSERT_STR_CONTAINS(msg, "full.ckpt: writing ");
    ASSERT_STR_CONTAINS(msg, "full.ckpt.tmp.");
    ASSERT_STR_CONTAINS(msg, ": File too large; the previous checkpoint, if any, is unchanged");
    ASSERT(same);
    ASSERT_EQ(count_prefixed("full.ckpt.tmp"), 0);
}

static void reports_why_a_write_fails(void)
{
    model m;
    ASSERT_EQ(model_init(&m, 1), 0);
    int rc = ckpt_write(at("no/such/dir.ckpt"), &counters, m.w, NP, m.opt, NULL, msg, sizeof msg);
    lre_optim_free(m.opt);
    ASSERT_EQ(rc, -1);
    ASSERT_STR_CONTAINS(msg, "no/such/dir.ckpt: cannot create a temporary file");
    ASSERT_STR_CONTAINS(msg, "dir.ckpt.tmp.XXXXXX: No such file or directory");
    ASSERT_EQ(model_init(&m, 1), 0);
    mkdir(at("adir"), 0755);
    rc = ckpt_write(at("adir"), &counters, m.w, NP, m.opt, NULL, msg, sizeof msg);
    lre_optim_free(m.opt);
    ASSERT_EQ(rc, -1);
    ASSERT_STR_CONTAINS(msg, "adir: renaming ");
    ASSERT_STR_CONTAINS(msg, "Is a directory");
    ASSERT_EQ(count_prefixed("adir.tmp"), 0);
}


/* A plan of three records: origin, cooldown, replace. */
static void a_plan(train_plan *p)
{
    static const char src[] = "return {schedule = 0.1}\n", src2[] = "return {schedule = 0.2}\n";
    plan_record o = {PLAN_ORIGIN, 0, 500, 0, 0, 0, 0, 0, (char *)"a.lua", (char *)src, sizeof src - 1, 0,
                     (char *)"--epochs 5", (char *)"lr: constant{lr=0.1}\n", NULL};
    plan_record c = {PLAN_COOLDOWN, 100, 500, 0.1, 50, 0.001, 1, 0, NULL, NULL, 0, 0, NULL, (char *)"lr: cooldown{...}\n",
                     (char *)"momentum"};
    plan_record r = {PLAN_REPLACE, 120, 500, 0, 0, 0, 0, 0, (char *)"b.lua", (char *)src2, sizeof src2 - 1, 0, NULL, NULL, NULL};
    p->n = 0;
    if (plan_add(p, &o, msg, sizeof msg) || plan_add(p, &c, msg, sizeof msg) || plan_add(p, &r, msg, sizeof msg)) abort();
}

/* The checkpoint of a model after 5 steps with a_plan's history; its bytes, and the plan's offset. */
static unsigned char *planned_checkpoint(const char *path, size_t *n, size_t *plan_at)
{
    model m;
    train_plan p = {0};
    a_plan(&p);
    if (model_init(&m, 5) || ckpt_write(path, &counters, m.w, NP, m.opt, &p, msg, sizeof msg)) abort();
    size_t s;
    unsigned char *st = opt_state(m.opt, &s);
    *plan_at = 88 + NP * 4 + s;
    free(st);
    plan_free(&p);
    lre_optim_free(m.opt);
    return slurp(path, n);
}

static void the_plan_round_trips(void)
{
    size_t n, pa;
    unsigned char *b = planned_checkpoint(at("p.ckpt"), &n, &pa);
    model m;
    ASSERT_EQ(model_init(&m, 0), 0);
    ckpt_counters c = {FP, 0, 0, 0, 0};
    train_plan got = {0}, want = {0};
    a_plan(&want);
    ASSERT_EQ(ckpt_read(at("p.ckpt"), &c, m.w, NP, m.opt, &got, msg, sizeof msg), 0);
    ASSERT_EQ(got.n, 3);
    for (int i = 0; i < 3; i++) {
        const plan_record *x = &got.r[i], *y = &want.r[i];
        ASSERT(x->op == y->op && x->at == y->at && x->total == y->total && x->hash == y->hash);
        ASSERT(x->value == y->value && x->steps == y->steps && x->target == y->target && x->shape == y->shape);
        ASSERT(!strcmp(x->name, y->name) && !strcmp(x->overrides, y->overrides) && !strcmp(x->schedules, y->schedules));
        ASSERT(x->source_len == y->source_len && !memcmp(x->source, y->source, x->source_len));
        ASSERT(!strcmp(x->hparam, y->hparam));
    }
    ASSERT(!strcmp(got.r[1].hparam, "momentum"));
    ASSERT(got.r[0].hash == plan_hash("return {schedule = 0.1}\n", 24));
    train_plan alone = {0};
    ASSERT_EQ(ckpt_read_plan(at("p.ckpt"), &c, NP, &alone, msg, sizeof msg), 0);
    ASSERT_EQ(alone.n, 3);
    plan_free(&got), plan_free(&want), plan_free(&alone);
    lre_optim_free(m.opt);
    free(b);
}

static void a_hostile_plan_is_refused_changing_nothing(void)
{
    size_t n, pa;
    unsigned char *g = planned_checkpoint(at("p.ckpt"), &n, &pa), *b = malloc(n);
    /* record 0 starts at pa + 4: op, at, total, five numbers, hash, then name's length at + 4 + 8 + 8 + 40 + 8 */
    size_t r0 = pa + 4, name_len = r0 + 68;
    memcpy(b, g, n), memcpy(b + pa, &(uint32_t){0}, 4);
    ASSERT(hostile("pl0.ckpt", b, n, 1, "plan: offset 0: 0 records, expected 1 to 64"));
    memcpy(b, g, n), memcpy(b + pa, &(uint32_t){1000000}, 4);
    ASSERT(hostile("plmany.ckpt", b, n, 1, "plan: offset 0: 1000000 records"));
    memcpy(b, g, n), memcpy(b + r0, &(uint32_t){9}, 4);
    ASSERT(hostile("plop.ckpt", b, n, 1, "plan record 0: offset 4: an unknown change"));
    memcpy(b, g, n), memcpy(b + r0, &(uint32_t){PLAN_REPLACE}, 4);
    ASSERT(hostile("plorigin.ckpt", b, n, 1, "plan record 0: offset 4: the first record is not the origin"));
    memcpy(b, g, n), u64_at(b, name_len, (uint64_t)1 << 62);
    ASSERT(hostile("plname.ckpt", b, n, 1, "plan record 0: offset 72: a name of 4611686018427387904 bytes, at most 255"));
    memcpy(b, g, n), b[name_len + 8 + 5 + 8] ^= 1; /* the config's text, past "a.lua" and its length */
    ASSERT(hostile("plhash.ckpt", b, n, 1, "plan record 0 (origin): offset 4: the config's text does not match its hash"));
    /* the cooldown (record 1) with NaN steps */
    size_t r1 = pa + 4 + 68 + 8 + 5 + 8 + 24 + 8 + 10 + 8 + strlen("lr: constant{lr=0.1}\n") + 8; /* hparam "" */
    double nan = NAN;
    memcpy(b, g, n), memcpy(b + r1 + 4 + 16 + 8, &nan, 8);
    ASSERT(hostile("plnan.ckpt", b, n, 1, "(cooldown): offset"));
    ASSERT(hostile("plnan2.ckpt", b, n, 1, "steps that are not a whole number in [1, 2^53]"));
    /* the replace (record 2) before the cooldown */
    memcpy(b, g, n);
    size_t r2 = r1 + 68 + 8 + 8 + 8 + 8 + strlen("lr: cooldown{...}\n") + 8 + strlen("momentum");
    /* the cooldown's hyper-parameter (format 4): "momentum" made "Momentum", and the origin given one */
    memcpy(b, g, n), b[r2 - 8] = 'M';
    ASSERT(hostile("plhp.ckpt", b, n, 1, "plan record 1 (cooldown): offset"));
    ASSERT(hostile("plhp2.ckpt", b, n, 1, "not a hyper-parameter's name"));
    {   /* an origin with a hyper-parameter, encoded and decoded as such */
        train_plan q = {0}, d = {0};
        a_plan(&q);
        free(q.r[0].hparam);
        q.r[0].hparam = strdup("lr");
        unsigned char *e;
        size_t elen;
        ASSERT_EQ(plan_encode(&q, &e, &elen), 0);
        ASSERT(plan_decode(&d, e, elen, 1, msg, sizeof msg) != 0);
        ASSERT_STR_CONTAINS(msg, "plan record 0 (origin): offset 164: a hyper-parameter its change does not take");
        ASSERT_EQ(d.n, 0);
        plan_free(&q);
        free(e);
    }
    memcpy(b, g, n), u64_at(b, r2 + 4, 50);
    ASSERT(hostile("plback.ckpt", b, n, 1, "plan record 2 (replace): offset"));
    ASSERT(hostile("plback2.ckpt", b, n, 1, "a change before the previous one"));
    /* the header's plan length: a terabyte, and one byte more than the file holds */
    memcpy(b, g, n), u64_at(b, 80, (uint64_t)1 << 40);
    ASSERT(hostile("pltb.ckpt", b, n, 1, "offset 80: a plan of 1099511627776 bytes, at most 67108864"));
    memcpy(b, g, n), u64_at(b, 80, n - pa - 4 + 1);
    ASSERT(hostile("plcut.ckpt", b, n, 1, "damaged: truncated: the header declares"));
    free(g), free(b);
}

/* Format 3: the same plan without the records' hyper-parameters (three
 * empty-or-not strings cut out, the plan's length and the version made so):
 * its cooldown is lr's. */
static void a_format_3_plan_reads_as_lr(void)
{
    size_t n, pa;
    unsigned char *g = planned_checkpoint(at("p.ckpt"), &n, &pa), *b = malloc(n);
    size_t r1 = pa + 4 + 68 + 8 + 5 + 8 + 24 + 8 + 10 + 8 + strlen("lr: constant{lr=0.1}\n") + 8;
    size_t r2 = r1 + 68 + 8 + 8 + 8 + 8 + strlen("lr: cooldown{...}\n") + 8 + strlen("momentum");
    size_t cuts[3][2] = {{r1 - 8, 8}, {r2 - 8 - 8, 8 + 8}, {n - 4 - 8, 8}}, m = 0, from = 0;
    for (int i = 0; i < 3; i++) {
        memcpy(b + m, g + from, cuts[i][0] - from);
        m += cuts[i][0] - from;
        from = cuts[i][0] + cuts[i][1];
    }
    memcpy(b + m, g + from, n - from);
    m += n - from;
    b[7] = '3';
    uint64_t planlen;
    memcpy(&planlen, b + 80, 8);
    u64_at(b, 80, planlen - (n - m));
    fix_crc(b, m);
    put(at("v3.ckpt"), b, m);
    model mo;
    ASSERT_EQ(model_init(&mo, 0), 0);
    ckpt_counters c = {FP, 0, 0, 0, 0};
    train_plan p = {0};
    ASSERT_EQ(ckpt_read_plan(at("v3.ckpt"), &c, NP, &p, msg, sizeof msg), 0);
    ASSERT_EQ(p.n, 3);
    ASSERT(!strcmp(p.r[0].hparam, "") && !strcmp(p.r[1].hparam, "lr") && !strcmp(p.r[2].hparam, ""));
    plan_free(&p);
    lre_optim_free(mo.opt);
    free(g), free(b);
}

static void a_format_2_checkpoint_reads(void)
{
    size_t n;
    unsigned char *g = good_checkpoint(at("g.ckpt"), &n), *b = malloc(n);
    /* format 2: version '2', no plan length: the header's 8 bytes at 80 removed */
    memcpy(b, g, 80), memcpy(b + 80, g + 88, n - 88);
    b[7] = '2';
    fix_crc(b, n - 8);
    put(at("v2.ckpt"), b, n - 8);
    model m;
    ASSERT_EQ(model_init(&m, 0), 0);
    ckpt_counters c = {FP, 0, 0, 0, 0};
    train_plan p = {0};
    ASSERT_EQ(ckpt_read(at("v2.ckpt"), &c, m.w, NP, m.opt, &p, msg, sizeof msg), 0);
    ASSERT_EQ(p.n, 0);
    ASSERT_EQ(c.batch, 17);
    lre_optim_free(m.opt);
    free(g), free(b);
}


int main(void)
{
    strcpy(dir, "/tmp/lre-test-ckpt-XXXXXX");
    if (!mkdtemp(dir)) return perror("mkdtemp"), 1;
    static const test_case tests[] = {
        {"round trip is exact and bytes are reproducible", round_trip_is_exact_and_bytes_are_reproducible},
        {"refuses lengths claiming a terabyte, before allocating", refuses_lengths_claiming_a_terabyte_before_allocating},
        {"refuses truncated, damaged and foreign checkpoints, changing nothing",
         refuses_truncated_damaged_and_foreign_checkpoints},
        {"refuses /dev/zero, a directory, a FIFO, a missing file", refuses_what_is_not_a_regular_file},
        {"writes leave no temporaries and remove stale ones", writes_leave_no_temporaries_and_remove_stale_ones},
        {"a full disk keeps the previous checkpoint", a_full_disk_keeps_the_previous_checkpoint},
        {"reports why a write fails", reports_why_a_write_fails},
        {"the plan round-trips", the_plan_round_trips},
        {"a hostile plan is refused, changing nothing", a_hostile_plan_is_refused_changing_nothing},
        {"a format 3 plan reads, its cooldown lr's", a_format_3_plan_reads_as_lr},
        {"a format 2 checkpoint reads", a_format_2_checkpoint_reads},
        {NULL, NULL}};
    int rc = run_tests(tests);
    remove_tree(dir);
    return rc;
}
