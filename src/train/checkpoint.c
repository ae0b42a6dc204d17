/* checkpoint.c -- see checkpoint.h. Layout (format 4), numbers in the
 * writer's byte order, which the checks at offsets 8 and 16 verify, as the
 * core's state streams and lundump.c's checkHeader do:
 *
 *   0   signature  7 bytes  "LRECKPT"
 *   7   version    1 byte   '4'
 *   8   int check  u64      0x0102030405060708
 *   16  num check  f64      370.5
 *   24  counters   u64 fingerprint, u64 epoch, u64 batch, f64 loss_sum, u64 loss_count
 *   64  nparams    u64
 *   72  optlen     u64      bytes of the optimizer's stream
 *   80  planlen    u64      bytes of the plan's history (plan.h)
 *   88  params     nparams float32
 *   ..  optimizer  optlen bytes (lre_optim_save: its own checksummed stream)
 *   ..  plan       planlen bytes (plan_encode)
 *   ..  crc        u32      CRC-32 of everything before it
 *
 * Format 3, the same with plan records without their hyper-parameter (its
 * cooldowns and rewarms are lr's), and format 2, the same without planlen
 * and plan (an 80-byte header), a run without a recorded plan, are read too.
 *
 * A checkpoint is hostile input: the header is checked against the model
 * (fingerprint, parameter count) and against the file's real size before
 * anything sized by it is allocated, and every refusal names the offset. */
#include "checkpoint.h"
#include "fileio.h"
#include "plan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CKPT_SIGNATURE "LRECKPT"
#define CKPT_VERSION '4'
#define CKPT_CHECK_INT 0x0102030405060708ull
#define CKPT_CHECK_NUM 370.5
#define CKPT_HEADER 88
#define CKPT_HEADER_V2 80
/* The plan: at most PLAN_MAX_RECORDS records, each config's text within
 * TRAIN_SOURCE_MAX; the whole within this. */
#define CKPT_PLAN_MAX ((uint64_t)64 << 20)
/* The optimizer's stream holds at most three float64 buffers per parameter,
 * plus its schedules' and scripts' state (a script lives within a 64 MiB
 * memory cap): a longer stream is refused before it is read. */
#define CKPT_OPT_PER_PARAM 32u
#define CKPT_OPT_FIXED ((uint64_t)256 << 20)
/* The core's state stream (src/core/stream.c) frames its payload with a
 * 44-byte header, whose u64 length sits at offset 36, and a 4-byte CRC.
 * Checked here because the core allocates that length before reading it. */
#define CORE_STREAM_FRAME 48u
#define CORE_STREAM_LENGTH_AT 36u

static int fail(char *msg, size_t size, const char *path, const char *fmt, ...)
{
    int k = snprintf(msg, size, "checkpoint %s: ", path);
    if (k < 0 || (size_t)k >= size) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + k, size - (size_t)k, fmt, ap);
    va_end(ap);
    return -1;
}

static void put_u64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }
static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* The header of counters c, n parameters, an optimizer stream of optlen bytes and a plan of planlen. */
static void put_header(unsigned char *h, const ckpt_counters *c, uint64_t n, uint64_t optlen, uint64_t planlen)
{
    double num = CKPT_CHECK_NUM;
    memcpy(h, CKPT_SIGNATURE, 7);
    h[7] = CKPT_VERSION;
    put_u64(h + 8, CKPT_CHECK_INT);
    memcpy(h + 16, &num, 8);
    put_u64(h + 24, c->fingerprint);
    put_u64(h + 32, c->epoch);
    put_u64(h + 40, c->batch);
    memcpy(h + 48, &c->loss_sum, 8);
    put_u64(h + 56, c->loss_count);
    put_u64(h + 64, n);
    put_u64(h + 72, optlen);
    put_u64(h + 80, planlen);
}

/* Temporaries are PATH.tmp.XXXXXX (mkstemp), locked (fcntl) by their writer
 * while it lives: one without a lock belongs to a killed run. */
#define TMP_SUFFIX ".tmp."
#define TMP_RANDOM 6

static int lock_file(int fd, int wait)
{
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    int rc;
    while ((rc = fcntl(fd, wait ? F_SETLKW : F_SETLK, &fl)) < 0 && errno == EINTR) {}
    return rc;
}

/* dir and base of path, in buf (of size strlen(path) + 2) */
static void split_path(const char *path, char *buf, const char **dir, const char **base)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        *dir = ".";
        *base = path;
        return;
    }
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    memcpy(buf, path, n);
    buf[n] = 0;
    *dir = buf;
    *base = slash + 1;
}

