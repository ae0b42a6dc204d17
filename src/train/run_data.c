/* run_data.c -- what train and find-lr share: a config's data (train less
 * the validation split, validation, test), the model's widths, a clock. */
#include "train.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double train_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int train_load_data(const train_config *c, dataset *train, dataset *val, dataset *test, char *msg, size_t size)
{
    memset(val, 0, sizeof *val);
    if (c->csv) {
        if (data_load_csv(train, c->train_path, msg, size)) return -1;
        if (data_load_csv(test, c->test_path, msg, size)) return data_free(train), -1;
    } else {
        char img[1100], lab[1100];
        snprintf(img, sizeof img, "%s/train-images-idx3-ubyte.gz", c->data_dir);
        if (access(img, R_OK) != 0) {
            snprintf(msg, size, "Fashion-MNIST not found at %s: install it with 'apt-get install dataset-fashion-mnist' "
                     "(or set data.dir in the config)", c->data_dir);
            return -1;
        }
        snprintf(lab, sizeof lab, "%s/train-labels-idx1-ubyte.gz", c->data_dir);
        if (data_load_idx(train, img, lab, msg, size)) return -1;
        snprintf(img, sizeof img, "%s/t10k-images-idx3-ubyte.gz", c->data_dir);
        snprintf(lab, sizeof lab, "%s/t10k-labels-idx1-ubyte.gz", c->data_dir);
        if (data_load_idx(test, img, lab, msg, size)) return data_free(train), -1;
    }
    if (test->dim != train->dim) {
        snprintf(msg, size, "the test set has %zu features, the training set %zu", test->dim, train->dim);
        return data_free(train), data_free(test), -1;
    }
    if (c->validation && (size_t)c->validation >= train->n) {
        snprintf(msg, size, "config: data.validation (%lld) must be smaller than the training set (%zu)",
                 c->validation, train->n);
        return data_free(train), data_free(test), -1;
    }
    if (data_split(train, val, (size_t)c->validation)) {
        snprintf(msg, size, "out of memory splitting the validation set");
        return data_free(train), data_free(test), -1;
    }
    if (c->limit) data_truncate(train, (size_t)c->limit);
    if (c->test_limit) data_truncate(test, (size_t)c->test_limit);
    /* the training set stays as read (gathered a batch at a time), the
     * evaluation sets become float rows (read whole, in order) */
    if (data_floats(val) || data_floats(test)) {
        snprintf(msg, size, "out of memory for the evaluation sets");
        return data_free(train), data_free(val), data_free(test), -1;
    }
    size_t classes = train->classes > test->classes ? train->classes : test->classes;
    train->classes = test->classes = val->classes = classes;
    return 0;
}

int train_model_widths(const train_config *c, const dataset *d, size_t *widths, char *msg, size_t size)
{
    int nw = 0;
    widths[nw++] = d->dim;
    for (int i = 0; i < c->nhidden; i++) widths[nw++] = c->hidden[i];
    widths[nw++] = d->classes;
    double nparams = 0; /* (in double: no width product can wrap) */
    for (int l = 0; l + 1 < nw; l++) nparams += ((double)widths[l] + 1) * (double)widths[l + 1];
    if (nparams > TRAIN_MAX_PARAMS) {
        snprintf(msg, size, "%s: the model would have %.3g parameters (the data's %zu inputs, %d hidden layer%s, %zu "
                 "classes), more than %d", c->name, nparams, widths[0], c->nhidden, c->nhidden == 1 ? "" : "s",
                 widths[nw - 1], TRAIN_MAX_PARAMS);
        return -1;
    }
    return nw;
}
