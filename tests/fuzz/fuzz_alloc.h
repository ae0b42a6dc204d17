/* fuzz_alloc.h -- shared by the core's fuzz harnesses (each includes it
 * once): the engine's allocations checked exactly. */
#ifndef LRE_FUZZ_ALLOC_H
#define LRE_FUZZ_ALLOC_H

#include "lrengine.h"

#include <stdlib.h>
#include <string.h>

/* A checking allocator (lrengine.h's contract): every block carries its
 * size; a free or resize with another size, or a block left at the end, aborts. */
typedef struct checked {
    size_t out, blocks;
} checked;

static void *checked_realloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    checked *c = ud;
    unsigned char *h = ptr ? (unsigned char *)ptr - 16 : NULL;
    if (h) {
        size_t had;
        memcpy(&had, h, sizeof had);
        if (had != osize) abort();
    } else if (osize) {
        abort();
    }
    if (nsize == 0) {
        if (h) c->out -= osize, c->blocks--;
        free(h);
        return NULL;
    }
    unsigned char *n = realloc(h, 16 + nsize);
    if (!n) return NULL;
    c->out = c->out - (h ? osize : 0) + nsize;
    if (!h) c->blocks++;
    memcpy(n, &nsize, sizeof nsize);
    return n + 16;
}

static checked arena;
static const lre_allocator checked_alloc = {checked_realloc, &arena};

#endif