static int is_temporary_of(const char *name, const char *base)
{
    size_t nb = strlen(base), ns = strlen(TMP_SUFFIX);
    if (strncmp(name, base, nb) || strncmp(name + nb, TMP_SUFFIX, ns) || strlen(name + nb + ns) != TMP_RANDOM) return 0;
    for (const char *p = name + nb + ns; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))) return 0;
    return 1;
}

/* Removes the temporaries of base in dir that no live writer holds. Best
 * effort: a failure here leaves a stale file, never a wrong checkpoint. */
static void remove_stale(const char *dir, const char *base)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    size_t nd = strlen(dir);
    while ((e = readdir(d))) {
        if (!is_temporary_of(e->d_name, base)) continue;
        char *full = malloc(nd + strlen(e->d_name) + 2);
        if (!full) break;
        sprintf(full, "%s/%s", dir, e->d_name);
        int fd = open(full, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        struct stat st;
        if (fd >= 0 && !fstat(fd, &st) && S_ISREG(st.st_mode) && !lock_file(fd, 0)) unlink(full);
        if (fd >= 0) close(fd);
        free(full);
    }
    closedir(d);
}

/* Creates and locks a fresh temporary for path: its fd, and its name in tmp. */
static int create_temporary(const char *path, char *tmp, char *msg, size_t size)
{
    for (int attempt = 0; attempt < 8; attempt++) {
        sprintf(tmp, "%s" TMP_SUFFIX "XXXXXX", path);
        int fd = mkstemp(tmp);
        if (fd < 0) {
            int e = errno;
            sprintf(tmp, "%s" TMP_SUFFIX "XXXXXX", path); /* mkstemp may have changed it */
            return fail(msg, size, path, "cannot create a temporary file %s: %s", tmp, strerror(e));
        }
        struct stat st;
        if (lock_file(fd, 1) || fstat(fd, &st)) {
            fail(msg, size, path, "cannot lock the temporary file %s: %s", tmp, strerror(errno));
            unlink(tmp);
            close(fd);
            return -1;
        }
        if (st.st_nlink > 0) return fd;
        close(fd); /* a concurrent cleaner took it for stale before we locked it */
    }
    return fail(msg, size, path, "cannot create a temporary file: removed as stale repeatedly");
}

int ckpt_write(const char *path, const ckpt_counters *c, const float *params, size_t nparams, lre_optim *opt,
               const train_plan *plan, char *msg, size_t size)
{
    lre_membuf b = {0};
    unsigned char h[CKPT_HEADER] = {0}, *pb = NULL;
    size_t plan_len = 0;
    if (plan && plan->n && plan_encode(plan, &pb, &plan_len)) return fail(msg, size, path, "out of memory");
    if (plan_len > CKPT_PLAN_MAX) {
        free(pb);
        return fail(msg, size, path, "the run's plan takes %zu bytes, a checkpoint holds at most %llu", plan_len,
                    (unsigned long long)CKPT_PLAN_MAX);
    }
    int bad = lre_membuf_write(&b, h, sizeof h) || lre_membuf_write(&b, params, nparams * sizeof(float));
    if (!bad && lre_optim_save(opt, lre_membuf_write, &b)) {
        free(b.data), free(pb);
        return fail(msg, size, path, "%s", lre_optim_errmsg(opt));
    }
    if (!bad) {
        put_header(b.data, c, nparams, b.len - CKPT_HEADER - nparams * sizeof(float), plan_len);
        bad = plan_len && lre_membuf_write(&b, pb, plan_len);
    }
    free(pb);
    if (!bad) {
        uint32_t crc = lre_crc32(0, b.data, b.len);
        bad = lre_membuf_write(&b, &crc, sizeof crc);
    }
    size_t plen = strlen(path);
    char *tmp = bad ? NULL : malloc(plen + sizeof TMP_SUFFIX + TMP_RANDOM), *dirbuf = bad ? NULL : malloc(plen + 2);
    if (!tmp || !dirbuf) {
        free(b.data), free(tmp), free(dirbuf);
        return fail(msg, size, path, "out of memory");
    }
    const char *dir, *base;
    split_path(path, dirbuf, &dir, &base);
    int rc = -1, fd = create_temporary(path, tmp, msg, size);
    if (fd >= 0) {
        /* the previous checkpoint stays in place until the rename */
        if (fchmod(fd, 0644)) {
            fail(msg, size, path, "cannot set the permissions of %s: %s", tmp, strerror(errno));
        } else if (fileio_write(fd, b.data, b.len)) {
            fail(msg, size, path, "writing %s: %s; the previous checkpoint, if any, is unchanged", tmp, strerror(errno));
        } else if (fsync(fd)) {
            fail(msg, size, path, "syncing %s: %s; the previous checkpoint, if any, is unchanged", tmp, strerror(errno));
        } else if (rename(tmp, path)) { /* still locked: no cleaner takes it meanwhile */
            fail(msg, size, path, "renaming %s into place: %s; the previous checkpoint, if any, is unchanged", tmp, strerror(errno));
        } else {
            rc = 0;
        }
        if (rc) unlink(tmp);
        if (close(fd) && !rc) rc = fail(msg, size, path, "closing %s: %s", tmp, strerror(errno));
    }
    if (!rc) { /* make the rename itself durable */
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || (fsync(dfd) && errno != EINVAL)) /* EINVAL: a file system without directory sync */
            rc = fail(msg, size, path, "written, but syncing its directory %s failed: %s", dir, strerror(errno));
        if (dfd >= 0 && close(dfd) && !rc)
            rc = fail(msg, size, path, "closing its directory %s: %s", dir, strerror(errno));
    }
    if (!rc) remove_stale(dir, base);
    free(b.data);
    free(tmp);
    free(dirbuf);
    return rc;
}

