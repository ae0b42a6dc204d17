/* sandbox_pattern.c -- string.find, match, gmatch and gsub for sandboxed
 * scripts: Lua 5.4's patterns (reference manual, section 6.4.1), matched
 * by a backtracking matcher of our own that charges its steps to the
 * call's instruction budget (lre_host_charge, which also checks the
 * deadline). The standard matcher can spend hours in one call -- a
 * pattern such as "(.-)(.-)(.-)b" on a long subject backtracks
 * cubically -- and the count hook sees none of it.
 *
 * Results, errors and their messages are the standard functions', down to
 * the limits: 32 captures, and "pattern too complex" when 200 backtracking
 * points (captures, quantifiers) are open at once, which also bounds the C
 * stack. The differential spec (spec/hostile_spec.lua) compares both on
 * many patterns. */
#include "host.h"

#include <ctype.h>
#include <string.h>

#define MAX_CAPTURES 32 /* LUA_MAXCAPTURES */
#define MAX_DEPTH 200   /* open backtracking points */
#define CAP_OPEN (-1)   /* a capture whose ')' is not matched yet */
#define CAP_POSITION (-2)
#define SPECIALS "^$*+?.([%-"

/* Matcher steps per instruction charged, and how many are charged at once. */
#define STEPS_PER_INSTRUCTION 8
#define CHARGE_STEPS 1024

typedef struct capture {
    const char *at;
    ptrdiff_t len; /* or CAP_OPEN, CAP_POSITION */
} capture;

typedef struct matcher {
    lua_State *L;
    const char *s0, *s_end; /* the subject */
    const char *p_end;      /* the pattern's end */
    int depth;              /* backtracking points still allowed */
    int ncap;
    unsigned steps; /* not charged yet */
    capture cap[MAX_CAPTURES];
} matcher;

static void steps(matcher *m, size_t n)
{
    size_t total = m->steps + n;
    if (total < CHARGE_STEPS) {
        m->steps = (unsigned)total;
        return;
    }
    m->steps = 0;
    lre_host_charge(m->L, total / STEPS_PER_INSTRUCTION);
}

static void init_matcher(matcher *m, lua_State *L, const char *s, size_t ls, const char *p, size_t lp)
{
    m->L = L;
    m->s0 = s;
    m->s_end = s + ls;
    m->p_end = p + lp;
    m->steps = 0;
}

static void restart(matcher *m)
{
    m->depth = MAX_DEPTH;
    m->ncap = 0;
}

/* ---- single characters ---- */

/* Whether c is in class %k: the letters of the manual, upper case for the
 * complement; any other k stands for itself. */
static int in_class(int c, int k)
{
    int yes;
    switch (tolower(k)) {
    case 'a': yes = isalpha(c); break;
    case 'c': yes = iscntrl(c); break;
    case 'd': yes = isdigit(c); break;
    case 'g': yes = isgraph(c); break;
    case 'l': yes = islower(c); break;
    case 'p': yes = ispunct(c); break;
    case 's': yes = isspace(c); break;
    case 'u': yes = isupper(c); break;
    case 'w': yes = isalnum(c); break;
    case 'x': yes = isxdigit(c); break;
    case 'z': yes = c == 0; break; /* deprecated, still in 5.4 */
    default: return k == c;
    }
    return isupper(k) ? !yes : yes != 0;
}

/* Whether c is in the set [...] from open (its '[') to close (its ']'). */
static int in_set(int c, const char *open, const char *close)
{
    const char *q = open + 1;
    int negated = *q == '^';
    if (negated) q++;
    /* the first character is a member even when it is ']' */
    for (; q < close; q++) {
        if (*q == '%') {
            q++;
            if (in_class(c, (unsigned char)*q)) return !negated;
        } else if (q + 2 < close && q[1] == '-') {
            if ((unsigned char)q[0] <= c && c <= (unsigned char)q[2]) return !negated;
            q += 2;
        } else if ((unsigned char)*q == c) {
            return !negated;
        }
    }
    return negated;
}

