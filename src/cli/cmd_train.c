/* cmd_train.c -- `lrengine train`: options, and the job's reports shown as
 * a summary line, a progress bar on a terminal and a line per epoch. */
#include "cli.h"
#include "train.h"

#include <limits.h>
#include <string.h>
#include <unistd.h>

static const cli_option train_opts[] = {
    {"epochs", 'e', "N", "train N epochs instead of the config's (a planned schedule warns)"},
    {"seed", 256, "S", "the seed instead of the config's"},
    {"checkpoint", 'c', "FILE", "write a checkpoint at every epoch end (and on Ctrl-C)"},
    {"resume", 'r', "FILE", "continue the run a checkpoint saved, exactly"},
    {"metrics", 'm', "FILE", "write one JSON object per epoch, one per line"},
    {"events", 260, "FILE", "the event log (default: next to --metrics, RUN.events.jsonl)"},
    {"threads", 't', "N", "threads for the model and the optimizer (1 to 1024)"},
    {"until", 257, "N", "stop after epoch N (checkpointing), the run's plan unchanged"},
    {"resume-hparams", 258, "FROM", "checkpoint (default: resume exactly) or config: the config's hyper-parameters"},
    {"resume-config", 259, "FILE", "the config that wrote the checkpoint (with --resume-hparams config)"},
    {NULL, 0, NULL, NULL}};

static const cli_command train_command = {
    "train", "CONFIG.lua",
    "Trains the model the config describes (a Lua table: data, model, optimizer, schedule, epochs...),\n"
    "printing a line per epoch (a progress bar on a terminal) and the final test figures. Exit 130 on\n"
    "Ctrl-C, with the checkpoint written.",
    train_opts, 1, 1, 0};

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
    printf("epoch %lld/%lld  train_loss=%.4f  val_loss=%.4f  val_acc=%.4f", i->epoch, i->epochs, i->train_loss,
           i->val_loss, i->val_acc);
    if (i->averaged) printf("  avg_val_acc=%.4f", i->avg_val_acc);
    printf("  lr=%.4g  (%.2f s)\n", i->lr, i->seconds);
    fflush(stdout);
}

static void on_warning(void *ud, const char *msg)
{
    end_bar(ud);
    cli_error(0, "warning: %s", msg);
}

int cmd_train(int argc, char **argv)
{
    static const char *const hparams_from[] = {"checkpoint", "config", NULL};
    const char *from = "checkpoint", *resume_config = NULL;
    train_options o = {.epochs = -1, .seed = -1, .threads = -1, .stop = &cli_interrupted};
    shown show = {0, isatty(STDERR_FILENO), 0, NULL, 0};
    cli_parser p;
    cli_parser_init(&p, &train_command, argc, argv);
    int key, rc = 0;
    while (!rc && (key = cli_next(&p)) != CLI_END) {
        switch (key) {
        case CLI_EXIT: return p.exit;
        case 'e': rc = cli_count_value(&p, key, 0, 1LL << 40, &o.epochs); break;
        case 256: rc = cli_count_value(&p, key, 0, LLONG_MAX, &o.seed); break;
        case 't': rc = cli_count_value(&p, key, 1, 1024, &o.threads); break;
        case 'c': o.checkpoint = p.value; break;
        case 'r': o.resume = p.value; break;
        case 'm': o.metrics = p.value; break;
        case 260: o.event_log = p.value; break;
        case 257: rc = cli_count_value(&p, key, 1, 1LL << 40, &o.until); break;
        case 258: rc = cli_choice_value(&p, key, hparams_from, &from); break;
        case 259: resume_config = p.value; break;
        }
    }
    if (rc) return rc;
    if (resume_config || !strcmp(from, "config")) {
        if (!o.resume) return cli_usage_error(&train_command, "--resume-hparams config and --resume-config need --resume");
        o.resume_hparams = TRAIN_RESUME_CONFIG;
    }
    show.quiet = p.quiet;
    const char *config = p.operands[0];
    train_config c;
    char msg[TRAIN_MSG_SIZE];
    lre_script_limits limits = cli_limits(0);
    if (train_config_load(&c, config, &limits, msg, sizeof msg)) {
        train_config_free(&c);
        return cli_error(cli_interrupted ? LRE_EXIT_INTERRUPTED : LRE_EXIT_FAIL, "%s", msg);
    }
    train_config before;
    if (resume_config) {
        if (train_config_load(&before, resume_config, &limits, msg, sizeof msg)) {
            train_config_free(&before);
            train_config_free(&c);
            return cli_error(cli_interrupted ? LRE_EXIT_INTERRUPTED : LRE_EXIT_FAIL, "%s", msg);
        }
        o.resume_from = &before;
    }
    show.optimizer = c.optimizer;
    show.batch_size = c.batch_size;
    o.events = (train_events){&show, on_start, on_progress, on_epoch, on_warning, NULL, NULL};
    train_result r;
    train_status st = train_run(&c, &o, &r);
    end_bar(&show);
    if (o.resume_from) train_config_free(o.resume_from);
    train_config_free(&c);
    if (st == TRAIN_STOPPED) return cli_error(LRE_EXIT_INTERRUPTED, "%s", r.msg);
    if (st != TRAIN_OK) return cli_error(LRE_EXIT_FAIL, "%s", r.msg);
    printf("final test_acc=%.4f test_loss=%.4f", r.test_acc, r.test_loss);
    if (r.averaged) printf(" avg_test_acc=%.4f avg_test_loss=%.4f", r.avg_test_acc, r.avg_test_loss);
    putchar('\n');
    return LRE_EXIT_OK;
}