/* A checkpoint's layout, from its header. */
typedef struct layout {
    size_t header, total, optlen, planlen;
    int version; /* '2', '3' or '4' */
} layout;

/* Checks the header h (got bytes) of a file of fsize bytes and sets *l (l->total == fsize). */
static int check_header(const unsigned char *h, size_t got, uint64_t fsize, const ckpt_counters *want, size_t nparams,
                        layout *l, const char *path, char *msg, size_t size)
{
    char q[64];
    if (got == 0) return fail(msg, size, path, "damaged: the file is empty");
    if (memcmp(h, CKPT_SIGNATURE, got < 7 ? got : 7))
        return fail(msg, size, path, "offset 0: not an lrengine checkpoint (expected '%s', got '%s')", CKPT_SIGNATURE,
                    fileio_quote(q, sizeof q, (const char *)h, got < 7 ? got : 7, 7));
    if (got >= 8 && h[7] != CKPT_VERSION && h[7] != '2' && h[7] != '3')
        return fail(msg, size, path, "offset 7: checkpoint format version '%s', this build reads versions '2' to '%c'",
                    fileio_quote(q, sizeof q, (const char *)h + 7, 1, 1), CKPT_VERSION);
    size_t hsize = got >= 8 && h[7] == '2' ? CKPT_HEADER_V2 : CKPT_HEADER;
    if (got < hsize) return fail(msg, size, path, "damaged: truncated header: %zu of %zu bytes", got, hsize);
    double num;
    memcpy(&num, h + 16, 8);
    if (get_u64(h + 8) != CKPT_CHECK_INT || num != CKPT_CHECK_NUM)
        return fail(msg, size, path, "offset 8: written on a machine with another byte order or number format");
    if (get_u64(h + 24) != want->fingerprint)
        return fail(msg, size, path,
                    "offset 24: belongs to another configuration (model, data, batch size, seed or optimizer differ)");
    uint64_t n = get_u64(h + 64), ol = get_u64(h + 72), pl = hsize == CKPT_HEADER ? get_u64(h + 80) : 0;
    if (n != nparams)
        return fail(msg, size, path, "offset 64: holds %" PRIu64 " parameters, the model has %zu", n, nparams);
    uint64_t maxol = CKPT_OPT_FIXED + (uint64_t)nparams * CKPT_OPT_PER_PARAM;
    if (ol < CORE_STREAM_FRAME || ol > maxol)
        return fail(msg, size, path, "offset 72: an optimizer state of %" PRIu64 " bytes, expected %u to %" PRIu64, ol,
                    CORE_STREAM_FRAME, maxol);
    if (pl > CKPT_PLAN_MAX)
        return fail(msg, size, path, "offset 80: a plan of %" PRIu64 " bytes, at most %" PRIu64, pl, CKPT_PLAN_MAX);
    size_t t; /* header + 4 n + ol + pl + 4, overflow-checked */
    if (fileio_mul(nparams, sizeof(float), &t) || fileio_add(t, hsize + 4, &t) || fileio_add(t, (size_t)ol, &t) ||
        fileio_add(t, (size_t)pl, &t))
        return fail(msg, size, path, "offset 64: sizes overflow");
    if (fsize < t)
        return fail(msg, size, path, "damaged: truncated: the header declares %zu bytes, the file holds %" PRIu64, t, fsize);
    if (fsize > t)
        return fail(msg, size, path, "damaged: offset %zu: data after the end (%" PRIu64 " bytes, the header declares %zu)",
                    t, fsize, t);
    l->header = hsize;
    l->total = t;
    l->optlen = (size_t)ol;
    l->planlen = (size_t)pl;
    l->version = h[7];
    return 0;
}

/* The whole file, checked: header, size, checksum, the optimizer stream's
 * declared length; the plan decoded into *plan when it has one (else
 * plan->n = 0). *data is malloc'd. */