/* The end of the single-character class at p (a character, '.', %k or a
 * set). */
static const char *item_end(matcher *m, const char *p)
{
    if (*p == '%') {
        if (p + 1 >= m->p_end) luaL_error(m->L, "malformed pattern (ends with '%%')");
        return p + 2;
    }
    if (*p != '[') return p + 1;
    const char *q = p + 1;
    if (q < m->p_end && *q == '^') q++;
    for (;;) { /* the first member is taken whatever it is, so "[]]" holds ']' */
        if (q >= m->p_end) luaL_error(m->L, "malformed pattern (missing ']')");
        if (*q++ == '%' && q < m->p_end) q++;
        if (q < m->p_end && *q == ']') return q + 1;
    }
}

/* Whether the subject character at s matches the class p..ep. */
static int single(matcher *m, const char *s, const char *p, const char *ep)
{
    steps(m, 1);
    if (s >= m->s_end) return 0;
    int c = (unsigned char)*s;
    switch (*p) {
    case '.': return 1;
    case '%': return in_class(c, (unsigned char)p[1]);
    case '[': return in_set(c, p, ep - 1);
    default: return (unsigned char)*p == c;
    }
}

/* ---- sequences ---- */

static const char *match(matcher *m, const char *s, const char *p);

static const char *open_capture(matcher *m, const char *s, const char *p, ptrdiff_t what)
{
    if (m->ncap >= MAX_CAPTURES) luaL_error(m->L, "too many captures");
    m->cap[m->ncap].at = s;
    m->cap[m->ncap].len = what;
    m->ncap++;
    const char *r = match(m, s, p);
    if (!r) m->ncap--;
    return r;
}

static const char *close_capture(matcher *m, const char *s, const char *p)
{
    int i = m->ncap - 1;
    while (i >= 0 && m->cap[i].len != CAP_OPEN) i--;
    if (i < 0) luaL_error(m->L, "invalid pattern capture");
    m->cap[i].len = s - m->cap[i].at;
    const char *r = match(m, s, p);
    if (!r) m->cap[i].len = CAP_OPEN;
    return r;
}

/* %bxy at p (p at 'x'): a balanced run from s, or NULL. */
static const char *balanced(matcher *m, const char *s, const char *p)
{
    if (p + 1 >= m->p_end) luaL_error(m->L, "malformed pattern (missing arguments to '%%b')");
    if (s >= m->s_end || *s != p[0]) return NULL;
    const char *start = s;
    int open = 1;
    while (++s < m->s_end) {
        if (*s == p[1]) {
            if (--open == 0) {
                steps(m, (size_t)(s - start));
                return s + 1;
            }
        } else if (*s == p[0]) {
            open++;
        }
    }
    steps(m, (size_t)(s - start));
    return NULL;
}

/* %1-%9 (k is the digit): the text of that capture again, or NULL. */
static const char *backref(matcher *m, const char *s, int k)
{
    int i = k - '1';
    if (i < 0 || i >= m->ncap || m->cap[i].len == CAP_OPEN) luaL_error(m->L, "invalid capture index %%%d", i + 1);
    size_t len = (size_t)m->cap[i].len; /* a position capture's is huge: no match */
    steps(m, 1 + (len < (size_t)(m->s_end - s) ? len : 0) / 64);
    if ((size_t)(m->s_end - s) >= len && memcmp(m->cap[i].at, s, len) == 0) return s + len;
    return NULL;
}

/* The longest run of the class p..ep from s that lets the rest match,
 * backing off one character at a time. */
static const char *greedy(matcher *m, const char *s, const char *p, const char *ep)
{
    ptrdiff_t n = 0;
    while (single(m, s + n, p, ep)) n++;
    for (; n >= 0; n--) {
        const char *r = match(m, s + n, ep + 1);
        if (r) return r;
    }
    return NULL;
}

