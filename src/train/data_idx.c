/* data_idx.c -- the IDX format of MNIST and Fashion-MNIST (LeCun et al.): a
 * big-endian header (magic 0x0000 0x08 ndims, then one u32 per dimension) and
 * unsigned bytes, here gzip-compressed and read through zlib. Pixels become
 * floats in [0, 1]. */
#include "data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static int fail(char *msg, size_t size, const char *path, const char *what)
{
    snprintf(msg, size, "%s: %s", path, what);
    return -1;
}

/* Reads the header; dims[0..ndims) are the sizes. */
static int read_header(gzFile f, const char *path, int want_ndims, uint32_t *dims, char *msg, size_t size)
{
    unsigned char h[4];
    if (gzread(f, h, 4) != 4) return fail(msg, size, path, "truncated IDX header");
    if (h[0] != 0 || h[1] != 0 || h[2] != 0x08)
        return fail(msg, size, path, "not an IDX file of unsigned bytes (bad magic number)");
    if (h[3] != want_ndims) return fail(msg, size, path, "unexpected number of dimensions");
    for (int i = 0; i < want_ndims; i++) {
        unsigned char b[4];
        if (gzread(f, b, 4) != 4) return fail(msg, size, path, "truncated IDX header");
        dims[i] = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    }
    return 0;
}

int data_load_idx(dataset *d, const char *images_path, const char *labels_path, char *msg, size_t size)
{
    memset(d, 0, sizeof *d);
    gzFile fi = gzopen(images_path, "rb"), fl = gzopen(labels_path, "rb");
    int rc = -1;
    unsigned char *pix = NULL, *lab = NULL;
    uint32_t di[3], dl[1];
    if (!fi) {
        fail(msg, size, images_path, "cannot open");
        goto done;
    }
    if (!fl) {
        fail(msg, size, labels_path, "cannot open");
        goto done;
    }
    if (read_header(fi, images_path, 3, di, msg, size) || read_header(fl, labels_path, 1, dl, msg, size)) goto done;
    if (di[0] != dl[0]) {
        snprintf(msg, size, "%s: %u images but %s has %u labels", images_path, di[0], labels_path, dl[0]);
        goto done;
    }
    if (di[0] == 0 || di[1] * di[2] == 0 || di[1] > 4096 || di[2] > 4096) {
        fail(msg, size, images_path, "implausible dimensions");
        goto done;
    }
    size_t n = di[0], dim = (size_t)di[1] * di[2];
    pix = malloc(n * dim);
    lab = malloc(n);
    d->x = malloc(n * dim * sizeof(float));
    d->y = malloc(n * sizeof(int32_t));
    if (!pix || !lab || !d->x || !d->y) {
        fail(msg, size, images_path, "out of memory");
        goto done;
    }
    for (size_t off = 0; off < n * dim;) { /* gzread takes an unsigned length */
        unsigned chunk = n * dim - off > (1u << 30) ? (1u << 30) : (unsigned)(n * dim - off);
        int got = gzread(fi, pix + off, chunk);
        if (got <= 0) {
            fail(msg, size, images_path, got < 0 ? "corrupt gzip stream" : "truncated: fewer pixels than the header says");
            goto done;
        }
        off += (size_t)got;
    }
    if (gzread(fl, lab, (unsigned)n) != (int)n) {
        fail(msg, size, labels_path, "truncated: fewer labels than the header says");
        goto done;
    }
    for (size_t i = 0; i < n * dim; i++) d->x[i] = pix[i] / 255.0f;
    d->classes = 0;
    for (size_t i = 0; i < n; i++) {
        d->y[i] = lab[i];
        if ((size_t)lab[i] + 1 > d->classes) d->classes = (size_t)lab[i] + 1;
    }
    d->n = n;
    d->dim = dim;
    rc = 0;
done:
    if (fi) gzclose(fi);
    if (fl) gzclose(fl);
    free(pix);
    free(lab);
    if (rc) data_free(d);
    return rc;
}

int data_split(dataset *d, dataset *tail, size_t count)
{
    memset(tail, 0, sizeof *tail);
    if (count == 0) return 0;
    if (count >= d->n) return -1;
    size_t keep = d->n - count;
    tail->x = malloc(count * d->dim * sizeof(float));
    tail->y = malloc(count * sizeof(int32_t));
    if (!tail->x || !tail->y) {
        data_free(tail);
        return -1;
    }
    memcpy(tail->x, d->x + keep * d->dim, count * d->dim * sizeof(float));
    memcpy(tail->y, d->y + keep, count * sizeof(int32_t));
    tail->n = count;
    tail->dim = d->dim;
    tail->classes = d->classes;
    d->n = keep;
    return 0;
}

void data_truncate(dataset *d, size_t n)
{
    if (n < d->n) d->n = n;
}

void data_free(dataset *d)
{
    free(d->x);
    free(d->y);
    memset(d, 0, sizeof *d);
}
