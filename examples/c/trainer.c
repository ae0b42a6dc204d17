/* trainer.c -- a C training loop that takes its learning-rate schedule from a
 * Lua script without writing any Lua: it fits y = 2x + 1 by SGD with
 * momentum, reports a metric each "epoch", checkpoints the optimizer (the
 * script's state included) half-way and checks that resuming continues
 * exactly.
 *
 *   build: cc trainer.c -llrengine-script -llrengine -llua5.4 -lz -lm -fopenmp
 *   run:   ./trainer SCHEDULE.lua */
#include <lrengine.h>
#include <lrengine_script.h>

#include <stdio.h>
#include <stdlib.h>

/* Runs epochs [from, to) of training; returns the last loss. */
static double train(lre_optim *opt, double *w, double *g, int from, int to)
{
    double loss = 0;
    for (int epoch = from; epoch < to; epoch++) {
        loss = 0;
        for (int i = 0; i < 10; i++) {
            double x = i / 10.0, e = w[0] * x + w[1] - (2 * x + 1);
            loss += e * e / 10;
            g[0] = 2 * e * x, g[1] = 2 * e;
            if (lre_optim_step(opt)) {
                fprintf(stderr, "trainer: %s\n", lre_optim_errmsg(opt));
                exit(1);
            }
        }
        lre_optim_observe(opt, loss);
    }
    return loss;
}

static lre_optim *make(const char *script, double *w, double *g)
{
    lre_error err;
    lre_schedule *lr;
    if (lre_script_load_file(&lr, script, NULL, &err)) {
        fprintf(stderr, "trainer: %s\n", err.msg);
        exit(1);
    }
    lre_param params[] = {{"lr", 0, NULL, 0, NULL, lr}, {"momentum", 0.9, NULL, 0, NULL, NULL}};
    lre_optim *opt;
    if (lre_optim_new(&opt, "sgd", params, 2, &err)) {
        fprintf(stderr, "trainer: %s\n", err.msg);
        exit(1);
    }
    lre_schedule_release(lr); /* the optimizer holds it */
    lre_optim_set_horizon(opt, 10, 400);
    if (lre_optim_add_group(opt, LRE_F64, w, g, 2, NULL, 0, NULL)) {
        fprintf(stderr, "trainer: %s\n", lre_optim_errmsg(opt));
        exit(1);
    }
    return opt;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: trainer SCHEDULE.lua\n");
        return 2;
    }
    double w[2] = {0, 0}, g[2];
    lre_optim *opt = make(argv[1], w, g);
    train(opt, w, g, 0, 20);
    /* a checkpoint: the caller's parameters and the optimizer's state */
    lre_membuf ckpt = {0};
    double w_ckpt[2] = {w[0], w[1]};
    if (lre_optim_save(opt, lre_membuf_write, &ckpt)) return fprintf(stderr, "trainer: %s\n", lre_optim_errmsg(opt)), 1;
    double straight = train(opt, w, g, 20, 40);

    double w2[2] = {w_ckpt[0], w_ckpt[1]}, g2[2];
    lre_optim *resumed = make(argv[1], w2, g2);
    lre_memreader reader = {ckpt.data, ckpt.len, 0};
    if (lre_optim_load(resumed, lre_memreader_read, &reader)) return fprintf(stderr, "trainer: %s\n", lre_optim_errmsg(resumed)), 1;
    double again = train(resumed, w2, g2, 20, 40);
    int same = w2[0] == w[0] && w2[1] == w[1] && again == straight;
    printf("loss %.6g, w = (%.6f, %.6f); resumed run %s\n", straight, w[0], w[1], same ? "identical" : "DIFFERS");
    lre_optim_free(opt);
    lre_optim_free(resumed);
    free(ckpt.data);
    return same ? 0 : 1;
}
