/* report.c -- what the binary's commands share: error messages, the
 * interrupt flag, number parsing and charts drawn with lrengine.plot. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

volatile int cli_interrupted;

int cli_error(int code, const char *fmt, ...)
{
    va_list ap;
    fputs(LRE_PROGNAME ": ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    return code;
}

lre_script_limits cli_limits(int unsandboxed)
{
    lre_script_limits limits = {0};
    limits.unsandboxed = unsandboxed;
    limits.stop = &cli_interrupted;
    return limits;
}

int cli_parse_count(const char *s, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < 0) return 1;
    *out = v;
    return 0;
}

int cli_parse_number(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v)) return 1;
    *out = v;
    return 0;
}

char *cli_read_stdin(size_t max, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, stdin);
        if (ferror(stdin)) break;
        if (n > max) {
            errno = EFBIG;
            break;
        }
        if (n < cap) {
            *len = n;
            return buf;
        }
        size_t grown = cap < max / 2 ? 2 * cap : max + 1; /* room for one byte past max, to see it */
        char *more = realloc(buf, grown);
        if (!more) {
            errno = ENOMEM;
            break;
        }
        buf = more, cap = grown;
    }
    free(buf);
    return NULL;
}

int cli_output_open(cli_output *o, const char *path)
{
    o->f = stdout, o->path = path, o->tmp = NULL;
    if (!path) return 0;
    size_t len = strlen(path);
    int fd = -1;
    if (!(o->tmp = malloc(len + 8))) return errno = ENOMEM, -1;
    memcpy(o->tmp, path, len);
    memcpy(o->tmp + len, ".XXXXXX", 8);
    if ((fd = mkstemp(o->tmp)) < 0 || !(o->f = fdopen(fd, "w"))) {
        int e = errno;
        if (fd >= 0) close(fd), unlink(o->tmp);
        free(o->tmp);
        o->tmp = NULL, o->f = NULL;
        return errno = e, -1;
    }
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    return 0;
}

int cli_output_close(cli_output *o, int ok)
{
    int failed = fflush(o->f) != 0 || ferror(o->f), e = errno;
    if (!o->tmp) return failed ? (errno = e, -1) : 0;
    if (fclose(o->f) && !failed) failed = 1, e = errno;
    if (ok && !failed && rename(o->tmp, o->path)) failed = 1, e = errno;
    if (!ok || failed) unlink(o->tmp);
    free(o->tmp);
    o->tmp = NULL, o->f = NULL;
    return failed ? (errno = e, -1) : 0;
}

const char *cli_format_of(const char *path)
{
    static const char *const by_ext[][2] = {{".svg", "svg"}, {".csv", "csv"}, {".json", "json"}, {".txt", "ascii"}};
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof by_ext / sizeof by_ext[0]; i++)
        if (!strcmp(dot, by_ext[i][0])) return by_ext[i][1];
    return NULL;
}

void cli_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p == '\n') fputs("\\n", f);
        else if (*p == '\t') fputs("\\t", f);
        else if (*p < 0x20 || *p == 0x7f) fprintf(f, "\\u%04x", *p);
        else fputc(*p, f);
    }
    fputc('"', f);
}

void cli_json_number(FILE *f, double v)
{
    if (!isfinite(v)) {
        fputs("null", f);
        return;
    }
    char buf[32];
    for (int prec = 1; prec <= 17; prec++) { /* the shortest form that reads back */
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) break;
    }
    fputs(buf, f);
}

typedef struct chart {
    const char *format, *title, *xlabel;
    const double *x;
    size_t n;
    int nseries;
    const char *const *names;
    const double *const *values;
    int logx, logy;
    const cli_marks *marks;
    int x_steps; /* x holds whole steps (or is NULL: 0..n-1), given to Lua as integers */
} chart;

