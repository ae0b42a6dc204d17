/* checkpoint.c -- see checkpoint.h. Layout (format 2), numbers in the
 * writer's byte order, which the checks at offsets 8 and 16 verify, as the
 * core's state streams and lundump.c's checkHeader do:
 *
 *   0   signature  7 bytes  "LRECKPT"
 *   7   version    1 byte   '2'
 *   8   int check  u64      0x0102030405060708
 *   16  num check  f64      370.5
 *   24  counters   u64 fingerprint, u64 epoch, u64 batch, f64 loss_sum, u64 loss_count
 *   64  nparams    u64
 *   72  optlen     u64      bytes of the optimizer's stream
 *   80  params     nparams float32
 *   ..  optimizer  optlen bytes (lre_optim_save: its own checksummed stream)
 *   ..  crc        u32      CRC-32 of everything before it
 *
 * A checkpoint is hostile input: the header is checked against the model
 * (fingerprint, parameter count) and against the file's real size before
 * anything sized by it is allocated, and every refusal names the offset. */
#include "checkpoint.h"
#include "fileio.h"

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
#define CKPT_VERSION '2'
#define CKPT_CHECK_INT 0x0102030405060708ull
#define CKPT_CHECK_NUM 370.5
#define CKPT_HEADER 80
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

/* The 80-byte header of counters c, n parameters and an optimizer stream of optlen bytes. */
static void put_header(unsigned char *h, const ckpt_counters *c, uint64_t n, uint64_t optlen)
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
               char *msg, size_t size)
{
    lre_membuf b = {0};
    unsigned char h[CKPT_HEADER] = {0};
    int bad = lre_membuf_write(&b, h, sizeof h) || lre_membuf_write(&b, params, nparams * sizeof(float));
    if (!bad && lre_optim_save(opt, lre_membuf_write, &b)) {
        free(b.data);
        return fail(msg, size, path, "%s", lre_optim_errmsg(opt));
    }
    if (!bad) {
        put_header(b.data, c, nparams, b.len - CKPT_HEADER - nparams * sizeof(float));
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

/* Checks the header h of a file of fsize bytes; sets *total (== fsize) and *optlen. */
static int check_header(const unsigned char *h, size_t got, uint64_t fsize, const ckpt_counters *want, size_t nparams,
                        size_t *total, size_t *optlen, const char *path, char *msg, size_t size)
{
    char q[64];
    if (got == 0) return fail(msg, size, path, "damaged: the file is empty");
    if (memcmp(h, CKPT_SIGNATURE, got < 7 ? got : 7))
        return fail(msg, size, path, "offset 0: not an lrengine checkpoint (expected '%s', got '%s')", CKPT_SIGNATURE,
                    fileio_quote(q, sizeof q, (const char *)h, got < 7 ? got : 7, 7));
    if (got >= 8 && h[7] != CKPT_VERSION)
        return fail(msg, size, path, "offset 7: checkpoint format version '%s', this build reads version '%c'",
                    fileio_quote(q, sizeof q, (const char *)h + 7, 1, 1), CKPT_VERSION);
    if (got < CKPT_HEADER)
        return fail(msg, size, path, "damaged: truncated header: %zu of %d bytes", got, CKPT_HEADER);
    double num;
    memcpy(&num, h + 16, 8);
    if (get_u64(h + 8) != CKPT_CHECK_INT || num != CKPT_CHECK_NUM)
        return fail(msg, size, path, "offset 8: written on a machine with another byte order or number format");
    if (get_u64(h + 24) != want->fingerprint)
        return fail(msg, size, path,
                    "offset 24: belongs to another configuration (model, data, batch size, seed or optimizer differ)");
    uint64_t n = get_u64(h + 64), ol = get_u64(h + 72);
    if (n != nparams)
        return fail(msg, size, path, "offset 64: holds %" PRIu64 " parameters, the model has %zu", n, nparams);
    uint64_t maxol = CKPT_OPT_FIXED + (uint64_t)nparams * CKPT_OPT_PER_PARAM;
    if (ol < CORE_STREAM_FRAME || ol > maxol)
        return fail(msg, size, path, "offset 72: an optimizer state of %" PRIu64 " bytes, expected %u to %" PRIu64, ol,
                    CORE_STREAM_FRAME, maxol);
    size_t t; /* CKPT_HEADER + 4 n + ol + 4, overflow-checked */
    if (fileio_mul(nparams, sizeof(float), &t) || fileio_add(t, CKPT_HEADER + 4, &t) || fileio_add(t, (size_t)ol, &t))
        return fail(msg, size, path, "offset 64: sizes overflow");
    if (fsize < t)
        return fail(msg, size, path, "damaged: truncated: the header declares %zu bytes, the file holds %" PRIu64, t, fsize);
    if (fsize > t)
        return fail(msg, size, path, "damaged: offset %zu: data after the end (%" PRIu64 " bytes, the header declares %zu)",
                    t, fsize, t);
    *total = t;
    *optlen = (size_t)ol;
    return 0;
}

int ckpt_read(const char *path, ckpt_counters *c, float *params, size_t nparams, lre_optim *opt, char *msg,
              size_t size)
{
    int fd;
    uint64_t fsize;
    if (fileio_open_regular(path, "checkpoint", &fd, &fsize, msg, size)) return -1;
    unsigned char h[CKPT_HEADER];
    size_t got, total = 0, optlen = 0;
    unsigned char *data = NULL;
    int rc = -1;
    if (fileio_read(fd, h, sizeof h, &got)) {
        fail(msg, size, path, "read failed: %s", strerror(errno));
        goto done;
    }
    if (check_header(h, got, fsize, c, nparams, &total, &optlen, path, msg, size)) goto done;
    /* total == fsize: what the file really holds, within the bounds checked */
    if (!(data = malloc(total))) {
        fail(msg, size, path, "out of memory for %zu bytes", total);
        goto done;
    }
    memcpy(data, h, CKPT_HEADER);
    if (fileio_read(fd, data + CKPT_HEADER, total - CKPT_HEADER, &got)) {
        fail(msg, size, path, "read failed at offset %zu: %s", CKPT_HEADER + got, strerror(errno));
        goto done;
    }
    if (got != total - CKPT_HEADER) {
        fail(msg, size, path, "damaged: truncated while reading: %zu of %zu bytes", CKPT_HEADER + got, total);
        goto done;
    }
    uint32_t stored, crc = lre_crc32(0, data, total - 4);
    memcpy(&stored, data + total - 4, 4);
    if (stored != crc) {
        fail(msg, size, path, "damaged (checksum mismatch at offset %zu: stored %08" PRIx32 ", computed %08" PRIx32
                              "): truncated or corrupted", total - 4, stored, crc);
        goto done;
    }
    size_t off = CKPT_HEADER + nparams * sizeof(float);
    uint64_t plen = get_u64(data + off + CORE_STREAM_LENGTH_AT);
    if (plen != optlen - CORE_STREAM_FRAME) {
        fail(msg, size, path, "offset %zu: the optimizer state declares %" PRIu64 " bytes, the checkpoint holds %zu",
             off + CORE_STREAM_LENGTH_AT, plen, optlen - CORE_STREAM_FRAME);
        goto done;
    }
    lre_memreader r = {data + off, optlen, 0};
    if (lre_optim_load(opt, lre_memreader_read, &r)) { /* checked whole before anything changes */
        fail(msg, size, path, "offset %zu: %s", off, lre_optim_errmsg(opt));
        goto done;
    }
    /* nothing can fail from here: the model and the counters change together */
    memcpy(params, data + CKPT_HEADER, nparams * sizeof(float));
    c->fingerprint = get_u64(data + 24);
    c->epoch = get_u64(data + 32);
    c->batch = get_u64(data + 40);
    memcpy(&c->loss_sum, data + 48, 8);
    c->loss_count = get_u64(data + 56);
    rc = 0;
done:
    free(data);
    close(fd);
    return rc;
}
