/* test_core_describe.c -- introspection (describe.c): every kind and
 * optimizer is described, its parameters are the ones its constructor
 * accepts (defaults built from the description construct, out-of-range
 * values are refused with the range the description gives), and unknown
 * names get "did you mean". */
#include "lrengine.h"
#include "test.h"

#include <stdint.h>

static void every_kind_and_optimizer_has_a_summary_formula_and_peers(void)
{
    lre_kind_info k;
    int n = 0;
    for (const char *const *name = lre_schedule_kinds(); *name; name++, n++) {
        ASSERT_EQ(lre_schedule_describe(*name, &k, NULL), LRE_OK);
        ASSERT(!strcmp(k.name, *name));
        ASSERT(k.summary && *k.summary && k.formula && *k.formula && k.peers && *k.peers);
    }
    ASSERT_EQ(n, 35);
    for (const char *const *name = lre_optim_kinds(); *name; name++) {
        ASSERT_EQ(lre_optim_describe(*name, &k, NULL), LRE_OK);
        ASSERT(k.summary && *k.summary && k.formula && *k.formula && k.peers && *k.peers);
        ASSERT(k.nparams > 0);
        ASSERT_EQ(k.max_children, 0);
    }
    ASSERT_EQ(lre_schedule_describe("warmup", &k, NULL), LRE_OK);
    ASSERT_EQ(k.min_children, 1);
    ASSERT_EQ(k.max_children, 1);
    ASSERT_EQ(lre_schedule_describe("sequence", &k, NULL), LRE_OK);
    ASSERT(k.max_children == SIZE_MAX);
    ASSERT_EQ(lre_schedule_describe("product", &k, NULL), LRE_OK);
    ASSERT_EQ(k.nparams, 0);
}

static void gives_the_parameters_the_constructors_use(void)
{
    lre_kind_info k;
    lre_param_info p;
    ASSERT_EQ(lre_schedule_describe("cosine", &k, NULL), LRE_OK);
    ASSERT_EQ(k.nparams, 5);
    ASSERT_EQ(lre_schedule_param_info("cosine", 1, &p), LRE_OK);
    ASSERT(!strcmp(p.name, "t_max") && p.required && p.lo == 0 && p.lo_open && isinf(p.hi));
    ASSERT_EQ(lre_schedule_param_info("cosine", 5, &p), LRE_EINVAL);
    ASSERT_EQ(lre_schedule_param_info("cyclic", 4, &p), LRE_OK);
    ASSERT(p.type == LRE_PARAM_CHOICE && !strcmp(p.default_text, "triangular") && isnan(p.def));
    ASSERT_EQ(lre_schedule_param_info("cyclic", 3, &p), LRE_OK);
    ASSERT(!strcmp(p.default_text, "step_size_up"));
    ASSERT_EQ(lre_schedule_param_info("multistep", 1, &p), LRE_OK);
    ASSERT(p.type == LRE_PARAM_LIST && p.whole);
    ASSERT_EQ(lre_optim_param_info("adam", 1, &p), LRE_OK);
    ASSERT(!strcmp(p.name, "betas[1]") && p.pair && p.schedulable && p.def == 0.9);
    char range[64];
    lre_param_range_text(&p, range, sizeof range);
    ASSERT(!strcmp(range, "in [0, 1)"));
    ASSERT_EQ(lre_optim_param_info("adam", 5, &p), LRE_OK);
    ASSERT(!strcmp(p.name, "amsgrad") && p.type == LRE_PARAM_BOOLEAN && !p.schedulable);
    ASSERT_EQ(lre_optim_param_info("sgd", 0, &p), LRE_OK);
    ASSERT(p.required);
}

/* Every numeric parameter: one step outside its range is refused, and the
 * refusal quotes the range lre_param_range_text gives. */
static void ranges_are_the_ones_the_constructors_enforce(void)
{
    int checked = 0;
    for (const char *const *name = lre_optim_kinds(); *name; name++) {
        lre_kind_info k;
        ASSERT_EQ(lre_optim_describe(*name, &k, NULL), LRE_OK);
        for (size_t i = 0; i < k.nparams; i++) {
            lre_param_info p;
            ASSERT_EQ(lre_optim_param_info(*name, i, &p), LRE_OK);
            if (p.type != LRE_PARAM_NUMBER || isinf(p.lo)) continue;
            lre_param args[2] = {{p.name, p.lo - 1, NULL, 0, NULL, NULL}, {"lr", 0.1, NULL, 0, NULL, NULL}};
            lre_optim *o;
            lre_error err;
            ASSERT_EQ(lre_optim_new(&o, *name, args, strcmp(p.name, "lr") ? 2 : 1, &err), LRE_EINVAL);
            char range[96];
            lre_param_range_text(&p, range, sizeof range);
            ASSERT_STR_CONTAINS(err.msg, range);
            checked++;
        }
    }
    ASSERT(checked > 30);
}

