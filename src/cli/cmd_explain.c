/* cmd_explain.c -- `lrengine explain RUN --step K`: why a hyper-parameter
 * had its value at step K. The schedule tree with each node's value and the
 * step it sees there (lre_schedule_walk), the state that is not a closed
 * form of the step (a plateau's counters), and the events that shaped it:
 * from the run's event log when there is one, else from a replay of the
 * schedules over steps 0..K with the run's metrics. */
#include "eventlog.h"
#include "run_source.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const cli_option explain_options[] = {
    {"step", 'k', "K", "the step to explain (default: a checkpoint's step, else the last step of the metrics, else 0)"},
    {"metrics", 'm', "FILE", "the run's metrics: RUN.jsonl of train --metrics, or a metric per line ('-': stdin)"},
    {"events", 256, "FILE", "the run's event log (default: next to the metrics, RUN.events.jsonl, or to a checkpoint, when it exists)"},
    {"config", 257, "FILE", "the config that wrote RUN when RUN is a checkpoint"},
    {"format", 'f', "FORMAT", "text (default) or json"},
    {NULL, 0, NULL, NULL}};

static const cli_command explain_command = {
    "explain", "RUN",
    "Explains the value of every scheduled hyper-parameter at step K: the schedule tree with each node's\n"
    "parameters, the step it sees and its value there, a plateau's counters, and the events that shaped it\n"
    "(plateau reductions, the end of a warm-up, restarts, resumes and continuations, a script's own events).\n"
    "RUN is a schedule script, a training config, or a checkpoint (with --config). The schedules are\n"
    "replayed from step 0 with the run's metrics; a checkpoint's own state is used at its step, and for an\n"
    "earlier step its run's metrics and event log beside it (run.ckpt: run.jsonl, run.events.jsonl) when\n"
    "not given. A log's lines before a resume with a step beyond the resume's are left out: the part of\n"
    "the run it went back on.",
    explain_options, 1, 1, 0};

typedef struct explain_opts {
    long long step; /* -1: the default */
    const char *metrics, *events, *config;
    int json, quiet;
} explain_opts;

/* ---- one schedule's tree ---- */

typedef struct tree_out {
    int json, first;
} tree_out;

static void put_state(FILE *f, const lre_node_info *n, int json)
{
    for (size_t i = 0; i < n->nstate; i++) {
        if (json) {
            fputs(i ? "," : ",\"state\":{", stdout);
            cli_json_string(f, n->state[i].name);
            fputc(':', f);
            cli_json_number(f, n->state[i].value);
        } else {
            fprintf(f, "%s%s=%.6g", i ? " " : "  [", n->state[i].name, n->state[i].value);
        }
    }
    if (n->nstate) fputs(json ? "}" : "]", f);
}

static int print_node(void *ud, const lre_node_info *n)
{
    tree_out *t = ud;
    char params[512];
    lre_schedule_params_text(n->node, params, sizeof params);
    if (t->json) {
        fputs(t->first ? "{\"path\":" : ",{\"path\":", stdout);
        t->first = 0;
        cli_json_string(stdout, n->path);
        fputs(",\"kind\":", stdout);
        cli_json_string(stdout, n->kind);
        fputs(",\"params\":", stdout);
        cli_json_string(stdout, params);
        printf(",\"depth\":%d,\"active\":%s,\"step\":", n->depth, n->active ? "true" : "false");
        if (n->active) printf("%lld", (long long)n->step);
        else fputs("null", stdout);
        fputs(",\"value\":", stdout);
        cli_json_number(stdout, n->value);
        put_state(stdout, n, 1);
        fputc('}', stdout);
        return 0;
    }
    char head[640];
    snprintf(head, sizeof head, "%*s%s(%s)", 2 + 2 * n->depth, "", n->kind, params);
    if (n->active) printf("%-56s at step %-8lld %.6g", head, (long long)n->step, n->value);
    else printf("%-56s not in force", head);
    put_state(stdout, n, 0);
    fputc('\n', stdout);
    return 0;
}

/* ---- events ---- */

