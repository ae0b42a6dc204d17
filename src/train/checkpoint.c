/* checkpoint.c -- see checkpoint.h. Layout: magic "LRECKPT1", the counters,
 * nparams and the float32 parameters, the optimizer's own checksummed stream
 * (lre_optim_save), then a CRC-32 of all that precedes it. */
#include "checkpoint.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static const char magic[8] = {'L', 'R', 'E', 'C', 'K', 'P', 'T', '1'};

typedef struct growbuf {
    unsigned char *p;
    size_t len, cap;
} growbuf;

static int put(void *ud, const void *data, size_t n)
{
    growbuf *b = ud;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1 << 16;
        while (cap < b->len + n) cap *= 2;
        unsigned char *q = realloc(b->p, cap);
        if (!q) return 1;
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    return 0;
}

static int fail(char *msg, size_t size, const char *path, const char *what)
{
    snprintf(msg, size, "checkpoint %s: %s", path, what);
    return -1;
}

int ckpt_write(const char *path, const ckpt_counters *c, const float *params, size_t nparams, lre_optim *opt,
               char *msg, size_t size)
{
    growbuf b = {0};
    uint64_t np = nparams;
    int bad = put(&b, magic, 8) || put(&b, c, sizeof *c) || put(&b, &np, sizeof np) ||
              put(&b, params, nparams * sizeof(float));
    if (!bad && lre_optim_save(opt, put, &b)) {
        free(b.p);
        snprintf(msg, size, "checkpoint %s: %s", path, lre_optim_errmsg(opt));
        return -1;
    }
    uint32_t crc = (uint32_t)crc32(0L, b.p, (uInt)b.len);
    bad = bad || put(&b, &crc, sizeof crc);
    if (bad) {
        free(b.p);
        return fail(msg, size, path, "out of memory");
    }
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int rc = -1;
    if (fd < 0) {
        fail(msg, size, tmp, "cannot create");
    } else {
        size_t off = 0;
        while (off < b.len) {
            ssize_t w = write(fd, b.p + off, b.len - off);
            if (w <= 0) break;
            off += (size_t)w;
        }
        if (off != b.len || fsync(fd)) fail(msg, size, tmp, "write failed");
        else rc = 0;
        if (close(fd)) rc = rc ? rc : fail(msg, size, tmp, "write failed");
        if (!rc && rename(tmp, path)) rc = fail(msg, size, path, "cannot rename the temporary file into place");
        if (rc) unlink(tmp);
    }
    if (!rc) { /* make the rename itself durable */
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", path);
        char *slash = strrchr(dir, '/');
        if (slash) *slash = 0;
        else snprintf(dir, sizeof dir, ".");
        int dfd = open(dir, O_RDONLY);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    free(b.p);
    return rc;
}

typedef struct reader {
    const unsigned char *p;
    size_t len, pos;
} reader;

static int get(void *ud, void *out, size_t n)
{
    reader *r = ud;
    if (r->len - r->pos < n) return 1;
    memcpy(out, r->p + r->pos, n);
    r->pos += n;
    return 0;
}

int ckpt_read(const char *path, ckpt_counters *c, float *params, size_t nparams, lre_optim *opt, char *msg,
              size_t size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return fail(msg, size, path, "cannot open");
    growbuf b = {0};
    unsigned char chunk[1 << 16];
    size_t n;
    int bad = 0;
    while (!bad && (n = fread(chunk, 1, sizeof chunk, f)) > 0) bad = put(&b, chunk, n);
    bad = bad || ferror(f);
    fclose(f);
    int rc = -1;
    reader r = {b.p, b.len, 0};
    ckpt_counters cc;
    uint64_t np;
    uint32_t crc;
    char m[8];
    if (bad) {
        fail(msg, size, path, "cannot read");
    } else if (b.len < 8 + sizeof cc + 8 + 4 || get(&r, m, 8) || memcmp(m, magic, 8)) {
        fail(msg, size, path, b.len < 8 ? "truncated" : "not an lrengine checkpoint");
    } else if (memcpy(&crc, b.p + b.len - 4, 4), crc != (uint32_t)crc32(0L, b.p, (uInt)(b.len - 4))) {
        fail(msg, size, path, "damaged (checksum mismatch): truncated or corrupted");
    } else if (get(&r, &cc, sizeof cc) || get(&r, &np, sizeof np)) {
        fail(msg, size, path, "truncated");
    } else if (cc.fingerprint != c->fingerprint) {
        fail(msg, size, path, "belongs to another configuration (model, data, batch size, seed or optimizer differ)");
    } else if (np != nparams || b.len - r.pos < nparams * sizeof(float) + 4) {
        fail(msg, size, path, "holds another number of parameters");
    } else {
        const unsigned char *pp = b.p + r.pos;
        r.pos += nparams * sizeof(float);
        r.len = b.len - 4;
        if (lre_optim_load(opt, get, &r)) { /* checked whole before anything changes */
            snprintf(msg, size, "checkpoint %s: %s", path, lre_optim_errmsg(opt));
        } else {
            memcpy(params, pp, nparams * sizeof(float));
            *c = cc;
            rc = 0;
        }
    }
    free(b.p);
    return rc;
}
