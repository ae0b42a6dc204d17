/* run_source.c -- see run_source.h. */
#include "run_source.h"
#include "cmd_plot.h"
#include "eventlog.h"
#include "fileio.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int run_source_is_checkpoint(const char *path)
{
    FILE *f = fileio_fopen_read(path);
    char sig[8] = {0};
    int yes = f && fread(sig, 1, 7, f) == 7 && !memcmp(sig, "LRECKPT", 7);
    if (f) fclose(f);
    return yes;
}

int run_source_metrics_beside(const char *ckpt, char *out, size_t size)
{
    const char *slash = strrchr(ckpt, '/'), *dot = strrchr(ckpt, '.');
    size_t stem = dot && dot > (slash ? slash : ckpt) && dot[1] ? (size_t)(dot - ckpt) : strlen(ckpt);
    int n = snprintf(out, size, "%.*s.jsonl", (int)stem, ckpt);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

int run_source_exists(const char *path)
{
    FILE *f = fileio_fopen_read(path);
    if (f) fclose(f);
    return f != NULL;
}

int run_source_config(run_source *r, const char *path, const char *ckpt, char *msg, size_t size)
{
    train_config c;
    lre_script_limits limits = cli_limits(0);
    if (train_config_load(&c, path, &limits, msg, size)) {
        train_config_free(&c);
        return -1;
    }
    int rc = train_where_is(&c, ckpt, &r->where, msg, size);
    if (!rc) {
        for (int k = 0; k < c.schedules.n; k++) {
            r->set.s[k] = lre_schedule_retain(c.schedules.s[k]);
            memcpy(r->set.name[k], c.schedules.name[k], sizeof r->set.name[k]);
        }
        r->set.n = c.schedules.n;
        r->observe = c.observe;
        r->epochs = c.epochs;
    }
    train_config_free(&c);
    return rc;
}

/* A config's schedules and horizon; with ckpt, its saved state. When it is
 * not a config either, the reason it is not a schedule (schedule_err) and
 * the config's. */
static int load_config(run_source *r, const char *path, const char *ckpt, const char *schedule_err)
{
    char msg[TRAIN_MSG_SIZE];
    if (!run_source_config(r, path, ckpt, msg, sizeof msg))
        return r->set.n ? 0 : cli_error(LRE_EXIT_FAIL, "%s: the config schedules nothing (no schedule key)", path);
    if (cli_interrupted) return cli_error(LRE_EXIT_INTERRUPTED, "%s", msg);
    if (schedule_err) return cli_error(LRE_EXIT_FAIL, "%s (nor a training config: %s)", schedule_err, msg);
    return cli_error(LRE_EXIT_FAIL, "%s", msg);
}

int run_source_maybe_config(const char *schedule_err)
{
    return strstr(schedule_err, "neither 'at' nor 'lr'") || strstr(schedule_err, "may drive at most");
}

int run_source_load(run_source *r, const char *path, const char *config)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    r->observe = OBSERVE_VAL_LOSS;
    if (strcmp(path, "-") && run_source_is_checkpoint(path)) {
        r->kind = SRC_CHECKPOINT;
        if (!config) return cli_error(LRE_EXIT_USAGE, "%s is a checkpoint: give --config CONFIG.lua, the config that wrote it", path);
        return load_config(r, config, path, NULL);
    }
    lre_error err;
    if (!plot_load_schedules(path, &r->set, &err)) {
        r->kind = SRC_SCRIPT;
        return 0;
    }
    lre_schedule_set_free(&r->set);
    if (cli_interrupted) return cli_error(LRE_EXIT_INTERRUPTED, "%s", err.msg);
    if (!strcmp(path, "-")) return cli_error(LRE_EXIT_FAIL, "%s", err.msg);
    if (!run_source_maybe_config(err.msg)) return cli_error(LRE_EXIT_FAIL, "%s", err.msg);
    r->kind = SRC_CONFIG; /* a table that is not a schedule: a config? */
    return load_config(r, path, NULL, err.msg);
}

void run_source_free(run_source *r) { lre_schedule_set_free(&r->set); }

/* ---- observations ---- */

static int add_obs(observations *o, size_t *cap, long long step, double metric)
{
    if (o->n == *cap) {
        size_t nc = *cap ? 2 * *cap : 64;
        long long *s = realloc(o->step, nc * sizeof *s);
        if (s) o->step = s;
        double *m = realloc(o->metric, nc * sizeof *m);
        if (m) o->metric = m;
        if (!s || !m) return -1;
        *cap = nc;
    }
    o->step[o->n] = step;
    o->metric[o->n++] = metric;
    return 0;
}

typedef struct obs_reader {
    observations *o;
    size_t cap;
    const char *path, *key;
} obs_reader;

