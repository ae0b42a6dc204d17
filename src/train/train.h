/* train.h -- the training job behind `lrengine train` and `lrengine find-lr`:
 * a config (a Lua script returning a table) read into train_config, data,
 * a model, an optimizer driven by the config's schedules, checkpoints. */
#ifndef LRE_TRAIN_H
#define LRE_TRAIN_H

#include "cli.h"
#include "data.h"
#include "mlp.h"

#define TRAIN_MAX_HPS 16

typedef enum { OBSERVE_NONE, OBSERVE_VAL_LOSS, OBSERVE_VAL_ACC } observe_kind;

typedef struct train_config {
    /* data */
    int csv;                  /* 0: Fashion-MNIST IDX files in data_dir */
    char data_dir[512], train_path[512], test_path[512];
    long long validation, limit, test_limit;
    /* model */
    size_t hidden[MLP_MAX_LAYERS - 1];
    int nhidden;
    /* optimizer: kind, constant hyper-parameters, schedules */
    char optimizer[16];
    lre_param hps[TRAIN_MAX_HPS];
    double hp_lists[TRAIN_MAX_HPS][2];
    char hp_names[TRAIN_MAX_HPS][32];
    int nhps;
    cli_schedules schedules;
    /* the run */
    long long epochs, batch_size, seed, log_every, threads;
    observe_kind observe;
    lre_host *host; /* the config's state: its schedules live there */
} train_config;

/* What the command line adds or overrides. */
typedef struct train_options {
    long long epochs, seed, threads; /* -1: from the config */
    const char *checkpoint, *resume, *metrics;
    int quiet;
} train_options;

/* Reads a config; 0, or -1 with a message naming the key that is wrong. */
int train_config_load(train_config *c, const char *path, char *msg, size_t size);
void train_config_free(train_config *c);

/* The data of a config: train (less the validation split), validation, test. */
int train_load_data(const train_config *c, dataset *train, dataset *val, dataset *test, char *msg, size_t size);

/* The layer widths of the config's model on data d (input, hidden..., classes); returns their count. */
int train_model_widths(const train_config *c, const dataset *d, size_t *widths);

/* Runs `lrengine train`; returns the exit code. */
int train_run(train_config *c, const train_options *o);
/* Runs `lrengine find-lr`; returns the exit code. */
int train_find_lr(train_config *c, double lr_min, double lr_max, long long steps, const char *format,
                  const char *output);

double train_now(void);

#endif
