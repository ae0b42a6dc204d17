/* cmd_train.c -- `lrengine train`: options, and the job's reports shown as
 * a summary line, a progress bar on a terminal and a line per epoch. */
#include "cli.h"
#include "train.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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
    {"plan", 262, "WHICH", "checkpoint or config: which plan wins when the config's schedules or length differ from the "
                           "checkpoint's (without it: its length, and its schedules when alike)"},
    {"continue", 263, "OP[:K=V,...]", "change the plan at the resume step: extend (every scheduled hyper-parameter, to --epochs), "
                                     "cooldown:steps=D[,floor=X,shape=linear|cosine|sqrt,hp=NAME], "
                                     "rewarm:steps=D,peak=X[,shape=...,hp=NAME] (then the config's schedule), "
                                     "on lr unless hp names another scheduled hyper-parameter; replace "
                                     "(the config's schedules, node state carried by path); D: 500, 2epochs, 10%, 3Mtokens "
                                     "(tokens_per_step=N)"},
    {NULL, 0, NULL, NULL}};

static const cli_command train_command = {
    "train", "CONFIG.lua",
    "Trains the model the config describes (a Lua table: data, model, optimizer, schedule, epochs...),\n"
    "printing a line per epoch (a progress bar on a terminal) and the final test figures. Exit 130 on\n"
    "Ctrl-C, with the checkpoint written. Checkpoints record the plan (the config's text, the overrides,\n"
    "each continuation): --resume with other schedules is refused, saying what differs, unless --plan\n"
    "or --continue says which plan wins. An exact resume runs the length the checkpoint's plan recorded (an\n"
    "extended run's), saying so when the config's differs, unless --epochs or --plan config says otherwise.\n"
    "A cooldown ends the run where it ends unless --epochs is given.",
    train_opts, 1, 1, 0};

typedef struct shown {
    int quiet, tty, bar; /* bar: a progress line is on the terminal */
    const char *optimizer;
    int nonfinite; /* lre_nonfinite: shown when not the default */
    long long batch_size;
} shown;

/* --continue OP[:key=value,...] into o->cont; 0, or a usage error. */
static int parse_continue(const char *arg, train_continuation *k, char *why, size_t size)
{
    static const char *const ops[] = {"extend", "cooldown", "rewarm", "replace", NULL};
    static const char *const shapes[] = {"linear", "cosine", "sqrt", NULL};
    size_t n = strcspn(arg, ":");
    memset(k, 0, sizeof *k);
    k->target = NAN;
    for (int i = 0; ops[i]; i++)
        if (strlen(ops[i]) == n && !strncmp(arg, ops[i], n)) k->op = PLAN_EXTEND + i;
    if (!k->op) {
        char name[32];
        snprintf(name, sizeof name, "%.*s", (int)(n < 31 ? n : 31), arg);
        const char *best = lre_suggest(name, ops);
        snprintf(why, size, "--continue: unknown change '%.*s'%s%s%s (extend, cooldown, rewarm, replace)", (int)n, arg,
                 best ? " (did you mean '" : "", best ? best : "", best ? "'?)" : "");
        return -1;
    }
    const char *p = arg[n] ? arg + n + 1 : arg + n, *seen[8];
    int nseen = 0;
    while (*p) {
        size_t len = strcspn(p, ","), klen = strcspn(p, "=");
        if (klen >= len) {
            snprintf(why, size, "--continue %s: '%.*s' is not key=value", ops[k->op - 1], (int)len, p);
            return -1;
        }
        for (int i = 0; i < nseen; i++)
            if (!strncmp(seen[i], p, klen) && seen[i][klen] == '=') {
                snprintf(why, size, "--continue %s: %.*s given twice", ops[k->op - 1], (int)klen, p);
                return -1;
            }
        if (nseen < 8) seen[nseen++] = p;
        static char vals[8][64]; /* one per key: steps and hp are kept */
        static int nv;
        char *v = vals[nv++ % 8];
        snprintf(v, sizeof vals[0], "%.*s", (int)(len - klen - 1), p + klen + 1);
        double x;
        int ok = 1;
        if (klen == 5 && !strncmp(p, "steps", 5)) k->steps = v;
        else if ((klen == 5 && !strncmp(p, "floor", 5) && k->op == PLAN_COOLDOWN) ||
                 (klen == 4 && !strncmp(p, "peak", 4) && k->op == PLAN_REWARM))
            ok = !cli_parse_number(v, &x) && x >= 0 && isfinite(x) && (k->target = x, 1);
        else if (klen == 15 && !strncmp(p, "tokens_per_step", 15))
            ok = !cli_parse_number(v, &x) && x > 0 && isfinite(x) && (k->tokens_per_step = x, 1);
        else if (klen == 2 && !strncmp(p, "hp", 2) && (k->op == PLAN_COOLDOWN || k->op == PLAN_REWARM)) {
            if (!plan_hparam_ok(v)) {
                snprintf(why, size, "--continue %s: hp=%s: not a hyper-parameter's name (lr, momentum, ...)",
                         ops[k->op - 1], v);
                return -1;
            }
            k->hparam = v;
        } else if (klen == 5 && !strncmp(p, "shape", 5)) {
            ok = 0;
            for (int i = 0; shapes[i]; i++)
                if (!strcmp(v, shapes[i])) k->shape = i, ok = 1;
        } else {
            snprintf(why, size, "--continue %s: unknown key '%.*s'", ops[k->op - 1], (int)klen, p);
            return -1;
        }
        if (!ok) {
            snprintf(why, size, "--continue %s: %.*s=%s: not a %s", ops[k->op - 1], (int)klen, p, v,
                     p[0] == 's' ? "shape (linear, cosine, sqrt)" : p[0] == 't' ? "number > 0" : "number >= 0");
            return -1;
        }
        p += len;
        if (*p == ',') p++;
    }
    int ramp = k->op == PLAN_COOLDOWN || k->op == PLAN_REWARM;
    if (ramp && !k->steps) {
        snprintf(why, size, "--continue %s needs steps=D (500, 2epochs, 10%%, 3Mtokens)", ops[k->op - 1]);
        return -1;
    }
    if (!ramp && k->steps) {
        snprintf(why, size, "--continue %s takes no steps (extend: the run's new length is --epochs)", ops[k->op - 1]);
        return -1;
    }
    if (k->op == PLAN_REWARM && isnan(k->target)) {
        snprintf(why, size, "--continue rewarm needs peak=X, the rate it climbs to");
        return -1;
    }
    if (k->op == PLAN_COOLDOWN && isnan(k->target)) k->target = 0;
    if (ramp && !k->hparam) k->hparam = "lr";
    return 0;
}