/* The shortest run that lets the rest match. */
static const char *lazy(matcher *m, const char *s, const char *p, const char *ep)
{
    for (;;) {
        const char *r = match(m, s, ep + 1);
        if (r) return r;
        if (!single(m, s, p, ep)) return NULL;
        s++;
    }
}

/* Matches the pattern from p against the subject from s: the end of the
 * match, or NULL. Every call is a backtracking point, bounded by depth. */
static const char *match(matcher *m, const char *s, const char *p)
{
    if (m->depth-- == 0) luaL_error(m->L, "pattern too complex");
    for (;;) {
        steps(m, 1);
        if (p == m->p_end) break;
        if (*p == '(') {
            if (p + 1 < m->p_end && p[1] == ')') s = open_capture(m, s, p + 2, CAP_POSITION);
            else s = open_capture(m, s, p + 1, CAP_OPEN);
            break;
        }
        if (*p == ')') {
            s = close_capture(m, s, p + 1);
            break;
        }
        if (*p == '$' && p + 1 == m->p_end) {
            if (s != m->s_end) s = NULL;
            break;
        }
        if (*p == '%' && p + 1 < m->p_end) {
            char k = p[1];
            if (k == 'b') {
                s = balanced(m, s, p + 2);
                if (!s) break;
                p += 4;
                continue;
            }
            if (k == 'f') {
                p += 2;
                if (p >= m->p_end || *p != '[') luaL_error(m->L, "missing '[' after '%%f' in pattern");
                const char *ep = item_end(m, p);
                int before = s == m->s0 ? 0 : (unsigned char)s[-1];
                int at = s < m->s_end ? (unsigned char)*s : 0;
                if (in_set(before, p, ep - 1) || !in_set(at, p, ep - 1)) {
                    s = NULL;
                    break;
                }
                p = ep;
                continue;
            }
            if (k >= '0' && k <= '9') {
                s = backref(m, s, (unsigned char)k);
                if (!s) break;
                p += 2;
                continue;
            }
        }
        /* a single-character class, maybe quantified */
        const char *ep = item_end(m, p);
        char q = ep < m->p_end ? *ep : 0;
        if (!single(m, s, p, ep)) {
            if (q == '*' || q == '?' || q == '-') { /* zero of them will do */
                p = ep + 1;
                continue;
            }
            s = NULL;
            break;
        }
        if (q == '?') {
            const char *r = match(m, s + 1, ep + 1);
            if (r) {
                s = r;
                break;
            }
            p = ep + 1;
            continue;
        }
        if (q == '+') s = greedy(m, s + 1, p, ep);
        else if (q == '*') s = greedy(m, s, p, ep);
        else if (q == '-') s = lazy(m, s, p, ep);
        else {
            s++;
            p = ep;
            continue;
        }
        break;
    }
    m->depth++;
    return s;
}

/* ---- results ---- */

/* Pushes capture i of the match s..e (the whole match when the pattern has
 * none and i is 0). */
static void push_capture(matcher *m, int i, const char *s, const char *e)
{
    if (i >= m->ncap) {
        if (i != 0) luaL_error(m->L, "invalid capture index %%%d", i + 1);
        lua_pushlstring(m->L, s, (size_t)(e - s));
        return;
    }
    const capture *c = &m->cap[i];
    if (c->len == CAP_OPEN) luaL_error(m->L, "unfinished capture");
    if (c->len == CAP_POSITION) lua_pushinteger(m->L, (lua_Integer)(c->at - m->s0) + 1);
    else lua_pushlstring(m->L, c->at, (size_t)c->len);
}

/* Pushes every capture, or the whole match when there is none and s is
 * given; returns how many. */
static int push_captures(matcher *m, const char *s, const char *e)
{
    int n = m->ncap == 0 && s ? 1 : m->ncap;
    luaL_checkstack(m->L, n, "too many captures");
    for (int i = 0; i < n; i++) push_capture(m, i, s, e);
    return n;
}