static int read_checked(const char *path, const ckpt_counters *want, size_t nparams, unsigned char **data, layout *l,
                        train_plan *plan, char *msg, size_t size)
{
    int fd;
    uint64_t fsize;
    *data = NULL;
    if (fileio_open_regular(path, "checkpoint", &fd, &fsize, msg, size)) return -1;
    unsigned char h[CKPT_HEADER];
    size_t got;
    unsigned char *d = NULL;
    int rc = -1;
    if (fileio_read(fd, h, sizeof h, &got)) {
        fail(msg, size, path, "read failed: %s", strerror(errno));
        goto done;
    }
    if (check_header(h, got, fsize, want, nparams, l, path, msg, size)) goto done;
    /* l->total == fsize: what the file really holds, within the bounds checked */
    if (!(d = malloc(l->total))) {
        fail(msg, size, path, "out of memory for %zu bytes", l->total);
        goto done;
    }
    memcpy(d, h, got);
    size_t more = 0;
    if (fileio_read(fd, d + got, l->total - got, &more)) {
        fail(msg, size, path, "read failed at offset %zu: %s", got + more, strerror(errno));
        goto done;
    }
    if (got + more != l->total) {
        fail(msg, size, path, "damaged: truncated while reading: %zu of %zu bytes", got + more, l->total);
        goto done;
    }
    uint32_t stored, crc = lre_crc32(0, d, l->total - 4);
    memcpy(&stored, d + l->total - 4, 4);
    if (stored != crc) {
        fail(msg, size, path, "damaged (checksum mismatch at offset %zu: stored %08" PRIx32 ", computed %08" PRIx32
                              "): truncated or corrupted", l->total - 4, stored, crc);
        goto done;
    }
    size_t off = l->header + nparams * sizeof(float);
    uint64_t plen = get_u64(d + off + CORE_STREAM_LENGTH_AT);
    if (plen != l->optlen - CORE_STREAM_FRAME) {
        fail(msg, size, path, "offset %zu: the optimizer state declares %" PRIu64 " bytes, the checkpoint holds %zu",
             off + CORE_STREAM_LENGTH_AT, plen, l->optlen - CORE_STREAM_FRAME);
        goto done;
    }
    plan->n = 0;
    if (l->planlen) {
        char why[1024];
        size_t at = off + l->optlen;
        if (plan_decode(plan, d + at, l->planlen, l->version >= '4', why, sizeof why)) {
            fail(msg, size, path, "offset %zu: %s", at, why);
            goto done;
        }
    }
    rc = 0;
done:
    if (rc) free(d);
    else *data = d;
    close(fd);
    return rc;
}

int ckpt_check(const char *path, const ckpt_counters *want, size_t nparams, char *msg, size_t size)
{
    int fd;
    uint64_t fsize;
    if (fileio_open_regular(path, "checkpoint", &fd, &fsize, msg, size)) return -1;
    unsigned char h[CKPT_HEADER];
    size_t got;
    layout l;
    int rc = fileio_read(fd, h, sizeof h, &got) ? fail(msg, size, path, "read failed: %s", strerror(errno))
                                                : check_header(h, got, fsize, want, nparams, &l, path, msg, size);
    close(fd);
    return rc ? -1 : 0;
}

int ckpt_read_plan(const char *path, const ckpt_counters *want, size_t nparams, train_plan *plan, char *msg,
                   size_t size)
{
    unsigned char *data;
    layout l;
    train_plan tmp = {0};
    if (read_checked(path, want, nparams, &data, &l, &tmp, msg, size)) return -1;
    free(data);
    plan_free(plan);
    *plan = tmp;
    return 0;
}

int ckpt_read(const char *path, ckpt_counters *c, float *params, size_t nparams, lre_optim *opt, train_plan *plan,
              char *msg, size_t size)
{
    unsigned char *data;
    layout l;
    train_plan tmp = {0};
    if (read_checked(path, c, nparams, &data, &l, &tmp, msg, size)) return -1;
    size_t off = l.header + nparams * sizeof(float);
    lre_memreader r = {data + off, l.optlen, 0};
    if (lre_optim_load(opt, lre_memreader_read, &r)) { /* checked whole before anything changes */
        fail(msg, size, path, "offset %zu: %s", off, lre_optim_errmsg(opt));
        plan_free(&tmp);
        free(data);
        return -1;
    }
    /* nothing can fail from here: the model, the counters and the plan change together */
    memcpy(params, data + l.header, nparams * sizeof(float));
    c->fingerprint = get_u64(data + 24);
    c->epoch = get_u64(data + 32);
    c->batch = get_u64(data + 40);
    memcpy(&c->loss_sum, data + 48, 8);
    c->loss_count = get_u64(data + 56);
    if (plan) {
        plan_free(plan);
        *plan = tmp;
    } else {
        plan_free(&tmp);
    }
    free(data);
    return 0;
}
