/* eventlog.c -- see eventlog.h. */
#include "eventlog.h"

#include <errno.h>
#include <math.h>
#include <string.h>

int eventlog_path_for(const char *metrics, char *out, size_t size)
{
    size_t n = strlen(metrics);
    if (n > 6 && !strcmp(metrics + n - 6, ".jsonl")) n -= 6;
    else if (n > 5 && !strcmp(metrics + n - 5, ".json")) n -= 5;
    int k = snprintf(out, size, "%.*s.events.jsonl", (int)n, metrics);
    return k < 0 || (size_t)k >= size ? -1 : 0;
}

static void put_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f) fprintf(f, "\\u%04x", *p);
        else fputc(*p, f);
    }
    fputc('"', f);
}

static void put_number(FILE *f, double v)
{
    if (isfinite(v)) fprintf(f, "%.17g", v);
    else fputs("null", f);
}

static int failed(eventlog *l, char *msg, size_t size)
{
    snprintf(msg, size, "cannot write event log %s: %s", l->path, strerror(errno ? errno : EIO));
    return -1;
}

int eventlog_write(eventlog *l, const lre_event *ev, const char *node, long long epoch, char *msg, size_t size)
{
    if (!l->f) {
        errno = 0;
        if (!(l->f = fopen(l->path, l->append ? "a" : "w"))) return failed(l, msg, size);
    }
    FILE *f = l->f;
    fprintf(f, "{\"step\":%lld", (long long)ev->step);
    if (epoch > 0) fprintf(f, ",\"epoch\":%lld", epoch);
    fputs(",\"event\":", f);
    put_string(f, ev->kind);
    fputs(",\"node\":", f);
    put_string(f, node ? node : ev->path);
    for (size_t i = 0; i < ev->nfields; i++) {
        fputc(',', f);
        put_string(f, ev->fields[i].name);
        fputc(':', f);
        if (ev->fields[i].str) put_string(f, ev->fields[i].str);
        else put_number(f, ev->fields[i].value);
    }
    fputs("}\n", f);
    /* an event is rare: each is flushed, so a killed run keeps its log */
    errno = 0;
    if (ferror(f) || fflush(f)) return failed(l, msg, size);
    return 0;
}

int eventlog_close(eventlog *l, char *msg, size_t size)
{
    if (!l->f) return 0;
    errno = 0;
    int bad = ferror(l->f) | fclose(l->f);
    l->f = NULL;
    return bad ? failed(l, msg, size) : 0;
}
