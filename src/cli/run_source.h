/* run_source.h -- what explain and diff read (run_source.c): a schedule
 * script, a training config (its schedules planned for its run: the horizon
 * from its data) or a checkpoint of one (with its config: the schedules in
 * the state the checkpoint saved), and the metrics and event log of a run,
 * replayed or read back. */
#ifndef LRE_RUN_SOURCE_H
#define LRE_RUN_SOURCE_H

#include "cli.h"
#include "jsonl.h"
#include "train.h"

typedef enum { SRC_SCRIPT, SRC_CONFIG, SRC_CHECKPOINT } run_source_kind;

typedef struct run_source {
    const char *path;
    run_source_kind kind;
    lre_schedule_set set; /* the schedules (a config's retained from it) */
    train_where where;    /* horizon, and a checkpoint's step; zero for a script */
    observe_kind observe; /* a config's; val_loss for a script */
    long long epochs;     /* a config's; 0 for a script */
} run_source;

/* Loads path as a schedule script, else as a training config; a checkpoint
 * (by its signature) with the config that wrote it (config; NULL for
 * others). Returns an exit code (0: loaded), having said what failed. */
int run_source_load(run_source *r, const char *path, const char *config);
void run_source_free(run_source *r);
/* path as a training config into r (with ckpt, that checkpoint's state;
 * a config may schedule nothing): 0, or -1 with a message. */
int run_source_config(run_source *r, const char *path, const char *ckpt, char *msg, size_t size);
/* Whether the file at path starts with a checkpoint's signature. */
int run_source_is_checkpoint(const char *path);
/* What a checkpoint's run may have left beside it: the checkpoint's path
 * with its extension (if any) replaced by ".jsonl" (the metrics file, as
 * `train --checkpoint run.ckpt --metrics run.jsonl` names them) into out;
 * the checkpoint does not record its metrics file's name. 0, or -1 when it
 * does not fit. */
int run_source_metrics_beside(const char *ckpt, char *out, size_t size);
/* Whether path names a file that can be opened for reading. */
int run_source_exists(const char *path);

/* Whether a schedule script's load error says it returned a table that is
 * not a schedule, which a training config is: only then is the file tried as
 * a config (a script stopped by a limit is not run twice). */
int run_source_maybe_config(const char *schedule_err);

/* Metric observations: metric[i] is observed before step[i] is evaluated. */
typedef struct observations {
    long long *step;
    double *metric;
    size_t n;
} observations;

/* A metrics file: a number per line (metric i observed after step i), or a
 * run's RUN.jsonl (its epoch lines' val_loss or val_acc, as observe says,
 * observed at their step; none for OBSERVE_NONE). Returns an exit code. */
int observations_read(const char *path, observe_kind observe, observations *o);
void observations_free(observations *o);

/* The events a replay collects or a log holds, packed: a jsonl_obj takes
 * 10 KB whatever it holds, a packed event about the size of its line. They
 * are kept up to RUN_EVENTS_MAX_BYTES, so that a schedule that restarts every
 * step, replayed over millions of steps, or a hostile log is refused when it
 * passes the bound rather than taking the machine's memory. */
#define RUN_EVENTS_MAX_BYTES ((size_t)64 << 20)

typedef struct run_events {
    unsigned char *bytes; /* event i from at[i] (run_source.c: pack) */
    size_t len, cap;
    size_t *at;
    size_t n, ncap;
    int failed; /* an event was not kept: RUN_EVENTS_NOMEM or RUN_EVENTS_FULL */
} run_events;

enum { RUN_EVENTS_NOMEM = 1, RUN_EVENTS_FULL = 2 };

/* Event i, unpacked into o. */
void run_event_get(const run_events *e, size_t i, jsonl_obj *o);

/* The resumes of an event log, for TensorBoard's rule on a restarted run: a
 * resume at step K abandons the lines before it with a step beyond K (the
 * part of the run after the checkpoint it went back to). The log keeps them,
 * appended to and never rewritten; readers skip them. */
typedef struct event_resumes {
    long long *line;  /* each resume's line, increasing */
    long long *upto;  /* the least step of the resumes from this one on */
    size_t n, next;   /* next: the first resume after the line last asked about */
} event_resumes;

/* Reads the resumes of the log at path. Returns an exit code. */
int event_resumes_read(const char *path, event_resumes *r);
/* Whether the line lineno (asked in increasing order), of step step, is
 * abandoned. */
int event_abandoned(event_resumes *r, long long lineno, double step);
void event_resumes_free(event_resumes *r);
/* Reads an event log's events with step <= upto (every line when upto < 0),
 * the abandoned ones left out (event_resumes). Returns an exit code. */
int run_events_read(const char *path, long long upto, run_events *e);
/* The most steps a replay covers (steps 0..upto, upto below this): a step
 * read from a file or asked for is checked against it before a replay. */
#define RUN_REPLAY_MAX_STEPS 100000000LL

/* Replays the schedules from their current state over steps 0..upto,
 * applying the observations due, collecting their events into e (NULL:
 * none) and, when curves is not NULL, schedule k's value at step t into
 * curves[k][t] (a NULL curves[k] is skipped). Returns an exit code, having
 * said what failed. */
int run_replay(run_source *r, const observations *obs, long long upto, run_events *e, double *const *curves);
/* The same, keeping only the values at the nat increasing steps at[]:
 * schedule k's value at step at[i] into curves[k][i]. */
int run_replay_at(run_source *r, const observations *obs, long long upto, run_events *e, double *const *curves,
                  const long long *at, size_t nat);
void run_events_free(run_events *e);
/* One event as a line of text ("  step 430      epoch 2    warmup_end  lr/warmup  steps=430") or as
 * a JSON object, on f. */
void run_event_print(FILE *f, const jsonl_obj *o, int json);

#endif