/* Whether an event concerns schedule `name` (its node "name/...", or the run's own). */
static int concerns(const jsonl_obj *ev, const char *name)
{
    const jsonl_field *node = jsonl_get(ev, "node");
    if (!node || !node->is_str) return 1;
    size_t n = strlen(name);
    return !strcmp(node->str, "run") || !strcmp(node->str, name) || (!strncmp(node->str, name, n) && node->str[n] == '/');
}

/* A walk's callback: sets *ud when a node holds a state. */
static int has_state(void *ud, const lre_node_info *n)
{
    if (n->nstate) *(int *)ud = 1;
    return 0;
}

/* ---- the command ---- */

static int parse(int argc, char **argv, explain_opts *o, cli_parser *p)
{
    static const char *const formats[] = {"text", "json", NULL};
    cli_parser_init(p, &explain_command, argc, argv);
    int c, rc = 0;
    const char *format = "text";
    while (!rc && (c = cli_next(p)) != CLI_END) {
        switch (c) {
        case CLI_EXIT: return p->exit;
        case 'k': rc = cli_count_value(p, c, 0, 9007199254740991LL, &o->step); break;
        case 'm': o->metrics = p->value; break;
        case 256: o->events = p->value; break;
        case 257: o->config = p->value; break;
        case 'f': rc = cli_choice_value(p, c, formats, &format); break;
        }
    }
    if (rc) return rc;
    o->json = !strcmp(format, "json");
    o->quiet = p->quiet;
    if (!strcmp(p->operands[0], "-") && o->metrics && !strcmp(o->metrics, "-"))
        return cli_usage_error(&explain_command, "the script and --metrics can not both be read from stdin");
    return -1;
}

/* The event log: --events, or RUN.events.jsonl beside a RUN.jsonl metrics file when it exists. */
static const char *event_log(const explain_opts *o, char *buf, size_t size)
{
    if (o->events) return o->events;
    size_t n = o->metrics ? strlen(o->metrics) : 0;
    if (n > 6 && !strcmp(o->metrics + n - 6, ".jsonl") && !eventlog_path_for(o->metrics, buf, size)) {
        FILE *f = fopen(buf, "r");
        if (f) return fclose(f), buf;
    }
    return NULL;
}

static void print_header(const explain_opts *o, const run_source *r, long long k, const char *from, const char *log)
{
    const train_where *w = &r->where;
    static const char *const kinds[] = {"script", "config", "checkpoint"};
    if (o->json) {
        fputs("{\"run\":", stdout);
        cli_json_string(stdout, r->path);
        printf(",\"kind\":\"%s\",\"step\":%lld", kinds[r->kind], k);
        if (w->steps_per_epoch > 0)
            printf(",\"epoch\":%lld,\"steps_per_epoch\":%lld,\"total_steps\":%lld", k / w->steps_per_epoch + 1,
                   w->steps_per_epoch, w->total_steps);
        if (r->kind == SRC_CHECKPOINT) printf(",\"checkpoint_step\":%lld", w->step);
        fputs(",\"state\":", stdout);
        cli_json_string(stdout, from);
        fputs(",\"event_log\":", stdout);
        if (log) cli_json_string(stdout, log);
        else fputs("null", stdout);
        return;
    }
    printf("%s at step %lld", r->path, k);
    if (w->steps_per_epoch > 0 && k >= w->total_steps)
        printf(" (after the run's last step, %lld)", w->total_steps - 1);
    else if (w->steps_per_epoch > 0)
        printf(" (epoch %lld, its step %lld of %lld; the run has %lld steps)", k / w->steps_per_epoch + 1,
               k % w->steps_per_epoch + 1, w->steps_per_epoch, w->total_steps);
    printf("\nstate: %s\n", from);
}

