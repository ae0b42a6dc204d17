/* membuf.c -- in-memory streams for save and load (see lrengine.h). */
#include "lrengine.h"

#include <stdlib.h>
#include <string.h>

int lre_membuf_write(void *ud, const void *p, size_t n)
{
    lre_membuf *b = ud;
    if (n > b->cap - b->len) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap - b->len < n) {
            if (cap > SIZE_MAX / 2) return 1;
            cap *= 2;
        }
        unsigned char *d = realloc(b->data, cap);
        if (!d) return 1;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

int lre_memreader_read(void *ud, void *p, size_t n)
{
    lre_memreader *r = ud;
    if (r->len - r->pos < n) return 1;
    memcpy(p, r->data + r->pos, n);
    r->pos += n;
    return 0;
}
