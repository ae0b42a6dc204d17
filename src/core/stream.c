/* stream.c -- the lrengine state format.
 *
 * Modeled on lundump.c's checkHeader: a stream says what it is and where it
 * was written before anything in it is trusted.
 *
 *   magic     8 bytes  "\x1bLRENGIN"
 *   version   u32      LRE_STREAM_VERSION
 *   tag       u32      what the payload is (schedule, optimizer, ...)
 *   sizes     4 bytes  sizeof(uint64_t), sizeof(double), sizeof(float), 0
 *   int check u64      LRE_CHECK_INT, to detect byte order
 *   num check f64      LRE_CHECK_NUM, to detect the float representation
 *   length    u64      payload length
 *   payload   length bytes
 *   crc       u32      zlib CRC-32 of everything before it
 *
 * Numbers are stored in the writer's byte order; the checks refuse a stream
 * from a machine that differs. A reader gets the whole stream and verifies it
 * before the caller changes anything. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define LRE_STREAM_VERSION 1u
#define LRE_CHECK_INT 0x0102030405060708ull
#define LRE_CHECK_NUM 370.5
#define LRE_MAX_PAYLOAD ((uint64_t)1 << 40)

static const unsigned char magic[8] = {0x1b, 'L', 'R', 'E', 'N', 'G', 'I', 'N'};
enum { HEADER_SIZE = 8 + 4 + 4 + 4 + 8 + 8 + 8 };

void lre__buf_put(lre_buf *b, const void *p, size_t n)
{
    if (b->failed || n == 0) return; /* (no arithmetic on a NULL buffer) */
    if (n > SIZE_MAX - b->len) { /* the length would wrap */
        b->failed = 1;
        return;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n) cap = cap > SIZE_MAX / 2 ? b->len + n : 2 * cap;
        unsigned char *d = lre__realloc(b->alloc ? b->alloc : &lre__std_alloc, b->data, b->cap, cap);
        if (!d) {
            b->failed = 1;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void lre__buf_u32(lre_buf *b, uint32_t v) { lre__buf_put(b, &v, sizeof v); }
void lre__buf_u64(lre_buf *b, uint64_t v) { lre__buf_put(b, &v, sizeof v); }
void lre__buf_f64(lre_buf *b, double v) { lre__buf_put(b, &v, sizeof v); }

void lre__buf_free(lre_buf *b)
{
    lre__free(b->alloc ? b->alloc : &lre__std_alloc, b->data, b->cap);
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}

const void *lre__cur_take(lre_cur *c, size_t n)
{
    if (c->bad || (size_t)(c->end - c->p) < n) {
        c->bad = 1;
        return NULL;
    }
    const void *r = c->p;
    c->p += n;
    return r;
}

uint32_t lre__cur_u32(lre_cur *c)
{
    uint32_t v = 0;
    const void *p = lre__cur_take(c, sizeof v);
    if (p) memcpy(&v, p, sizeof v);
    return v;
}

uint64_t lre__cur_u64(lre_cur *c)
{
    uint64_t v = 0;
    const void *p = lre__cur_take(c, sizeof v);
    if (p) memcpy(&v, p, sizeof v);
    return v;
}

double lre__cur_f64(lre_cur *c)
{
    double v = 0;
    const void *p = lre__cur_take(c, sizeof v);
    if (p) memcpy(&v, p, sizeof v);
    return v;
}

uint64_t lre__fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static void put_header(unsigned char *h, uint32_t tag, uint64_t len)
{
    uint32_t version = LRE_STREAM_VERSION;
    uint64_t ci = LRE_CHECK_INT;
    double cn = LRE_CHECK_NUM;
    unsigned char sizes[4] = {sizeof(uint64_t), sizeof(double), sizeof(float), 0};
    memcpy(h, magic, 8);
    memcpy(h + 8, &version, 4);
    memcpy(h + 12, &tag, 4);
    memcpy(h + 16, sizes, 4);
    memcpy(h + 20, &ci, 8);
    memcpy(h + 28, &cn, 8);
    memcpy(h + 36, &len, 8);
}

/* zlib's crc32 takes a uInt length: feed large buffers in pieces of 1 GiB. */
uint32_t lre_crc32(uint32_t crc, const void *data, size_t len)
{
    const unsigned char *p = data;
    uLong c = crc;
    while (len > 0) {
        uInt chunk = len > (1u << 30) ? (1u << 30) : (uInt)len;
        c = crc32(c, p, chunk);
        p += chunk;
        len -= chunk;
    }
    return (uint32_t)c;
}

int lre__stream_write(uint32_t tag, const lre_buf *payload, lre_write_fn write, void *ud, lre_error *err)
{
    if (payload->failed) return lre_error_set(err, LRE_ENOMEM, "out of memory while serialising state");
    unsigned char h[HEADER_SIZE];
    put_header(h, tag, payload->len);
    uint32_t c32 = lre_crc32(lre_crc32(0, h, sizeof h), payload->data, payload->len);
    if (write(ud, h, sizeof h) || (payload->len && write(ud, payload->data, payload->len)) ||
        write(ud, &c32, sizeof c32))
        return lre_error_set(err, LRE_EIO, "writing state failed");
    return LRE_OK;
}

int lre__stream_read(uint32_t tag, lre_read_fn read, void *ud, const lre_allocator *alloc, unsigned char **payload,
                     size_t *len, size_t *size, lre_error *err)
{
    unsigned char h[HEADER_SIZE], want[HEADER_SIZE];
    if (read(ud, h, sizeof h)) return lre_error_set(err, LRE_ETRUNCATED, "state is truncated: no complete header");
    if (memcmp(h, magic, 8) != 0) return lre_error_set(err, LRE_EFORMAT, "not an lrengine state (bad signature)");
    uint32_t version, got_tag;
    memcpy(&version, h + 8, 4);
    memcpy(&got_tag, h + 12, 4);
    if (version != LRE_STREAM_VERSION)
        return lre_error_set(err, LRE_EFORMAT, "lrengine state format version %u, this build reads version %u",
                         (unsigned)version, LRE_STREAM_VERSION);
    uint64_t plen;
    memcpy(&plen, h + 36, 8);
    put_header(want, tag, plen);
    if (memcmp(h + 16, want + 16, 4) != 0 || memcmp(h + 20, want + 20, 16) != 0)
        return lre_error_set(err, LRE_EFORMAT, "state written on a machine with another byte order or number format");
    if (got_tag != tag) return lre_error_set(err, LRE_EFORMAT, "state holds another kind of object");
    if (plen > LRE_MAX_PAYLOAD) return lre_error_set(err, LRE_ECORRUPT, "state is corrupt: implausible length");
    /* The length is not trusted before the checksum: the buffer grows with
     * the bytes actually delivered, so a forged length costs no more memory
     * than the stream it comes with. */
    size_t cap = plen < 4096 ? (plen ? (size_t)plen : 1) : 4096, got = 0;
    unsigned char *p = lre__alloc(alloc, cap);
    while (p && got < plen) {
        size_t piece = (size_t)plen - got > ((size_t)1 << 20) ? ((size_t)1 << 20) : (size_t)plen - got;
        if (got + piece > cap) {
            size_t ncap = 2 * cap < got + piece ? got + piece : 2 * cap;
            if (ncap > plen) ncap = (size_t)plen;
            unsigned char *np = lre__realloc(alloc, p, cap, ncap);
            if (!np) break;
            p = np;
            cap = ncap;
        }
        if (read(ud, p + got, piece)) {
            lre__free(alloc, p, cap);
            return lre_error_set(err, LRE_ETRUNCATED, "state is truncated");
        }
        got += piece;
    }
    if (!p || got < plen) {
        lre__free(alloc, p, cap);
        return lre_error_set(err, LRE_ENOMEM, "out of memory reading state of %llu bytes", (unsigned long long)plen);
    }
    uint32_t c32;
    if (read(ud, &c32, sizeof c32)) {
        lre__free(alloc, p, cap);
        return lre_error_set(err, LRE_ETRUNCATED, "state is truncated");
    }
    if (lre_crc32(lre_crc32(0, h, sizeof h), p, (size_t)plen) != c32) {
        lre__free(alloc, p, cap);
        return lre_error_set(err, LRE_ECORRUPT, "state is corrupt: checksum mismatch");
    }
    *payload = p;
    *len = (size_t)plen;
    *size = cap;
    return LRE_OK;
}