/* An epoch line of a metrics file: its metric, observed at its step. */
static int obs_line(void *ud, const jsonl_obj *obj, long long lineno)
{
    obs_reader *r = ud;
    observations *o = r->o;
    double m = jsonl_num(obj, r->key), step = jsonl_num(obj, "step");
    if (!jsonl_get(obj, r->key) || isnan(step)) return 0; /* a step line, or an epoch without validation */
    if (!isfinite(m) || step < 0 || step != floor(step) || step > 9007199254740992.0)
        return cli_error(LRE_EXIT_FAIL, "%s:%lld: %s %g at step %g: expected a finite metric at a whole step", r->path,
                         lineno, r->key, m, step);
    if (o->n && (long long)step <= o->step[o->n - 1]) { /* a resumed run wrote its epoch again */
        o->metric[o->n - 1] = m, o->step[o->n - 1] = (long long)step;
        return 0;
    }
    return add_obs(o, &r->cap, (long long)step, m) ? cli_error(LRE_EXIT_FAIL, "out of memory") : 0;
}

int observations_read(const char *path, observe_kind observe, observations *o)
{
    memset(o, 0, sizeof *o);
    size_t len = strlen(path), cap = 0;
    if (!(len > 6 && !strcmp(path + len - 6, ".jsonl"))) {
        double *v;
        size_t n;
        int rc = plot_read_metrics(path, &v, &n);
        if (rc) return rc;
        for (size_t i = 0; i < n && !rc; i++)
            if (add_obs(o, &cap, (long long)i + 1, v[i])) rc = cli_error(LRE_EXIT_FAIL, "out of memory");
        free(v);
        return rc;
    }
    if (observe == OBSERVE_NONE) return 0; /* a config that observes nothing: its run fed no metric */
    obs_reader r = {o, cap, path, observe == OBSERVE_VAL_ACC ? "val_acc" : "val_loss"};
    return jsonl_read(path, "a flat JSON object", obs_line, &r);
}

void observations_free(observations *o)
{
    free(o->step), free(o->metric);
    memset(o, 0, sizeof *o);
}

/* ---- events ---- */

/* An event packed: its number of fields, then each field's key and a NUL,
 * and either 's', the string and a NUL, or 'n' and the number's 8 bytes. */
static size_t packed_size(const jsonl_obj *o)
{
    size_t n = 1;
    for (int i = 0; i < o->n; i++)
        n += strlen(o->f[i].key) + 2 + (o->f[i].is_str ? strlen(o->f[i].str) + 1 : sizeof(double));
    return n;
}

static int grow(void **p, size_t *cap, size_t need, size_t unit)
{
    if (need <= *cap) return 0;
    size_t nc = *cap ? *cap : 64;
    while (nc < need) nc *= 2;
    void *q = realloc(*p, nc * unit);
    if (!q) return -1;
    *p = q, *cap = nc;
    return 0;
}

static int push_event(run_events *e, const jsonl_obj *o)
{
    size_t size = packed_size(o);
    if (e->failed) return -1;
    if (size > RUN_EVENTS_MAX_BYTES - e->len) return e->failed = RUN_EVENTS_FULL, -1;
    if (grow((void **)&e->bytes, &e->cap, e->len + size, 1) || grow((void **)&e->at, &e->ncap, e->n + 1, sizeof *e->at))
        return e->failed = RUN_EVENTS_NOMEM, -1;
    unsigned char *b = e->bytes + e->len;
    e->at[e->n++] = e->len;
    e->len += size;
    *b++ = (unsigned char)o->n;
    for (int i = 0; i < o->n; i++) {
        const jsonl_field *f = &o->f[i];
        size_t k = strlen(f->key) + 1;
        memcpy(b, f->key, k);
        b += k;
        *b++ = f->is_str ? 's' : 'n';
        if (f->is_str) {
            k = strlen(f->str) + 1;
            memcpy(b, f->str, k);
            b += k;
        } else {
            memcpy(b, &f->num, sizeof f->num);
            b += sizeof f->num;
        }
    }
    return 0;
}

void run_event_get(const run_events *e, size_t i, jsonl_obj *o)
{
    const unsigned char *b = e->bytes + e->at[i];
    o->n = *b++;
    for (int j = 0; j < o->n; j++) {
        jsonl_field *f = &o->f[j];
        size_t k = strlen((const char *)b) + 1;
        memcpy(f->key, b, k);
        b += k;
        f->is_str = *b++ == 's';
        f->num = 0;
        f->str[0] = 0;
        if (f->is_str) {
            k = strlen((const char *)b) + 1;
            memcpy(f->str, b, k);
            b += k;
        } else {
            memcpy(&f->num, b, sizeof f->num);
            b += sizeof f->num;
        }
    }
}

