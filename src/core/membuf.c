/* membuf.c -- in-memory streams for save and load (see lrengine.h). */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* The public face of the core's one growable buffer (lre_buf, stream.c),
 * with the standard allocator the caller frees with free(). */
int lre_membuf_write(void *ud, const void *p, size_t n)
{
    lre_membuf *m = ud;
    lre_buf b = {m->data, m->len, m->cap, 0, NULL};
    lre__buf_put(&b, p, n);
    m->data = b.data;
    m->len = b.len;
    m->cap = b.cap;
    return b.failed;
}

int lre_memreader_read(void *ud, void *p, size_t n)
{
    lre_memreader *r = ud;
    if (r->len - r->pos < n) return 1;
    memcpy(p, r->data + r->pos, n);
    r->pos += n;
    return 0;
}