/* A schedule built from every described default (required ones given a
 * value in range) constructs. */
static void described_defaults_construct(void)
{
    for (const char *const *name = lre_schedule_kinds(); *name; name++) {
        lre_kind_info k;
        ASSERT_EQ(lre_schedule_describe(*name, &k, NULL), LRE_OK);
        if (k.min_children > 0 || !strcmp(*name, "plateau") || !strcmp(*name, "swa") || !strcmp(*name, "piecewise"))
            continue;
        lre_param args[16];
        size_t n = 0;
        static const double list[] = {1, 2};
        for (size_t i = 0; i < k.nparams; i++) {
            lre_param_info p;
            ASSERT_EQ(lre_schedule_param_info(*name, i, &p), LRE_OK);
            if (!p.required) continue;
            args[n] = (lre_param){p.name, p.lo_open ? p.lo + 1 : p.lo + 1, NULL, 0, NULL, NULL};
            if (p.type == LRE_PARAM_LIST) args[n].list = list, args[n].len = 2;
            if (!strcmp(p.name, "max_lr")) args[n].value = 3;
            n++;
        }
        lre_schedule *s;
        lre_error err;
        int rc = lre_schedule_new(&s, *name, args, n, NULL, 0, &err);
        if (rc) fprintf(stderr, "  %s: %s\n", *name, err.msg);
        ASSERT_EQ(rc, LRE_OK);
        lre_schedule_release(s);
    }
}

static void unknown_names_get_a_suggestion_and_the_valid_names(void)
{
    lre_kind_info k;
    lre_error err;
    ASSERT_EQ(lre_schedule_describe("cosin", &k, &err), LRE_EINVAL);
    ASSERT_STR_CONTAINS(err.msg, "unknown schedule kind 'cosin' (did you mean 'cosine'? valid names: constant, step,");
    ASSERT_EQ(lre_optim_describe("sdg", &k, &err), LRE_EINVAL);
    ASSERT_STR_CONTAINS(err.msg, "did you mean 'sgd'?");
    ASSERT_EQ(lre_optim_describe("zzzzzz", &k, &err), LRE_EINVAL);
    ASSERT_STR_CONTAINS(err.msg, "unknown optimizer 'zzzzzz' (valid names: sgd, adam,");
    static const char *const names[] = {"t_max", "eta_min", "lr", "hold", NULL};
    ASSERT(!strcmp(lre_suggest("T_max", names), "t_max"));
    ASSERT(!strcmp(lre_suggest("eta_mni", names), "eta_min"));
    ASSERT(lre_suggest("x", names) == NULL);
    ASSERT(lre_suggest("tmax_steps", names) == NULL);
    ASSERT_EQ(lre_error_unknown(&err, "cosine", "parameter", "T_max", names), LRE_EINVAL);
    ASSERT(!strcmp(err.msg, "cosine: unknown parameter 'T_max' (did you mean 't_max'? valid names: t_max, eta_min, lr, hold)"));
}

