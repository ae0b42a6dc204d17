/* alloc.c -- every allocation of the core goes through an lre_allocator (the
 * contract of Lua's lua_Alloc, as zstd's customMem lets a host do): a host
 * can charge what an optimizer or schedule takes to whoever owns it. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static void *std_realloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)ud;
    (void)osize;
    if (nsize == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, nsize);
}

const lre_allocator lre__std_alloc = {std_realloc, NULL};

lre_allocator lre__allocator(const lre_allocator *a)
{
    return a && a->realloc ? *a : lre__std_alloc;
}

void *lre__alloc(const lre_allocator *a, size_t size)
{
    return size ? (a->realloc)(a->ud, NULL, 0, size) : NULL;
}

void *lre__alloc_zero(const lre_allocator *a, size_t n, size_t size)
{
    size_t bytes;
    if (!lre__mul_size(n, size, &bytes) || bytes == 0) return NULL;
    void *p = (a->realloc)(a->ud, NULL, 0, bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

void *lre__realloc(const lre_allocator *a, void *p, size_t osize, size_t nsize)
{
    if (!p) return lre__alloc(a, nsize);
    return (a->realloc)(a->ud, p, osize, nsize);
}

void lre__free(const lre_allocator *a, void *p, size_t size)
{
    if (p) (a->realloc)(a->ud, p, size, 0);
}
