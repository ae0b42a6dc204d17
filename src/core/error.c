/* error.c -- result codes, their texts, and filling an error record. */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>

int lre_version_number(void) { return LRE_VERSION_NUMBER; }

const char *lre_strerror(int code)
{
    switch (code) {
    case LRE_OK: return "success";
    case LRE_EINVAL: return "invalid argument";
    case LRE_ENOMEM: return "out of memory";
    case LRE_ENONFINITE: return "non-finite value";
    case LRE_EIO: return "read or write failed";
    case LRE_ETRUNCATED: return "truncated state";
    case LRE_ECORRUPT: return "corrupt state";
    case LRE_EFORMAT: return "not an lrengine state of this version and machine";
    case LRE_EMISMATCH: return "state of another configuration";
    case LRE_ECALLBACK: return "custom schedule failed";
    case LRE_ERANGE: return "scheduled value out of range";
    case LRE_EGUARD: return "too many steps skipped in a row by the spike guard";
    default: return "unknown error";
    }
}

int lre__error_setv(lre_error *err, int code, const char *fmt, va_list ap)
{
    if (err) {
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        err->code = code;
    }
    return code;
}

int lre_error_set(lre_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lre__error_setv(err, code, fmt, ap);
    va_end(ap);
    return code;
}
