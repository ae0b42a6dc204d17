/* fuzz_metrics.c -- libFuzzer harness for the text files the command line
 * reads back: a run's metrics file and event log (jsonl.c: run_metrics_read
 * for diff, observations_read and run_events_read for explain), a plain
 * metrics file of one number per line (plot_read_metrics) and a saved LR
 * range test curve (findlr_read_curve). The input is written to a file
 * (named .jsonl and .txt, as the readers choose by the name) and read by
 * each. Properties: no crash, leak or hang; a refusal leaves nothing held;
 * what is read keeps its invariants (counts within their bounds, steps
 * increasing, finite numbers where finite ones are promised), and an event
 * read back from its packed form is the object the line gave, field by
 * field. The readers' messages are not shown. Seeds: a run's metrics file
 * and event log (resumed once), a find-lr curve, numbers and escapes in
 * tests/fuzz/corpus/metrics/. */
#include "cmd_plot.h"
#include "run_metrics.h"
#include "run_source.h"
#include "train.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], jsonl[128], txt[128];

static void cleanup(void)
{
    unlink(jsonl);
    unlink(txt);
    rmdir(dir);
}

static void put(const char *p, const uint8_t *data, size_t size)
{
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) || close(fd)) abort();
}

static void check_metrics(long long upto)
{
    run_metrics m;
    if (!run_metrics_read(jsonl, upto, &m)) {
        if (m.n == 0 || m.n > m.cap || m.n > RUN_METRICS_MAX_STEPS || m.ncols < 1 || m.ncols > RUN_METRICS_MAX_COLS)
            abort();
        if (strcmp(m.name[m.ncols - 1], "loss")) abort();
        for (size_t i = 0; i < m.n; i++)
            if (m.step[i] < 0 || (i && m.step[i] <= m.step[i - 1]) || (upto >= 0 && m.step[i] > upto)) abort();
    }
    run_metrics_free(&m);
}

static void check_observations(observe_kind kind, const char *path)
{
    observations o;
    if (!observations_read(path, kind, &o))
        for (size_t i = 0; i < o.n; i++)
            if (!isfinite(o.metric[i])) abort();
    observations_free(&o);
}

static int same_obj(const jsonl_obj *a, const jsonl_obj *b)
{
    if (a->n != b->n) return 0;
    for (int i = 0; i < a->n; i++) {
        const jsonl_field *x = &a->f[i], *y = &b->f[i];
        if (strcmp(x->key, y->key) || x->is_str != y->is_str) return 0;
        if (x->is_str ? strcmp(x->str, y->str) : memcmp(&x->num, &y->num, sizeof x->num)) return 0;
    }
    return 1;
}

/* The events, each unpacked equal to its line parsed again. */
static int compare_line(void *ud, const jsonl_obj *o, long long line)
{
    (void)line;
    const run_events *e = ((void **)ud)[0];
    size_t *i = ((void **)ud)[1];
    static jsonl_obj got;
    if (*i < e->n) {
        run_event_get(e, *i, &got);
        if (!same_obj(&got, o)) abort();
    }
    ++*i;
    return 0;
}

static void check_events(void)
{
    run_events e = {0};
    if (!run_events_read(jsonl, -1, &e)) {
        if (e.len > RUN_EVENTS_MAX_BYTES || e.failed) abort();
        /* with no resume in the log, every line is an event, in order */
        event_resumes r;
        if (!event_resumes_read(jsonl, &r) && r.n == 0) {
            size_t i = 0;
            void *ud[2] = {&e, &i};
            if (jsonl_read(jsonl, "an event", compare_line, ud) || i != e.n) abort();
        }
        event_resumes_free(&r);
        FILE *null = fopen("/dev/null", "w");
        if (!null) abort();
        static jsonl_obj o;
        for (size_t i = 0; i < e.n; i++) {
            run_event_get(&e, i, &o);
            if (o.n < 2 || o.n > JSONL_MAX_FIELDS) abort();
            run_event_print(null, &o, 0);
            run_event_print(null, &o, 1);
        }
        fclose(null);
    }
    run_events_free(&e);
}

static void check_numbers(void)
{
    double *v = NULL;
    size_t n = 0;
    if (!plot_read_metrics(txt, &v, &n)) {
        for (size_t i = 0; i < n; i++)
            if (!isfinite(v[i])) abort();
        free(v);
    }
}

static void check_curve(void)
{
    findlr_result r;
    if (findlr_read_curve(txt, 100, &r) == TRAIN_OK)
        for (long long i = 0; i < r.n; i++)
            if (!(r.lrs[i] > 0) || !isfinite(r.lrs[i]) || !isfinite(r.losses[i])) abort();
    findlr_result_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        strcpy(dir, "/tmp/lre-fuzz-metrics-XXXXXX");
        if (!mkdtemp(dir)) abort();
        snprintf(jsonl, sizeof jsonl, "%s/run.jsonl", dir);
        snprintf(txt, sizeof txt, "%s/run.txt", dir);
        atexit(cleanup);
        /* the readers' messages (cli_error) go to the stream stderr names,
         * now /dev/null; descriptor 2, where libFuzzer and the sanitizers
         * report, is left open */
        if (!(stderr = fopen("/dev/null", "w"))) abort();
    }
    put(jsonl, data, size);
    put(txt, data, size);
    check_metrics(-1);
    check_metrics(3);
    check_observations(OBSERVE_VAL_LOSS, jsonl);
    check_observations(OBSERVE_VAL_ACC, jsonl);
    check_observations(OBSERVE_NONE, txt);
    check_events();
    check_numbers();
    check_curve();
    return 0;
}