static void end_bar(shown *s)
{
    if (s->bar) fputc('\n', stderr);
    s->bar = 0;
}

static void on_start(void *ud, const train_start_info *i)
{
    shown *s = ud;
    if (s->quiet) return;
    static const char *const policy[] = {"", " (nonfinite = skip)", " (nonfinite = trust: gradients unchecked)"};
    printf("%s: %zu train, %zu validation, %zu test examples; %zu parameters; %s%s, batch %lld, %lld epochs%s\n",
           i->data, i->ntrain, i->nval, i->ntest, i->nparams, s->optimizer, policy[s->nonfinite], s->batch_size,
           i->epochs, i->first_epoch > 0 ? " (resumed)" : "");
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

static void on_plan(void *ud, const train_plan_event *e)
{
    shown *s = ud;
    end_bar(s);
    if (s->quiet || !strcmp(e->op, "exact")) return;
    if (!strcmp(e->kind, "length")) {
        printf("run length: %s\n", e->detail);
        fflush(stdout);
        return;
    }
    printf("%s at step %lld: %s%s%s\n", e->kind, e->step, e->op, e->detail ? ": " : "", e->detail ? e->detail : "");
    fflush(stdout);
}

int cmd_train(int argc, char **argv)
{
    static const char *const hparams_from[] = {"checkpoint", "config", NULL};
    static const char *const plans[] = {"checkpoint", "config", NULL};
    const char *from = "checkpoint", *resume_config = NULL, *plan = NULL, *cont = NULL;
    char overrides[1024] = "";
    size_t ol = 0;
    train_options o = {.epochs = -1, .seed = -1, .threads = -1, .stop = &cli_interrupted};
    shown show = {.tty = isatty(STDERR_FILENO)};
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
        case 262: rc = cli_choice_value(&p, key, plans, &plan); break;
        case 263: cont = p.value; break;
        }
        /* what changes the plan, recorded with it */
        if (!rc && (key == 'e' || key == 256 || key == 262 || key == 263) && ol < sizeof overrides)
            ol += (size_t)snprintf(overrides + ol, sizeof overrides - ol, "%s--%s %s", ol ? " " : "",
                                   key == 'e' ? "epochs" : key == 256 ? "seed" : key == 262 ? "plan" : "continue", p.value);
    }
    if (rc) return rc;
    if ((plan || cont) && !o.resume) return cli_usage_error(&train_command, "--plan and --continue need --resume");
    if ((plan || cont) && (resume_config || !strcmp(from, "config")))
        return cli_usage_error(&train_command, "--plan and --continue resume the checkpoint's plan: not with --resume-hparams config");
    if (plan) o.plan = !strcmp(plan, "checkpoint") ? TRAIN_PLAN_CHECKPOINT : TRAIN_PLAN_CONFIG;
    if (cont) {
        char why[512];
        if (parse_continue(cont, &o.cont, why, sizeof why)) return cli_usage_error(&train_command, "%s", why);
    }
    o.overrides = overrides;
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
    show.nonfinite = c.nonfinite;
    show.batch_size = c.batch_size;
    o.events = (train_events){&show, on_start, on_progress, on_epoch, on_warning, on_plan, NULL};
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