/* What a failed e says: at a log's line (path, line) or a replay's step
 * (path NULL). */
static int events_failed(const run_events *e, const char *path, long long at)
{
    if (e->failed == RUN_EVENTS_NOMEM) return cli_error(LRE_EXIT_FAIL, "out of memory for the events");
    return cli_error(LRE_EXIT_FAIL, "%s%s%lld: the events up to here pass %zu MiB, the most kept in memory: ask for an earlier step",
                     path ? path : "replayed to step ", path ? ":" : "", at, RUN_EVENTS_MAX_BYTES >> 20);
}

#define EVENT_WHAT "an event (a flat JSON object with step and event)"

static int not_an_event(const char *path, const jsonl_obj *o, long long lineno)
{
    if (!isnan(jsonl_num(o, "step")) && jsonl_get(o, "event")) return 0;
    return cli_error(LRE_EXIT_FAIL, "%s:%lld: not an event (a flat JSON object with step and event)", path, lineno);
}

typedef struct resumes_reader {
    event_resumes *r;
    size_t cap;
    const char *path;
} resumes_reader;

static int resume_line(void *ud, const jsonl_obj *o, long long lineno)
{
    resumes_reader *rr = ud;
    event_resumes *r = rr->r;
    const jsonl_field *kind = jsonl_get(o, "event");
    int rc = not_an_event(rr->path, o, lineno);
    if (rc) return rc;
    if (!kind->is_str || strcmp(kind->str, "resume")) return 0;
    if (r->n == rr->cap) {
        size_t nc = rr->cap ? 2 * rr->cap : 8;
        long long *line = realloc(r->line, nc * sizeof *line);
        if (line) r->line = line;
        long long *upto = line ? realloc(r->upto, nc * sizeof *upto) : NULL;
        if (!upto) return cli_error(LRE_EXIT_FAIL, "out of memory");
        r->upto = upto, rr->cap = nc;
    }
    double step = jsonl_num(o, "step");
    r->line[r->n] = lineno;
    r->upto[r->n++] = step >= 0x1p62 ? (long long)0x1p62 : step < 0 ? -1 : (long long)step;
    return 0;
}

int event_resumes_read(const char *path, event_resumes *r)
{
    memset(r, 0, sizeof *r);
    resumes_reader rr = {r, 0, path};
    int rc = jsonl_read(path, EVENT_WHAT, resume_line, &rr);
    for (size_t i = r->n; i-- > 1;) /* each resume's least step, from it to the last */
        if (r->upto[i] < r->upto[i - 1]) r->upto[i - 1] = r->upto[i];
    if (rc) event_resumes_free(r);
    return rc;
}

int event_abandoned(event_resumes *r, long long lineno, double step)
{
    while (r->next < r->n && r->line[r->next] <= lineno) r->next++;
    return r->next < r->n && step > (double)r->upto[r->next];
}

void event_resumes_free(event_resumes *r)
{
    free(r->line), free(r->upto);
    memset(r, 0, sizeof *r);
}

typedef struct events_reader {
    run_events *e;
    long long upto;
    const char *path;
    event_resumes resumes;
} events_reader;

static int event_line(void *ud, const jsonl_obj *o, long long lineno)
{
    events_reader *r = ud;
    double step = jsonl_num(o, "step");
    int rc = not_an_event(r->path, o, lineno);
    if (rc) return rc;
    if (event_abandoned(&r->resumes, lineno, step)) return 0;
    if ((r->upto < 0 || step <= (double)r->upto) && push_event(r->e, o)) return events_failed(r->e, r->path, lineno);
    return 0;
}

int run_events_read(const char *path, long long upto, run_events *e)
{
    events_reader r = {e, upto, path, {0}};
    int rc = event_resumes_read(path, &r.resumes);
    if (!rc) rc = jsonl_read(path, EVENT_WHAT, event_line, &r);
    event_resumes_free(&r.resumes);
    return rc;
}

void run_events_free(run_events *e)
{
    free(e->bytes), free(e->at);
    memset(e, 0, sizeof *e);
}

typedef struct replay_hook {
    run_events *e;
    const char *name;
    long long steps_per_epoch;
} replay_hook;

