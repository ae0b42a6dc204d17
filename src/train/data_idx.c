/* data_idx.c -- the IDX format of MNIST and Fashion-MNIST (LeCun et al.): a
 * big-endian header (magic 0x00 0x00 0x08 ndims, then one u32 per dimension)
 * and unsigned bytes, gzip-compressed or plain (zlib reads both). Pixels
 * stay bytes (data_rows makes them floats in [0, 1]); labels must be in 0..9.
 *
 * The files are not trusted: the header's sizes are checked (overflow-safe)
 * against what a file of that size can hold before anything is allocated,
 * buffers grow only as data really arrives, and every refusal names the file
 * and the offset (in the uncompressed stream). */
#include "data.h"
#include "fileio.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define IDX_MAX_SIDE 4096
/* deflate compresses at most 1032:1, so a gzip file of S bytes holds at most
 * 1032 * S bytes (concatenated members included) */
#define IDX_GZIP_MAX_RATIO 1032u
#define IDX_CHUNK 65536

typedef struct idx_file {
    const char *path;
    gzFile gz;
    int gzip;
    uint64_t size;     /* on disk */
    uint64_t capacity; /* the most uncompressed bytes it can hold */
    uint64_t pos;      /* uncompressed bytes read so far */
    uint32_t dims[3];
} idx_file;