/* The 0-based start of a search from the 1-based, maybe negative, init. */
static size_t start_of(lua_Integer init, size_t len)
{
    if (init > 0) return (size_t)init - 1;
    if (init == 0 || init < -(lua_Integer)len) return 0;
    return len - (size_t)-init;
}

static int has_specials(const char *p, size_t lp)
{
    for (size_t i = 0; i < lp; i++)
        if (p[i] && strchr(SPECIALS, p[i])) return 1;
    return 0;
}

/* The first occurrence of p (lp bytes) in s (ls bytes), or NULL; each
 * candidate is charged with the bytes it compares. */
static const char *find_plain(matcher *m, const char *s, size_t ls, const char *p, size_t lp)
{
    if (lp == 0) return s;
    if (lp > ls) return NULL;
    const char *end = s + (ls - lp) + 1; /* candidates start before end */
    while (s < end) {
        const char *c = memchr(s, p[0], (size_t)(end - s));
        steps(m, (size_t)((c ? c : end) - s) / 16 + 1);
        if (!c) return NULL;
        steps(m, lp / 16 + 1);
        if (memcmp(c + 1, p + 1, lp - 1) == 0) return c;
        s = c + 1;
    }
    return NULL;
}

static int find_or_match(lua_State *L, int find)
{
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = start_of(luaL_optinteger(L, 3, 1), ls);
    if (init > ls) {
        lua_pushnil(L);
        return 1;
    }
    matcher m;
    init_matcher(&m, L, s, ls, p, lp);
    if (find && (lua_toboolean(L, 4) || !has_specials(p, lp))) {
        const char *at = find_plain(&m, s + init, ls - init, p, lp);
        if (!at) {
            lua_pushnil(L);
            return 1;
        }
        lua_pushinteger(L, (lua_Integer)(at - s) + 1);
        lua_pushinteger(L, (lua_Integer)(at - s + lp));
        return 2;
    }
    int anchored = lp > 0 && *p == '^';
    if (anchored) init_matcher(&m, L, s, ls, p + 1, lp - 1);
    const char *pat = anchored ? p + 1 : p;
    const char *from = s + init;
    do {
        restart(&m);
        const char *e = match(&m, from, pat);
        if (e) {
            if (!find) return push_captures(&m, from, e);
            lua_pushinteger(L, (lua_Integer)(from - s) + 1);
            lua_pushinteger(L, (lua_Integer)(e - s));
            return push_captures(&m, NULL, NULL) + 2;
        }
    } while (from++ < m.s_end && !anchored);
    lua_pushnil(L);
    return 1;
}

static int pattern_find(lua_State *L) { return find_or_match(L, 1); }
static int pattern_match(lua_State *L) { return find_or_match(L, 0); }

/* gmatch's iterator: upvalues the subject, the pattern and its position. */
typedef struct gmatch_state {
    size_t pos;       /* where the next search starts (may be past the end) */
    size_t last;      /* the end of the last match */
    int matched;      /* whether there was one */
} gmatch_state;

static int gmatch_next(lua_State *L)
{
    size_t ls, lp;
    const char *s = lua_tolstring(L, lua_upvalueindex(1), &ls);
    const char *p = lua_tolstring(L, lua_upvalueindex(2), &lp);
    gmatch_state *g = lua_touserdata(L, lua_upvalueindex(3));
    matcher m;
    init_matcher(&m, L, s, ls, p, lp);
    for (size_t at = g->pos; at <= ls; at++) {
        restart(&m);
        const char *e = match(&m, s + at, p);
        /* an empty match right where the last one ended does not count */
        if (e && !(g->matched && (size_t)(e - s) == g->last)) {
            g->pos = g->last = (size_t)(e - s);
            g->matched = 1;
            return push_captures(&m, s + at, e);
        }
    }
    g->pos = ls + 1;
    return 0;
}