int cmd_explain(int argc, char **argv)
{
    explain_opts o = {-1, NULL, NULL, NULL, 0, 0};
    cli_parser p;
    int rc = parse(argc, argv, &o, &p);
    if (rc >= 0) return rc;
    run_source r;
    observations obs = {0};
    run_events ev = {0};
    char logbuf[1100], from[256];
    if ((rc = run_source_load(&r, p.operands[0], o.config))) return run_source_free(&r), rc;
    if (o.config && r.kind != SRC_CHECKPOINT)
        rc = cli_usage_error(&explain_command, "--config is for a checkpoint; %s is a %s", r.path,
                             r.kind == SRC_SCRIPT ? "schedule script" : "config");
    if (!rc && o.metrics) rc = observations_read(o.metrics, r.observe, &obs);
    long long k = o.step;
    if (!rc && k < 0) k = r.kind == SRC_CHECKPOINT ? r.where.step : obs.n ? obs.step[obs.n - 1] : 0;
    /* a checkpoint's run may have left its metrics and event log beside it
     * (run.ckpt: run.jsonl, run.events.jsonl): used when they are needed and
     * not given, and said so */
    char beside[1100] = "", beside_log[1100];
    const char *found[2] = {NULL, NULL};
    int stateful = 0;
    if (!rc && r.kind == SRC_CHECKPOINT && run_source_metrics_beside(r.path, beside, sizeof beside)) beside[0] = 0;
    if (!rc && r.kind == SRC_CHECKPOINT && !o.metrics && k < r.where.step) {
        /* earlier steps than the checkpoint's are its closed forms when no
         * node holds a state (a plateau's counters, a script's), else a
         * replay with the run's metrics */
        lre_error err;
        for (int i = 0; i < r.set.n && !stateful; i++)
            if (lre_schedule_walk(r.set.s[i], (int64_t)k, has_state, &stateful, &err) < 0)
                rc = cli_error(LRE_EXIT_FAIL, "%s", err.msg);
        if (!rc && stateful && (!beside[0] || !run_source_exists(beside)))
            rc = cli_error(LRE_EXIT_FAIL,
                           "%s holds the state at step %lld, after step %lld, and its run's metrics are not beside it "
                           "(no %s; a checkpoint does not record where its run wrote them): give them with --metrics "
                           "RUN.jsonl to replay it up to step %lld", r.path, r.where.step, k, beside[0] ? beside : "RUN.jsonl", k);
        if (!rc && stateful) {
            o.metrics = found[0] = beside;
            rc = observations_read(o.metrics, r.observe, &obs);
        }
    }
    if (!rc && r.kind == SRC_CHECKPOINT && !o.metrics && !o.events && beside[0] &&
        !eventlog_path_for(beside, beside_log, sizeof beside_log) && run_source_exists(beside_log))
        o.events = found[1] = beside_log;
    const char *log = rc ? NULL : event_log(&o, logbuf, sizeof logbuf);
    if (!rc && found[0] && log && !strcmp(log, logbuf)) found[1] = log;
    if (rc) {
    } else if (r.kind == SRC_CHECKPOINT && !o.metrics) {
        /* the checkpoint's state is the state at its step: later steps see
         * no new metric; earlier ones are its closed forms (no node holds a
         * state: checked above) */
        snprintf(from, sizeof from, "the checkpoint's, saved at step %lld%s", r.where.step,
                 k > r.where.step   ? " (no metric observed after it)"
                 : k < r.where.step ? " (its plan's closed forms: no node holds a state)"
                                    : "");
        if (!rc && log) rc = run_events_read(log, k, &ev);
    } else if (k >= RUN_REPLAY_MAX_STEPS) {
        rc = cli_error(LRE_EXIT_FAIL, "step %lld (%s) is past the 1e8 steps a replay from step 0 covers: give an earlier --step",
                       k, o.step >= 0 ? "--step" : r.kind == SRC_CHECKPOINT ? "the checkpoint's" : "the metrics' last");
    } else {
        if (r.kind == SRC_CHECKPOINT) {
            /* replayed from the start: the checkpoint gave the horizon; its state is set aside */
            for (int i = 0; i < r.set.n; i++) lre_schedule_reset(r.set.s[i]);
        }
        snprintf(from, sizeof from, "replayed from step 0 with %zu observed metric%s%s%s", obs.n, obs.n == 1 ? "" : "s",
                 o.metrics ? " from " : "", o.metrics ? o.metrics : "");
        rc = run_replay(&r, &obs, k, log ? NULL : &ev, NULL);
        if (!rc && log) rc = run_events_read(log, k, &ev);
    }
    /* a run whose plan changed (a continuation, a resume under another
     * config) is not the plan of its config: say so, and where */
    long long changed = -1;
    jsonl_obj eo;
    for (size_t i = 0; !rc && r.kind != SRC_CHECKPOINT && i < ev.n; i++) {
        run_event_get(&ev, i, &eo);
        const jsonl_field *kind = jsonl_get(&eo, "event"), *op = jsonl_get(&eo, "op");
        if (kind && kind->is_str &&
            (!strcmp(kind->str, "continue") || (!strcmp(kind->str, "resume") && op && op->is_str && strcmp(op->str, "exact"))))
            changed = (long long)jsonl_num(&eo, "step");
    }
    if (!rc) {
        print_header(&o, &r, k, from, log);
        if (o.json && r.kind == SRC_CHECKPOINT) {
            for (int i = 0; i < 2; i++) {
                fputs(i ? ",\"events\":" : ",\"found_beside\":{\"metrics\":", stdout);
                if (found[i]) cli_json_string(stdout, found[i]);
                else fputs("null", stdout);
            }
            fputc('}', stdout);
        } else if (found[0] || found[1]) {
            printf("found beside %s, and used:", r.path);
            if (found[0]) printf(" %s (its run's metrics)%s", found[0], found[1] ? "," : "");
            if (found[1]) printf(" %s (its event log)", found[1]);
            fputc('\n', stdout);
        }
        if (o.json) {
            fputs(",\"plan_changed_at\":", stdout);
            if (changed >= 0) printf("%lld", changed);
            else fputs("null", stdout);
        } else if (changed >= 0) {
            printf("note: the run changed its plan at step %lld (see the events): this is %s's own plan; explain the "
                   "run's checkpoint (with --config) for the plan in force\n", changed, r.path);
        }
        if (o.json) fputs(",\"schedules\":[", stdout);
        for (int i = 0; i < r.set.n && !rc; i++) {
            double v = NAN;
            lre_error err;
            tree_out t = {o.json, 1};
            if (lre_schedule_eval(r.set.s[i], (int64_t)k, &v, &err)) {
                rc = cli_error(LRE_EXIT_FAIL, "%s", err.msg);
                break;
            }
            if (o.json) {
                fputs(i ? ",{\"name\":" : "{\"name\":", stdout);
                cli_json_string(stdout, r.set.name[i]);
                fputs(",\"value\":", stdout);
                cli_json_number(stdout, v);
                fputs(",\"nodes\":[", stdout);
            } else {
                printf("\n%s = %.6g\n", r.set.name[i], v);
            }
            if (lre_schedule_walk(r.set.s[i], (int64_t)k, print_node, &t, &err)) rc = cli_error(LRE_EXIT_FAIL, "%s", err.msg);
            if (o.json) fputs("]}", stdout);
        }
        if (o.json) {
            fputs("],\"events\":[", stdout);
            for (size_t i = 0; i < ev.n; i++) {
                if (i) fputc(',', stdout);
                run_event_get(&ev, i, &eo);
                run_event_print(stdout, &eo, 1);
            }
            fputs("]}\n", stdout);
        } else if (!rc) {
            for (int i = 0; i < r.set.n; i++) {
                size_t n = 0;
                for (size_t j = 0; j < ev.n; j++) {
                    run_event_get(&ev, j, &eo);
                    n += concerns(&eo, r.set.name[i]);
                }
                printf("\nevents that shaped %s up to step %lld: %zu%s%s%s\n", r.set.name[i], k, n,
                       log ? " (from " : n ? " (replayed)" : "", log ? log : "", log ? ")" : "");
                for (size_t j = 0; j < ev.n; j++) {
                    run_event_get(&ev, j, &eo);
                    if (concerns(&eo, r.set.name[i])) run_event_print(stdout, &eo, 0);
                }
            }
        }
    }
    if (!rc && fflush(stdout)) rc = cli_error(LRE_EXIT_FAIL, "writing the result: %s", strerror(errno));
    run_events_free(&ev);
    observations_free(&obs);
    run_source_free(&r);
    return rc;
}