/* The constructors and the hyper-parameter functions say "did you mean". */
static void constructors_and_hyperparameters_say_did_you_mean(void)
{
    lre_schedule *s = NULL;
    lre_optim *o = NULL;
    lre_error err;
    lre_param cp[] = {{"lr", 0.1, NULL, 0, NULL, NULL}, {"T_max", 10, NULL, 0, NULL, NULL}};
    ASSERT_EQ(lre_schedule_new(&s, "cosine", cp, 2, NULL, 0, &err), LRE_EINVAL);
    ASSERT(!strcmp(err.msg, "cosine: unknown parameter 'T_max' (did you mean 't_max'? parameters: lr, t_max, eta_min, hold, exponent)"));
    lre_param far[] = {{"zzzzzz", 1, NULL, 0, NULL, NULL}};
    ASSERT_EQ(lre_schedule_new(&s, "cosine", far, 1, NULL, 0, &err), LRE_EINVAL);
    ASSERT(!strcmp(err.msg, "cosine: unknown parameter 'zzzzzz' (parameters: lr, t_max, eta_min, hold, exponent)"));
    ASSERT_EQ(lre_schedule_new(&s, "cosin", cp, 1, NULL, 0, &err), LRE_EINVAL);
    ASSERT_STR_CONTAINS(err.msg, "unknown schedule kind 'cosin' (did you mean 'cosine'? valid names: constant, step,");
    ASSERT_EQ(lre_schedule_new(&s, NULL, cp, 1, NULL, 0, &err), LRE_EINVAL);
    ASSERT_STR_CONTAINS(err.msg, "unknown schedule kind '(null)' (valid names: constant,");
    ASSERT_EQ(lre_schedule_new(&s, "cosine", cp, 1, NULL, 0, &err), LRE_EINVAL); /* t_max missing */
    lre_schedule *c;
    lre_param ok[] = {{"lr", 0.1, NULL, 0, NULL, NULL}, {"t_max", 10, NULL, 0, NULL, NULL}};
    ASSERT_EQ(lre_schedule_new(&c, "cosine", ok, 2, NULL, 0, NULL), LRE_OK);
    lre_param none[] = {{"factor", 2, NULL, 0, NULL, NULL}};
    ASSERT_EQ(lre_schedule_new(&s, "product", none, 1, &c, 1, &err), LRE_EINVAL);
    ASSERT(!strcmp(err.msg, "product: unknown parameter 'factor' (product takes no parameters)"));

    /* optimizers: a pair is suggested by its base name, also for a parameter given as a schedule */
    lre_param ap[] = {{"beta", 0, (const double[]){0.9, 0.99}, 2, NULL, NULL}};
    ASSERT_EQ(lre_optim_new(&o, "adam", ap, 1, &err), LRE_EINVAL);
    ASSERT(!strcmp(err.msg, "adam: unknown parameter 'beta' (did you mean 'betas'? parameters: lr, betas[1], betas[2], "
                            "eps, weight_decay, amsgrad, maximize, epsilon_hat, decoupled_weight_decay)"));
    lre_param sp[] = {{"lrr", 0, NULL, 0, NULL, c}};
    ASSERT_EQ(lre_optim_new(&o, "adam", sp, 1, &err), LRE_EINVAL);
    ASSERT_STR_CONTAINS(err.msg, "adam: unknown parameter 'lrr' (did you mean 'lr'? parameters: lr, betas[1],");
    ASSERT_EQ(lre_optim_new(&o, "adamm", NULL, 0, &err), LRE_EINVAL);
    ASSERT_STR_CONTAINS(err.msg, "unknown optimizer 'adamm' (did you mean 'adam'? valid names: sgd, adam, adamw,");
    ASSERT_EQ(lre_optim_new(&o, "zzzzzz", NULL, 0, &err), LRE_EINVAL);
    ASSERT_STR_CONTAINS(err.msg, "unknown optimizer 'zzzzzz' (valid names: sgd, adam,");
    ASSERT(o == NULL);

    /* hyper-parameters of an optimizer: get, set, schedule */
    lre_param lp[] = {{"lr", 0.1, NULL, 0, NULL, NULL}};
    ASSERT_EQ(lre_optim_new(&o, "sgd", lp, 1, NULL), LRE_OK);
    double v;
    ASSERT_EQ(lre_optim_get(o, -1, "momentun", &v), LRE_EINVAL);
    ASSERT(!strcmp(lre_optim_errmsg(o), "sgd: unknown hyper-parameter 'momentun' (did you mean 'momentum'? "
                                        "hyper-parameters: lr, momentum, dampening, weight_decay, nesterov, maximize, "
                                        "decoupled_weight_decay)"));
    ASSERT_EQ(lre_optim_set(o, -1, "weight_dacay", 0.1), LRE_EINVAL);
    ASSERT_STR_CONTAINS(lre_optim_errmsg(o), "sgd: unknown hyper-parameter 'weight_dacay' (did you mean 'weight_decay'?");
    ASSERT_EQ(lre_optim_schedule(o, -1, "LR", c), LRE_EINVAL);
    ASSERT_STR_CONTAINS(lre_optim_errmsg(o), "sgd: unknown hyper-parameter 'LR' (did you mean 'lr'?");
    ASSERT_EQ(lre_optim_get(o, -1, NULL, &v), LRE_EINVAL);
    ASSERT_STR_CONTAINS(lre_optim_errmsg(o), "sgd: unknown hyper-parameter '(null)' (hyper-parameters: lr,");
    ASSERT_EQ(lre_optim_get(o, -1, "lr", &v), LRE_OK);
    lre_optim_free(o);
    lre_schedule_release(c);
}

int main(void)
{
    static const test_case tests[] = {
        {"every kind and optimizer has a summary, formula and peers", every_kind_and_optimizer_has_a_summary_formula_and_peers},
        {"gives the parameters the constructors use", gives_the_parameters_the_constructors_use},
        {"ranges are the ones the constructors enforce", ranges_are_the_ones_the_constructors_enforce},
        {"described defaults construct", described_defaults_construct},
        {"unknown names get a suggestion and the valid names", unknown_names_get_a_suggestion_and_the_valid_names},
        {"constructors and hyper-parameters say did you mean", constructors_and_hyperparameters_say_did_you_mean},
        {NULL, NULL}};
    return run_tests(tests);
}