static int pattern_gmatch(lua_State *L)
{
    size_t ls;
    luaL_checklstring(L, 1, &ls);
    luaL_checkstring(L, 2);
    size_t init = start_of(luaL_optinteger(L, 3, 1), ls);
    if (init > ls) init = ls + 1;
    lua_settop(L, 2);
    gmatch_state *g = lua_newuserdatauv(L, sizeof *g, 0);
    g->pos = init;
    g->last = 0;
    g->matched = 0;
    lua_pushcclosure(L, gmatch_next, 3);
    return 1;
}

/* Appends the replacement string (at 3) for the match s..e: %0-%9 are
 * captures, %% is '%'. */
static void add_template(matcher *m, luaL_Buffer *b, const char *s, const char *e)
{
    lua_State *L = m->L;
    size_t l;
    const char *r = lua_tolstring(L, 3, &l), *end = r + l;
    for (;;) {
        const char *pct = memchr(r, '%', (size_t)(end - r));
        if (!pct) break;
        luaL_addlstring(b, r, (size_t)(pct - r));
        char k = pct[1]; /* the string's terminating NUL after a final '%' */
        if (k == '%') {
            luaL_addchar(b, '%');
        } else if (k == '0') {
            luaL_addlstring(b, s, (size_t)(e - s));
        } else if (isdigit((unsigned char)k)) {
            push_capture(m, k - '1', s, e);
            luaL_tolstring(L, -1, NULL); /* a position capture is a number */
            lua_remove(L, -2);
            luaL_addvalue(b);
        } else {
            luaL_error(L, "invalid use of '%c' in replacement string", '%');
        }
        r = pct + 2;
    }
    luaL_addlstring(b, r, (size_t)(end - r));
}

/* Appends the replacement of the match s..e; returns whether it changed
 * the text. */
static int add_replacement(matcher *m, luaL_Buffer *b, const char *s, const char *e, int type)
{
    lua_State *L = m->L;
    if (type == LUA_TFUNCTION) {
        lua_pushvalue(L, 3);
        int n = push_captures(m, s, e);
        lua_call(L, n, 1);
    } else if (type == LUA_TTABLE) {
        push_capture(m, 0, s, e);
        lua_gettable(L, 3);
    } else {
        add_template(m, b, s, e);
        return 1;
    }
    if (!lua_toboolean(L, -1)) { /* nil or false: the match stays */
        lua_pop(L, 1);
        luaL_addlstring(b, s, (size_t)(e - s));
        return 0;
    }
    if (!lua_isstring(L, -1)) return luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    luaL_addvalue(b);
    return 1;
}

static int pattern_gsub(lua_State *L)
{
    size_t ls, lp;
    const char *src = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    int type = lua_type(L, 3);
    lua_Integer max = luaL_optinteger(L, 4, (lua_Integer)ls + 1);
    luaL_argexpected(L, type == LUA_TNUMBER || type == LUA_TSTRING || type == LUA_TFUNCTION || type == LUA_TTABLE, 3,
                     "string/function/table");
    int anchored = lp > 0 && *p == '^';
    if (anchored) p++, lp--;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    matcher m;
    init_matcher(&m, L, src, ls, p, lp);
    const char *last = NULL;
    lua_Integer n = 0;
    int changed = 0;
    while (n < max) {
        restart(&m);
        const char *e = match(&m, src, p);
        if (e && e != last) {
            n++;
            changed |= add_replacement(&m, &b, src, e, type);
            src = last = e;
        } else if (src < m.s_end) {
            luaL_addchar(&b, *src++);
        } else {
            break;
        }
        if (anchored) break;
    }
    if (!changed) {
        lua_pushvalue(L, 1);
    } else {
        luaL_addlstring(&b, src, (size_t)(m.s_end - src));
        luaL_pushresult(&b);
    }
    lua_pushinteger(L, n);
    return 2;
}

void lre_sandbox_open_patterns(lua_State *L)
{
    static const luaL_Reg fns[] = {{"find", pattern_find},
                                   {"match", pattern_match},
                                   {"gmatch", pattern_gmatch},
                                   {"gsub", pattern_gsub},
                                   {NULL, NULL}};
    luaL_setfuncs(L, fns, 0);
}