static void on_replay_event(void *ud, const lre_event *ev)
{
    replay_hook *h = ud;
    jsonl_obj o = {0};
    jsonl_field *f = o.f;
    f[o.n] = (jsonl_field){"step", 0, (double)ev->step, ""};
    o.n++;
    if (h->steps_per_epoch > 0) {
        f[o.n] = (jsonl_field){"epoch", 0, (double)(ev->step / h->steps_per_epoch + 1), ""};
        o.n++;
    }
    f[o.n] = (jsonl_field){"event", 1, 0, ""};
    snprintf(f[o.n++].str, sizeof f->str, "%s", ev->kind);
    f[o.n] = (jsonl_field){"node", 1, 0, ""};
    snprintf(f[o.n++].str, sizeof f->str, "%s/%s", h->name, ev->path);
    for (size_t i = 0; i < ev->nfields && o.n < JSONL_MAX_FIELDS; i++, o.n++) {
        snprintf(f[o.n].key, sizeof f->key, "%s", ev->fields[i].name);
        f[o.n].is_str = ev->fields[i].str != NULL;
        f[o.n].num = ev->fields[i].value;
        snprintf(f[o.n].str, sizeof f->str, "%s", ev->fields[i].str ? ev->fields[i].str : "");
    }
    push_event(h->e, &o);
}

int run_replay(run_source *r, const observations *obs, long long upto, run_events *e, double *const *curves)
{
    return run_replay_at(r, obs, upto, e, curves, NULL, 0);
}

int run_replay_at(run_source *r, const observations *obs, long long upto, run_events *e, double *const *curves,
                  const long long *at, size_t nat)
{
    if (upto >= RUN_REPLAY_MAX_STEPS)
        return cli_error(LRE_EXIT_FAIL, "a replay to step %lld: a schedule is replayed over at most %lld steps", upto,
                         RUN_REPLAY_MAX_STEPS);
    size_t sample = 0;
    replay_hook hooks[LRE_SCHEDULE_SET_MAX];
    lre_error err;
    int rc = 0;
    for (int k = 0; k < r->set.n && e; k++) {
        hooks[k] = (replay_hook){e, r->set.name[k], r->where.steps_per_epoch};
        if (lre_schedule_set_events(r->set.s[k], on_replay_event, &hooks[k], &err))
            return cli_error(LRE_EXIT_FAIL, "%s", err.msg);
    }
    size_t next = 0;
    for (long long t = 0; t <= upto && !rc; t++) {
        for (; obs && next < obs->n && obs->step[next] <= t; next++)
            for (int k = 0; k < r->set.n && !rc; k++)
                if (lre_schedule_observe(r->set.s[k], obs->metric[next], (int64_t)obs->step[next], &err))
                    rc = cli_error(LRE_EXIT_FAIL, "%s", err.msg);
        for (int k = 0; k < r->set.n && !rc; k++) {
            double v;
            if (lre_schedule_eval(r->set.s[k], (int64_t)t, &v, &err))
                rc = cli_error(cli_interrupted ? LRE_EXIT_INTERRUPTED : LRE_EXIT_FAIL, "%s", err.msg);
            else if (curves && curves[k] && !at)
                curves[k][t] = v;
            else if (curves && curves[k] && sample < nat && at[sample] == t)
                curves[k][sample] = v;
        }
        if (at && sample < nat && at[sample] == t) sample++;
        if (!rc && cli_interrupted) rc = cli_error(LRE_EXIT_INTERRUPTED, "interrupted at step %lld", t);
        if (!rc && e && e->failed) rc = events_failed(e, NULL, t);
    }
    for (int k = 0; k < r->set.n && e; k++) lre_schedule_set_events(r->set.s[k], NULL, NULL, NULL);
    return rc;
}

void run_event_print(FILE *f, const jsonl_obj *o, int json)
{
    if (json) {
        fputc('{', f);
        for (int i = 0; i < o->n; i++) {
            const jsonl_field *x = &o->f[i];
            if (i) fputc(',', f);
            cli_json_string(f, x->key);
            fputc(':', f);
            if (x->is_str) cli_json_string(f, x->str);
            else if (x->num == floor(x->num) && fabs(x->num) < 9007199254740992.0) fprintf(f, "%.0f", x->num);
            else cli_json_number(f, x->num);
        }
        fputc('}', f);
        return;
    }
    const jsonl_field *kind = jsonl_get(o, "event"), *node = jsonl_get(o, "node");
    fprintf(f, "  step %-8.0f", jsonl_num(o, "step"));
    double epoch = jsonl_num(o, "epoch");
    if (!isnan(epoch)) fprintf(f, " epoch %-4.0f", epoch);
    fprintf(f, " %-16s %s ", kind && kind->is_str ? kind->str : "?", node && node->is_str ? node->str : "run");
    for (int i = 0; i < o->n; i++) {
        const jsonl_field *x = &o->f[i];
        if (!strcmp(x->key, "step") || !strcmp(x->key, "epoch") || !strcmp(x->key, "event") || !strcmp(x->key, "node"))
            continue;
        if (x->is_str) fprintf(f, " %s=\"%s\"", x->key, x->str);
        else fprintf(f, " %s=%.6g", x->key, x->num);
    }
    fputc('\n', f);
}
