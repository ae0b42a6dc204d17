/* cmd_train.c -- `lrengine train`: options, and the job's reports shown as
 * a summary line, a progress bar on a terminal and a line per epoch. */
#include "cli.h"
#include "train.h"

#include <string.h>
#include <unistd.h>

static const char train_usage[] =
    "usage: lrengine train CONFIG.lua [--epochs N] [--seed S] [--checkpoint FILE] [--resume FILE]\n"
    "                      [--metrics FILE] [--threads N] [--quiet]\n"
    "Trains the model the config describes. --checkpoint writes one at every epoch end (and on Ctrl-C);\n"
    "--resume continues one exactly; --metrics writes one JSON object per line.\n"
    "Exit status: 0 trained, 1 failed, 2 usage error, 130 interrupted (checkpoint written).\n";

typedef struct shown {
    int quiet, tty, bar; /* bar: a progress line is on the terminal */
    const char *optimizer;
    long long batch_size;
} shown;

static void end_bar(shown *s)
{
    if (s->bar) fputc('\n', stderr);
    s->bar = 0;
}

static void on_start(void *ud, const train_start_info *i)
{
    shown *s = ud;
    if (s->quiet) return;
    printf("%s: %zu train, %zu validation, %zu test examples; %zu parameters; %s, batch %lld, %lld epochs%s\n",
           i->data, i->ntrain, i->nval, i->ntest, i->nparams, s->optimizer, s->batch_size, i->epochs,
           i->first_epoch > 0 ? " (resumed)" : "");
    fflush(stdout);
}

static void on_progress(void *ud, const train_progress_info *i)
{
    shown *s = ud;
    if (s->quiet || !s->tty) return;
    double rate = (double)i->batch / (i->seconds > 0 ? i->seconds : 1e-9);
    double eta = (double)(i->nbatches - i->batch) / (rate > 0 ? rate : 1);
    int width = 30, fill = (int)((double)i->batch / (double)i->nbatches * width);
    fprintf(stderr, "\repoch %lld/%lld [%.*s%*s] %zu/%zu  %.0f steps/s  loss %.4f  lr %.3g  ETA %.0fs ", i->epoch,
            i->epochs, fill, "##############################", width - fill, "", i->batch, i->nbatches, rate, i->loss,
            i->lr, eta);
    fflush(stderr);
    s->bar = 1;
}

static void on_epoch(void *ud, const train_epoch_info *i)
{
    shown *s = ud;
    end_bar(s);
    if (s->quiet) return;
    printf("epoch %lld/%lld  train_loss=%.4f  val_loss=%.4f  val_acc=%.4f  lr=%.4g  (%.2f s)\n", i->epoch, i->epochs,
           i->train_loss, i->val_loss, i->val_acc, i->lr, i->seconds);
    fflush(stdout);
}

static void on_warning(void *ud, const char *msg)
{
    end_bar(ud);
    cli_error(0, "warning: %s", msg);
}

int cmd_train(int argc, char **argv)
{
    train_options o = {-1, -1, -1, NULL, NULL, NULL, &cli_interrupted, {0}};
    shown show = {0, isatty(STDERR_FILENO), 0, NULL, 0};
    const char *config = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int v = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return fputs(train_usage, stdout), LRE_EXIT_OK;
        if (!strcmp(a, "--quiet")) show.quiet = 1;
        else if (!strcmp(a, "--epochs") && v) { if (cli_parse_count(argv[++i], &o.epochs) || o.epochs > (1LL << 40)) goto bad_number; }
        else if (!strcmp(a, "--seed") && v) { if (cli_parse_count(argv[++i], &o.seed)) goto bad_number; }
        else if (!strcmp(a, "--threads") && v) { if (cli_parse_count(argv[++i], &o.threads) || o.threads < 1 || o.threads > 1024) goto bad_number; }
        else if (!strcmp(a, "--checkpoint") && v) o.checkpoint = argv[++i];
        else if (!strcmp(a, "--resume") && v) o.resume = argv[++i];
        else if (!strcmp(a, "--metrics") && v) o.metrics = argv[++i];
        else if (a[0] == '-') return cli_error(LRE_EXIT_USAGE, "unknown option or missing value: %s (see lrengine train --help)", a);
        else if (!config) config = a;
        else return cli_error(LRE_EXIT_USAGE, "one config at a time (got '%s' too)", a);
        continue;
    bad_number:
        return cli_error(LRE_EXIT_USAGE, "%s takes a whole number in range, got '%s'", a, argv[i]);
    }
    if (!config) return fputs(train_usage, stderr), LRE_EXIT_USAGE;
    train_config c;
    char msg[TRAIN_MSG_SIZE];
    lre_script_limits limits = cli_limits(0);
    if (train_config_load(&c, config, &limits, msg, sizeof msg)) {
        train_config_free(&c);
        return cli_error(cli_interrupted ? LRE_EXIT_INTERRUPTED : LRE_EXIT_FAIL, "%s", msg);
    }
    show.optimizer = c.optimizer;
    show.batch_size = c.batch_size;
    o.events = (train_events){&show, on_start, on_progress, on_epoch, on_warning};
    train_result r;
    train_status st = train_run(&c, &o, &r);
    end_bar(&show);
    train_config_free(&c);
    if (st == TRAIN_STOPPED) return cli_error(LRE_EXIT_INTERRUPTED, "%s", r.msg);
    if (st != TRAIN_OK) return cli_error(LRE_EXIT_FAIL, "%s", r.msg);
    printf("final test_acc=%.4f test_loss=%.4f\n", r.test_acc, r.test_loss);
    return LRE_EXIT_OK;
}