static int idx_open(idx_file *f, const char *path, char *msg, size_t size)
{
    memset(f, 0, sizeof *f);
    f->path = path;
    int fd;
    if (fileio_open_regular(path, NULL, &fd, &f->size, msg, size)) return -1;
    unsigned char m[2] = {0, 0};
    ssize_t got = pread(fd, m, 2, 0);
    if (got < 0) {
        fileio_fail(msg, size, "%s: cannot read: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    f->gzip = got == 2 && m[0] == 0x1f && m[1] == 0x8b;
    f->capacity = !f->gzip ? f->size : f->size > UINT64_MAX / IDX_GZIP_MAX_RATIO ? UINT64_MAX : f->size * IDX_GZIP_MAX_RATIO;
    f->gz = gzdopen(fd, "rb");
    if (!f->gz) {
        close(fd);
        return fileio_fail(msg, size, "%s: out of memory", path);
    }
    gzbuffer(f->gz, 1u << 17);
    return 0;
}

static void idx_close(idx_file *f)
{
    if (f->gz) gzclose(f->gz);
    f->gz = NULL;
}

/* Reads up to n bytes into buf; *got is how many arrived before the end. */
static int idx_read(idx_file *f, void *buf, size_t n, size_t *got, char *msg, size_t size)
{
    unsigned char *p = buf;
    *got = 0;
    while (*got < n) {
        unsigned chunk = n - *got > (1u << 30) ? (1u << 30) : (unsigned)(n - *got); /* gzread takes an unsigned */
        int r = gzread(f->gz, p + *got, chunk);
        if (r < 0) {
            int zerr;
            const char *zmsg = gzerror(f->gz, &zerr);
            if (zerr == Z_ERRNO)
                return fileio_fail(msg, size, "%s: read failed after %" PRIu64 " bytes: %s", f->path, f->pos + *got,
                            strerror(errno));
            return fileio_fail(msg, size, "%s: corrupt gzip data after %" PRIu64 " uncompressed bytes: %s", f->path,
                        f->pos + *got, zmsg);
        }
        if (r == 0) break;
        *got += (size_t)r;
    }
    f->pos += *got;
    return 0;
}

static uint32_t be32(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Reads and checks the header of a file of `ndims` dimensions (3: images, 1: labels). */
static int idx_header(idx_file *f, int ndims, char *msg, size_t size)
{
    const char *what = ndims == 3 ? "images" : "labels";
    unsigned char h[16];
    size_t hsize = 4 + 4 * (size_t)ndims, got;
    if (idx_read(f, h, hsize, &got, msg, size)) return -1;
    if (got >= 3 && (h[0] || h[1]))
        return fileio_fail(msg, size, "%s: offset 0: expected the IDX magic number 00 00 08 %02x, got %02x %02x %02x: not an IDX file",
                    f->path, ndims, h[0], h[1], h[2]);
    if (got >= 3 && h[2] != 0x08)
        return fileio_fail(msg, size, "%s: offset 2: IDX data type 0x%02x, expected 0x08 (unsigned bytes)", f->path, h[2]);
    if (got >= 4 && h[3] != ndims)
        return fileio_fail(msg, size, "%s: offset 3: %u dimensions, expected %d (IDX %s)", f->path, h[3], ndims, what);
    if (got < hsize)
        return fileio_fail(msg, size, "%s: truncated IDX header: %zu of %zu bytes", f->path, got, hsize);
    for (int i = 0; i < ndims; i++) f->dims[i] = be32(h + 4 + 4 * i);
    if (f->dims[0] == 0) return fileio_fail(msg, size, "%s: offset 4: 0 %s, expected at least 1", f->path, what);
    for (int i = 1; i < ndims; i++)
        if (f->dims[i] == 0 || f->dims[i] > IDX_MAX_SIDE)
            return fileio_fail(msg, size, "%s: offset %d: %s %" PRIu32 ", expected 1..%d", f->path, 4 + 4 * i,
                        i == 1 ? "rows" : "columns", f->dims[i], IDX_MAX_SIDE);
    /* what the header declares, against what the file can hold */
    size_t item = 1, data, total;
    for (int i = 1; i < ndims; i++)
        if (fileio_mul(item, f->dims[i], &item)) return fileio_fail(msg, size, "%s: offset 8: dimensions overflow", f->path);
    if (fileio_mul(item, f->dims[0], &data) || fileio_add(data, hsize, &total) || (uint64_t)total > f->capacity) {
        char dims[64] = "";
        if (ndims == 3) snprintf(dims, sizeof dims, " of %" PRIu32 "x%" PRIu32, f->dims[1], f->dims[2]);
        char bytes[32] = "more than 2^64";
        if (!fileio_mul(item, f->dims[0], &data) && !fileio_add(data, hsize, &total))
            snprintf(bytes, sizeof bytes, "%zu", total);
        if (!f->gzip)
            return fileio_fail(msg, size, "%s: truncated: the header declares %" PRIu32 " %s%s (%s bytes), the file holds %" PRIu64
                        " bytes", f->path, f->dims[0], what, dims, bytes, f->size);
        return fileio_fail(msg, size,
                    "%s: offset 4: the header declares %" PRIu32 " %s%s (%s bytes), more than a %" PRIu64
                    "-byte %sfile can hold (%" PRIu64 " bytes)",
                    f->path, f->dims[0], what, dims, bytes, f->size, f->gzip ? "gzip " : "", f->capacity);
    }
    return 0;
}

/* After the declared data, the file must end. */
static int idx_expect_end(idx_file *f, char *msg, size_t size)
{
    unsigned char b;
    size_t got;
    uint64_t at = f->pos;
    if (idx_read(f, &b, 1, &got, msg, size)) return -1;
    if (got) return fileio_fail(msg, size, "%s: offset %" PRIu64 ": data beyond the end the header declares", f->path, at);
    return 0;
}

/* Reads the n * dim pixels, as bytes, into a buffer grown as data arrives. */
static int idx_read_images(idx_file *f, size_t n, size_t dim, uint8_t **out, char *msg, size_t size)
{
    size_t total = n * dim, cap = 0, done = 0; /* n * dim checked by idx_header */
    uint8_t *x = NULL;
    while (done < total) {
        size_t want = total - done < IDX_CHUNK ? total - done : IDX_CHUNK, got;
        if (done + want > cap) {
            size_t ncap = cap ? cap : (size_t)1 << 20;
            while (ncap < done + want) ncap *= 2;
            if (ncap > total) ncap = total;
            uint8_t *nx = realloc(x, ncap);
            if (!nx) {
                fileio_fail(msg, size, "%s: out of memory for %zu pixels", f->path, total);
                goto bad;
            }
            x = nx;
            cap = ncap;
        }
        if (idx_read(f, x + done, want, &got, msg, size)) goto bad;
        done += got;
        if (got < want) {
            fileio_fail(msg, size,
                 "%s: truncated: the header declares %" PRIu32 " images of %" PRIu32 "x%" PRIu32
                 " (%zu bytes), the file holds %" PRIu64 " bytes%s",
                 f->path, f->dims[0], f->dims[1], f->dims[2], total + 16, f->pos, f->gzip ? " uncompressed" : "");
            goto bad;
        }
    }
    *out = x;
    return 0;
bad:
    free(x);
    return -1;
}

static int idx_read_labels(idx_file *f, size_t n, int32_t **out, char *msg, size_t size)
{
    size_t cap = 0, done = 0, bytes;
    int32_t *y = NULL;
    if (fileio_mul(n, sizeof(int32_t), &bytes)) return fileio_fail(msg, size, "%s: too many labels", f->path);
    unsigned char *chunk = malloc(IDX_CHUNK);
    if (!chunk) return fileio_fail(msg, size, "%s: out of memory", f->path);
    while (done < n) {
        size_t want = n - done < IDX_CHUNK ? n - done : IDX_CHUNK, got;
        if (idx_read(f, chunk, want, &got, msg, size)) goto bad;
        if (done + got > cap) {
            size_t ncap = cap ? cap : (size_t)1 << 16;
            while (ncap < done + got) ncap *= 2;
            if (ncap > n) ncap = n;
            int32_t *ny = realloc(y, ncap * sizeof(int32_t)); /* ncap <= n: checked above */
            if (!ny) {
                fileio_fail(msg, size, "%s: out of memory for %zu labels", f->path, n);
                goto bad;
            }
            y = ny;
            cap = ncap;
        }
        for (size_t i = 0; i < got; i++) {
            if (chunk[i] >= DATA_IDX_CLASSES) {
                fileio_fail(msg, size, "%s: offset %zu: label %u, expected 0..%d", f->path, 8 + done + i, chunk[i],
                     DATA_IDX_CLASSES - 1);
                goto bad;
            }
            y[done + i] = chunk[i];
        }
        done += got;
        if (got < want) {
            fileio_fail(msg, size, "%s: truncated: the header declares %zu labels (%zu bytes), the file holds %" PRIu64 " bytes%s",
                 f->path, n, n + 8, f->pos, f->gzip ? " uncompressed" : "");
            goto bad;
        }
    }
    free(chunk);
    *out = y;
    return 0;
bad:
    free(chunk);
    free(y);
    return -1;
}

int data_load_idx(dataset *d, const char *images_path, const char *labels_path, char *msg, size_t size)
{
    memset(d, 0, sizeof *d);
    idx_file fi, fl;
    memset(&fl, 0, sizeof fl);
    int rc = -1;
    uint8_t *x = NULL;
    int32_t *y = NULL;
    if (idx_open(&fi, images_path, msg, size)) return -1;
    if (idx_open(&fl, labels_path, msg, size) || idx_header(&fi, 3, msg, size) || idx_header(&fl, 1, msg, size))
        goto done;
    if (fi.dims[0] != fl.dims[0]) {
        fileio_fail(msg, size, "%s: %" PRIu32 " images but %s has %" PRIu32 " labels", images_path, fi.dims[0], labels_path,
             fl.dims[0]);
        goto done;
    }
    size_t n = fi.dims[0], dim = (size_t)fi.dims[1] * fi.dims[2]; /* <= 4096 * 4096 */
    if (idx_read_images(&fi, n, dim, &x, msg, size) || idx_expect_end(&fi, msg, size) ||
        idx_read_labels(&fl, n, &y, msg, size) || idx_expect_end(&fl, msg, size))
        goto done;
    d->pixels = x;
    d->y = y;
    x = NULL;
    y = NULL;
    d->n = n;
    d->dim = dim;
    d->classes = DATA_IDX_CLASSES;
    rc = 0;
done:
    idx_close(&fi);
    idx_close(&fl);
    free(x);
    free(y);
    return rc;
}
