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

static int fail(char *msg, size_t size, const char *path, const char *what)
{
    snprintf(msg, size, "checkpoint %s: %s", path, what);
    return -1;
}

int ckpt_write(const char *path, const ckpt_counters *c, const float *params, size_t nparams, lre_optim *opt,
               char *msg, size_t size)
{
    lre_membuf b = {0};
    uint64_t np = nparams;
    int bad = lre_membuf_write(&b, magic, 8) || lre_membuf_write(&b, c, sizeof *c) || lre_membuf_write(&b, &np, sizeof np) ||
              lre_membuf_write(&b, params, nparams * sizeof(float));
    if (!bad && lre_optim_save(opt, lre_membuf_write, &b)) {
        free(b.data);
        snprintf(msg, size, "checkpoint %s: %s", path, lre_optim_errmsg(opt));
        return -1;
    }
    uint32_t crc = (uint32_t)crc32(0L, b.data, (uInt)b.len);
    bad = bad || lre_membuf_write(&b, &crc, sizeof crc);
    if (bad) {
        free(b.data);
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
            ssize_t w = write(fd, b.data + off, b.len - off);
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
    free(b.data);
    return rc;
}

int ckpt_read(const char *path, ckpt_counters *c, float *params, size_t nparams, lre_optim *opt, char *msg,
              size_t size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return fail(msg, size, path, "cannot open");
    lre_membuf b = {0};
    unsigned char chunk[1 << 16];
    size_t n;
    int bad = 0;
    while (!bad && (n = fread(chunk, 1, sizeof chunk, f)) > 0) bad = lre_membuf_write(&b, chunk, n);
    bad = bad || ferror(f);
    fclose(f);
    int rc = -1;
    lre_memreader r = {b.data, b.len, 0};
    ckpt_counters cc;
    uint64_t np;
    uint32_t crc;
    char m[8];
    if (bad) {
        fail(msg, size, path, "cannot read");
    } else if (b.len < 8 + sizeof cc + 8 + 4 || lre_memreader_read(&r, m, 8) || memcmp(m, magic, 8)) {
        fail(msg, size, path, b.len < 8 ? "truncated" : "not an lrengine checkpoint");
    } else if (memcpy(&crc, b.data + b.len - 4, 4), crc != (uint32_t)crc32(0L, b.data, (uInt)(b.len - 4))) {
        fail(msg, size, path, "damaged (checksum mismatch): truncated or corrupted");
    } else if (lre_memreader_read(&r, &cc, sizeof cc) || lre_memreader_read(&r, &np, sizeof np)) {
        fail(msg, size, path, "truncated");
    } else if (cc.fingerprint != c->fingerprint) {
        fail(msg, size, path, "belongs to another configuration (model, data, batch size, seed or optimizer differ)");
    } else if (np != nparams || b.len - r.pos < nparams * sizeof(float) + 4) {
        fail(msg, size, path, "holds another number of parameters");
    } else {
        const unsigned char *pp = b.data + r.pos;
        r.pos += nparams * sizeof(float);
        r.len = b.len - 4;
        if (lre_optim_load(opt, lre_memreader_read, &r)) { /* checked whole before anything changes */
            snprintf(msg, size, "checkpoint %s: %s", path, lre_optim_errmsg(opt));
        } else {
            memcpy(params, pp, nparams * sizeof(float));
            *c = cc;
            rc = 0;
        }
    }
    free(b.data);
    return rc;
}