/* v as a Lua list; v NULL: 0..n-1. integers: as integers. */
static void push_list(lua_State *L, const double *v, size_t n, int integers)
{
    lua_createtable(L, n < (size_t)1 << 30 ? (int)n : 0, 0);
    for (size_t i = 0; i < n; i++) {
        if (!v) lua_pushinteger(L, (lua_Integer)i);
        else if (integers) lua_pushinteger(L, (lua_Integer)v[i]);
        else lua_pushnumber(L, v[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

/* v in two significant digits, its exponent without '+' and leading zeros:
 * 0.044, 1e3, 2.5e-5. */
static const char *compact(char buf[32], double v)
{
    snprintf(buf, 32, "%.2g", v);
    char *e = strchr(buf, 'e');
    if (e) {
        char *d = e + 1, *w = e + 1;
        if (*d == '-') *w++ = *d++;
        else if (*d == '+') d++;
        while (*d == '0' && d[1]) d++;
        memmove(w, d, strlen(d) + 1);
    }
    return buf;
}

/* lrengine.plot.render(format, chart) -> the text; in protected mode, so a
 * chart too large for memory is an error message, not a panic. */
static int protected_render(lua_State *L)
{
    const chart *c = lua_touserdata(L, 1);
    luaL_checkstack(L, 10, NULL);
    lua_getglobal(L, "require");
    lua_pushliteral(L, "lrengine.plot");
    lua_call(L, 1, 1);
    lua_getfield(L, -1, "render");
    lua_pushstring(L, c->format);
    lua_createtable(L, 0, 6);
    push_list(L, c->x, c->n, c->x_steps);
    lua_setfield(L, -2, "x");
    lua_createtable(L, c->nseries, 0);
    for (int i = 0; i < c->nseries; i++) {
        lua_createtable(L, 0, 2);
        lua_pushstring(L, c->names[i]);
        lua_setfield(L, -2, "name");
        push_list(L, c->values[i], c->n, 0);
        lua_setfield(L, -2, "values");
        if (i == 0 && c->marks && c->marks->trim_tail) {
            lua_pushliteral(L, "tail");
            lua_setfield(L, -2, "trim");
        }
        if (c->marks && c->marks->panel && c->marks->panel[i]) {
            lua_pushstring(L, c->marks->panel[i]);
            lua_setfield(L, -2, "panel");
        }
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "series");
    /* the marks: {x = ..., label = "0.044", legend = label[i], series = names[0]},
     * the first red and dashed, the others green and dotted */
    char value[32];
    for (int i = 0; c->marks && i < c->marks->n; i++) {
        if (i == 0) lua_createtable(L, c->marks->n, 0);
        lua_createtable(L, 0, 6);
        lua_pushnumber(L, c->marks->x[i]);
        lua_setfield(L, -2, "x");
        lua_pushstring(L, c->marks->label[i]);
        lua_setfield(L, -2, "legend");
        lua_pushstring(L, compact(value, c->marks->x[i]));
        lua_setfield(L, -2, "label");
        if (c->nseries > 0) {
            lua_pushstring(L, c->names[0]);
            lua_setfield(L, -2, "series");
        }
        lua_pushstring(L, i == 0 ? "#d62728" : "#2ca02c");
        lua_setfield(L, -2, "color");
        lua_pushstring(L, i == 0 ? "6,3" : "2,3");
        lua_setfield(L, -2, "dash");
        lua_rawseti(L, -2, i + 1);
        if (i == c->marks->n - 1) lua_setfield(L, -2, "markers");
    }
    lua_pushstring(L, c->title);
    lua_setfield(L, -2, "title");
    lua_pushstring(L, c->xlabel);
    lua_setfield(L, -2, "xlabel");
    lua_pushstring(L, c->nseries == 1 ? c->names[0] : "value");
    lua_setfield(L, -2, "ylabel");
    lua_pushboolean(L, c->logx);
    lua_setfield(L, -2, "logx");
    lua_pushboolean(L, c->logy);
    lua_setfield(L, -2, "logy");
    lua_call(L, 2, 1);
    return 1;
}

static int render(FILE *out, chart c)
{
    lre_script_limits limits = cli_limits(1);
    limits.memory_bytes = CLI_CHART_MEMORY;
    lre_host *h = lre_host_new("plot", &limits);
    if (!h) return cli_error(LRE_EXIT_FAIL, "out of memory");
    lua_State *L = lre_host_state(h);
    lua_pushcfunction(L, protected_render);
    lua_pushlightuserdata(L, &c);
    lre_error err;
    int rc = LRE_EXIT_OK;
    if (lre_host_pcall(h, 1, 1, 0, &err)) {
        rc = cli_error(LRE_EXIT_FAIL, "drawing the chart: %s%s", err.msg,
                       strstr(err.msg, "memory limit") ? " (its points are held as Lua numbers, about 30 bytes each: "
                                                         "draw fewer steps, or write csv, which streams)" : "");
    } else {
        size_t len;
        const char *text = lua_tolstring(L, -1, &len);
        if (fwrite(text, 1, len, out) != len || fflush(out))
            rc = cli_error(LRE_EXIT_FAIL, "writing the chart: %s", strerror(errno));
    }
    lre_host_release(h);
    return rc;
}

int cli_render(FILE *out, const char *format, const char *title, const char *xlabel, const double *x, size_t n,
               int nseries, const char *const *names, const double *const *values, int logx, int logy,
               const cli_marks *marks)
{
    return render(out, (chart){format, title, xlabel, x, n, nseries, names, values, logx, logy, marks, x == NULL});
}

int cli_render_steps(FILE *out, const char *format, const char *title, const double *steps, size_t n, int nseries,
                     const char *const *names, const double *const *values, int logy)
{
    return render(out, (chart){format, title, "step", steps, n, nseries, names, values, 0, logy, NULL, 1});
}
