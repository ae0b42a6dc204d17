/* test_core_state.c -- loaded state is checked like constructed state. Each
 * test takes a real saved stream, changes one field, recomputes the checksum
 * so that only the checks of the values can catch it, and expects the load
 * refused with a message while the optimizer (or schedule) goes on exactly as
 * a twin that never saw the stream.
 *
 * The field offsets follow the stream layout of stream.c and optim_state.c;
 * the hyper-parameter slots are optim_internal.h's. */
#include "lrengine.h"
#include "optim_internal.h"
#include "test.h"

#include <stdint.h>
#include <stdlib.h>

enum { HDR = 44 };                        /* stream header; the payload follows */
enum { P_STEP = 4, P_SKIPPED = 12, P_GROUP0 = 24 }; /* optimizer payload */
enum { G_NDIM = 12, G_ROWS = 16, G_COLS = 24, G_T = 32, G_SCALAR = 40, G_STARTED = 64, G_HP = 68,
       G_SMASK = 68 + 8 * HP_COUNT, G_STATE = G_SMASK + 4 };

static void fix_crc(unsigned char *b, size_t len)
{
    uint32_t c = lre_crc32(0, b, len - 4);
    memcpy(b + len - 4, &c, 4);
}

static void put_u64(unsigned char *b, size_t at, uint64_t v) { memcpy(b + HDR + at, &v, 8); }
static void put_u32(unsigned char *b, size_t at, uint32_t v) { memcpy(b + HDR + at, &v, 4); }
static void put_f64(unsigned char *b, size_t at, double v) { memcpy(b + HDR + at, &v, 8); }
static void put_f32(unsigned char *b, size_t at, float v) { memcpy(b + HDR + at, &v, 4); }

/* Two identical optimizers over their own copies of the parameters. */
typedef struct twin {
    lre_optim *o[2];
    double x[2][4], g[4];
    lre_schedule *s;
} twin;

static const double X0[4] = {1, -2, 0.5, 3}, G0[4] = {0.3, -0.2, 0.1, -0.7};

static int twin_new(twin *t, const char *kind, const lre_param *p, size_t np)
{
    memcpy(t->g, G0, sizeof t->g);
    for (int k = 0; k < 2; k++) {
        memcpy(t->x[k], X0, sizeof X0);
        if (lre_optim_new(&t->o[k], kind, p, np, NULL)) return 0;
        if (lre_optim_add_group(t->o[k], LRE_F64, t->x[k], t->g, 4, NULL, 0, NULL)) return 0;
    }
    return 1;
}

static void twin_steps(twin *t, int n)
{
    for (int i = 0; i < n; i++)
        for (int k = 0; k < 2; k++) {
            lre_optim_step(t->o[k]);
            lre_optim_observe(t->o[k], 1.0);
        }
}

static void twin_free(twin *t)
{
    lre_optim_free(t->o[0]);
    lre_optim_free(t->o[1]);
}

/* After a refused load the first optimizer must step exactly as the second. */
static int twin_same(twin *t)
{
    twin_steps(t, 3);
    return memcmp(t->x[0], t->x[1], sizeof t->x[0]) == 0 &&
           lre_optim_step_count(t->o[0]) == lre_optim_step_count(t->o[1]) &&
           lre_optim_skipped(t->o[0]) == lre_optim_skipped(t->o[1]);
}

/* Saves o, lets edit change the copy, fixes the CRC and loads it into o. */
static int load_edited(lre_optim *o, void (*edit)(unsigned char *, size_t, void *), void *ud)
{
    lre_membuf m = {0};
    if (lre_optim_save(o, lre_membuf_write, &m)) return -1;
    edit(m.data, m.len, ud);
    fix_crc(m.data, m.len);
    lre_memreader r = {m.data, m.len, 0};
    int rc = lre_optim_load(o, lre_memreader_read, &r);
    free(m.data);
    return rc;
}

typedef struct field {
    size_t at;
    int width; /* 8: u64, 4: u32, -8: f64, -4: f32 */
    double value;
} field;

static void edit_field(unsigned char *b, size_t len, void *ud)
{
    (void)len;
    const field *f = ud;
    if (f->width == 8) put_u64(b, f->at, (uint64_t)f->value);
    else if (f->width == 4) put_u32(b, f->at, (uint32_t)f->value);
    else if (f->width == -8) put_f64(b, f->at, f->value);
    else put_f32(b, f->at, (float)f->value);
}

static void edit_u64_max(unsigned char *b, size_t len, void *ud)
{
    (void)len;
    put_u64(b, *(size_t *)ud, (uint64_t)INT64_MAX - 1);
}

#define REFUSED(t, rc_want, ed, ud, msg)                               \
    do {                                                               \
        ASSERT_EQ(load_edited((t)->o[0], ed, ud), rc_want);            \
        ASSERT_STR_CONTAINS(lre_optim_errmsg((t)->o[0]), msg);         \
        ASSERT(twin_same(t));                                          \
    } while (0)

static const lre_param ADAM[] = {{"lr", 0.01, NULL, 0, NULL, NULL}};

static void a_flipped_amsgrad_flag_is_refused(void)
{
    twin t;
    ASSERT(twin_new(&t, "adam", ADAM, 1));
    twin_steps(&t, 2);
    field f = {P_GROUP0 + G_HP + 8 * HP_AMSGRAD, -8, 1};
    REFUSED(&t, LRE_EMISMATCH, edit_field, &f, "group 1: amsgrad is 1, this optimizer has 0");
    twin_free(&t);
}

static void a_negative_beta_is_refused(void)
{
    twin t;
    ASSERT(twin_new(&t, "adam", ADAM, 1));
    twin_steps(&t, 2);
    field f = {P_GROUP0 + G_HP + 8 * HP_BETA2, -8, -0.5};
    REFUSED(&t, LRE_ECORRUPT, edit_field, &f, "adam: optimizer state, group 1: betas[2] must be in [0, 1), got -0.5");
    field nan_lr = {P_GROUP0 + G_HP + 8 * HP_LR, -8, NAN};
    REFUSED(&t, LRE_ECORRUPT, edit_field, &nan_lr, "lr must be >= 0, got nan");
    twin_free(&t);
}

static void a_value_in_a_slot_the_optimizer_lacks_is_refused(void)
{
    twin t; /* adamw has no decoupled_weight_decay switch, yet the Adam kernel would read it */
    ASSERT(twin_new(&t, "adamw", ADAM, 1));
    twin_steps(&t, 2);
    field f = {P_GROUP0 + G_HP + 8 * HP_DECOUPLED_WD, -8, 1};
    REFUSED(&t, LRE_ECORRUPT, edit_field, &f, "is not adamw's");
    twin_free(&t);
}

/* The twins' group is the vector 1 x 4: state that says otherwise (a matrix
 * of the same size, a dimension count no group has, rows * cols != n) is of
 * another configuration. */
static void an_edited_shape_is_refused(void)
{
    twin t;
    ASSERT(twin_new(&t, "adam", ADAM, 1));
    twin_steps(&t, 2);
    field matrix = {P_GROUP0 + G_NDIM, 4, 2};
    REFUSED(&t, LRE_EMISMATCH, edit_field, &matrix, "group 1 has another shape (matrix 1 x 4, this group is a vector 1 x 4)");
    field ndim = {P_GROUP0 + G_NDIM, 4, 3};
    REFUSED(&t, LRE_EMISMATCH, edit_field, &ndim, "group 1 has another shape (unknown kind 1 x 4");
    field rows = {P_GROUP0 + G_ROWS, 8, 2};
    REFUSED(&t, LRE_EMISMATCH, edit_field, &rows, "group 1 has another shape (vector 2 x 4");
    field cols = {P_GROUP0 + G_COLS, 8, 2};
    REFUSED(&t, LRE_EMISMATCH, edit_field, &cols, "group 1 has another shape (vector 1 x 2");
    twin_free(&t);
}

/* Prodigy's optimizer-wide d, d_max, N, dlr, k follow the groups: found in
 * the payload by d's bytes (d, then d_max), each replaced by a value no run
 * leaves. */
typedef struct prodigy_edit {
    double d;  /* the current d, to find */
    int field; /* 0 d, 1 d_max, 2 N, 3 dlr, 4 k */
    double value;
} prodigy_edit;

static void edit_prodigy(unsigned char *b, size_t len, void *ud)
{
    const prodigy_edit *e = ud;
    for (size_t at = HDR; at + 40 <= len; at++) {
        double d, dmax;
        memcpy(&d, b + at, 8);
        memcpy(&dmax, b + at + 8, 8);
        if (d != e->d || dmax < d) continue;
        if (e->field == 4) put_u64(b, at - HDR + 32, (uint64_t)e->value);
        else put_f64(b, at - HDR + 8 * (size_t)e->field, e->value);
        return;
    }
}

static void prodigy_state_is_checked(void)
{
    twin t;
    static const lre_param p[] = {{"d0", 1e-3, NULL, 0, NULL, NULL}};
    ASSERT(twin_new(&t, "prodigy", p, 1));
    twin_steps(&t, 3);
    /* (each refusal steps the twins on: d is read again before each edit) */
#define PRODIGY_REFUSED(field, v, msg)                                      \
    do {                                                                    \
        prodigy_edit e = {0, field, 0};                                     \
        ASSERT_EQ(lre_optim_get(t.o[0], -1, "d", &e.d), LRE_OK);            \
        e.value = (v);                                                      \
        REFUSED(&t, LRE_ECORRUPT, edit_prodigy, &e, msg);                   \
    } while (0)
    double d;
    ASSERT_EQ(lre_optim_get(t.o[0], -1, "d", &d), LRE_OK);
    ASSERT(d > 1e-3); /* d grew from d0 */
    PRODIGY_REFUSED(0, 5e-4, "prodigy's d 0.00050000000000000001 and d_max");
    PRODIGY_REFUSED(1, e.d / 2, "not what steps leave"); /* d_max < d */
    PRODIGY_REFUSED(2, NAN, "prodigy's numerator N is nan");
    PRODIGY_REFUSED(3, -1, "prodigy's dlr is -1");
    PRODIGY_REFUSED(4, 100, "prodigy's step count 100 beyond the");
#undef PRODIGY_REFUSED
    twin_free(&t);
}

/* A two-group Prodigy whose second group has rate lr2 (given to add_group). */
static lre_optim *prodigy_pair(double *x, double *g, double lr2)
{
    lre_optim *o;
    lre_param lr = {"lr", lr2, NULL, 0, NULL, NULL};
    if (lre_optim_new(&o, "prodigy", NULL, 0, NULL)) return NULL;
    if (lre_optim_add_group(o, LRE_F64, x, g, 2, NULL, 0, NULL) ||
        lre_optim_add_group(o, LRE_F64, x + 2, g + 2, 2, &lr, 1, NULL)) {
        lre_optim_free(o);
        return NULL;
    }
    return o;
}

/* The step refuses groups whose nonzero rates differ (as the reference
 * does); so does a load whose rates would reach the step: state saved with
 * rates 1 and 0.5 is refused under its own hyper-parameters, nothing
 * changed, and loads under this optimizer's (LRE_LOAD_CURRENT_HPARAMS);
 * rates 1 and 0 load (the reference skips a group whose lr is 0). */
static void prodigy_loads_refuse_rates_the_step_refuses(void)
{
    double xs[4] = {1, 2, 3, 4}, gs[4] = {0.5, -0.5, 0.25, 1}, x[4] = {1, 2, 3, 4}, g[4] = {0.5, -0.5, 0.25, 1};
    lre_optim *src = prodigy_pair(xs, gs, 0.5), *dst = prodigy_pair(x, g, 1), *zero = prodigy_pair(xs, gs, 0);
    ASSERT(src && dst && zero);
    ASSERT_EQ(lre_optim_step(src), LRE_EINVAL); /* the step refuses them */
    lre_membuf m = {0};
    ASSERT_EQ(lre_optim_save(src, lre_membuf_write, &m), LRE_OK);
    lre_memreader r = {m.data, m.len, 0};
    ASSERT_EQ(lre_optim_load(dst, lre_memreader_read, &r), LRE_ECORRUPT);
    ASSERT_STR_CONTAINS(lre_optim_errmsg(dst), "prodigy: optimizer state is corrupt: groups' lr must be equal or 0 (group 2 has 0.5");
    double lr;
    ASSERT_EQ(lre_optim_get(dst, 1, "lr", &lr), LRE_OK);
    ASSERT_EQ(lr, 1);
    ASSERT_EQ(lre_optim_step(dst), LRE_OK);
    r = (lre_memreader){m.data, m.len, 0};
    ASSERT_EQ(lre_optim_load_with(dst, lre_memreader_read, &r, LRE_LOAD_CURRENT_HPARAMS), LRE_OK);
    ASSERT_EQ(lre_optim_step(dst), LRE_OK);
    free(m.data);
    m = (lre_membuf){0};
    ASSERT_EQ(lre_optim_save(zero, lre_membuf_write, &m), LRE_OK);
    r = (lre_memreader){m.data, m.len, 0};
    ASSERT_EQ(lre_optim_load(dst, lre_memreader_read, &r), LRE_OK);
    ASSERT_EQ(lre_optim_step(dst), LRE_OK);
    free(m.data);
    lre_optim_free(src);
    lre_optim_free(dst);
    lre_optim_free(zero);
}

static void huge_or_inconsistent_step_counts_are_refused(void)
{
    twin t;
    ASSERT(twin_new(&t, "adam", ADAM, 1));
    twin_steps(&t, 2);
    size_t at = P_STEP;
    REFUSED(&t, LRE_ECORRUPT, edit_u64_max, &at, "step count 9223372036854775806 beyond 2^53");
    at = P_SKIPPED;
    REFUSED(&t, LRE_ECORRUPT, edit_u64_max, &at, "skipped count");
    field more_updates = {P_GROUP0 + G_T, 8, 1000}; /* more updates than steps (8 by now) */
    REFUSED(&t, LRE_ECORRUPT, edit_field, &more_updates, "group 1 has 1000 updates in 8 steps");
    twin_free(&t);
}

static void the_step_limit_is_refused_not_overflowed(void)
{
    twin t;
    ASSERT(twin_new(&t, "sgd", ADAM, 1));
    field f = {P_STEP, 8, (double)LRE_STEP_MAX};
    ASSERT_EQ(load_edited(t.o[0], edit_field, &f), LRE_OK); /* the limit itself is a valid count */
    ASSERT_EQ(lre_optim_step_count(t.o[0]), LRE_STEP_MAX);
    ASSERT_EQ(lre_optim_step(t.o[0]), LRE_ERANGE);
    ASSERT_STR_CONTAINS(lre_optim_errmsg(t.o[0]), "limit of 2^53 steps");
    ASSERT(memcmp(t.x[0], X0, sizeof X0) == 0);
    twin_free(&t);
}

static void impossible_per_group_scalars_are_refused(void)
{
    twin t;
    ASSERT(twin_new(&t, "nadam", ADAM, 1));
    twin_steps(&t, 2);
    field mu = {P_GROUP0 + G_SCALAR, -8, 1}; /* mu_product 1: 1 - mu_product divides */
    REFUSED(&t, LRE_ECORRUPT, edit_field, &mu, "per-group scalars");
    twin_free(&t);
    lre_param sgd[] = {{"lr", 0.01, NULL, 0, NULL, NULL}, {"momentum", 0.9, NULL, 0, NULL, NULL}};
    ASSERT(twin_new(&t, "sgd", sgd, 2));
    field early = {P_GROUP0 + G_STARTED, 4, 1}; /* started before any update */
    REFUSED(&t, LRE_ECORRUPT, edit_field, &early, "momentum_started is 1 after 0 updates");
    field started = {P_GROUP0 + G_STARTED, 4, 7};
    REFUSED(&t, LRE_ECORRUPT, edit_field, &started, "momentum_started is 7");
    twin_free(&t);
}

static void state_buffers_must_hold_what_updates_can_leave(void)
{
    twin t;
    ASSERT(twin_new(&t, "adam", ADAM, 1));
    twin_steps(&t, 2);
    field v = {P_GROUP0 + G_STATE + 4 * 8 + 2 * 8, -8, -1}; /* exp_avg_sq[2] < 0: sqrt would give NaN */
    REFUSED(&t, LRE_ECORRUPT, edit_field, &v, "state buffer 2 element 2 is negative or not finite");
    field m = {P_GROUP0 + G_STATE + 8, -8, INFINITY}; /* exp_avg[1] */
    REFUSED(&t, LRE_ECORRUPT, edit_field, &m, "state buffer 1 element 1 is not finite");
    twin_free(&t);
}

/* The peers' optimizers (issue 13): their sums of squares are never negative,
 * whatever the optimizer keeps in the buffers before them. */
static void the_peers_second_moments_must_not_be_negative(void)
{
    static const struct {
        const char *kind;
        int slot; /* 0-based; the buffers before it hold 4 doubles each */
        lre_param p[2];
        size_t np;
    } cases[] = {
        {"nadam_keras", 1, {{"lr", 0.01, NULL, 0, NULL, NULL}}, 1},
        {"yogi", 1, {{"lr", 0.01, NULL, 0, NULL, NULL}}, 1},
        {"adabelief", 1, {{"lr", 0.01, NULL, 0, NULL, NULL}}, 1},
        {"adabelief", 2, {{"lr", 0.01, NULL, 0, NULL, NULL}, {"amsgrad", 1, NULL, 0, NULL, NULL}}, 2},
        {"lamb", 1, {{"lr", 0.01, NULL, 0, NULL, NULL}}, 1},
        {"adafactor", 1, {{"beta1", 0.5, NULL, 0, NULL, NULL}}, 1},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        twin t;
        ASSERT(twin_new(&t, cases[c].kind, cases[c].p, cases[c].np));
        twin_steps(&t, 2);
        field v = {P_GROUP0 + G_STATE + (size_t)cases[c].slot * 4 * 8 + 3 * 8, -8, -0.5};
        char msg[64];
        snprintf(msg, sizeof msg, "state buffer %d element 3 is negative", cases[c].slot + 1);
        REFUSED(&t, LRE_ECORRUPT, edit_field, &v, msg);
        twin_free(&t);
    }
    /* NovoGrad's one second moment per group is a per-group scalar */
    twin t;
    ASSERT(twin_new(&t, "novograd", ADAM, 1));
    twin_steps(&t, 2);
    field nv = {P_GROUP0 + G_SCALAR, -8, -1};
    REFUSED(&t, LRE_ECORRUPT, edit_field, &nv, "per-group scalars (-1, 1, 0) impossible after 2 updates");
    field inf = {P_GROUP0 + G_SCALAR, -8, INFINITY};
    REFUSED(&t, LRE_ECORRUPT, edit_field, &inf, "per-group scalars");
    twin_free(&t);
    /* Adafactor's factored second moment of a 2 x 2 matrix: 2 row means, then 2 column means */
    memcpy(t.g, G0, sizeof t.g);
    for (int k = 0; k < 2; k++) {
        memcpy(t.x[k], X0, sizeof X0);
        ASSERT_EQ(lre_optim_new(&t.o[k], "adafactor", NULL, 0, NULL), LRE_OK);
        ASSERT_EQ(lre_optim_add_matrix(t.o[k], LRE_F64, t.x[k], t.g, 2, 2, NULL, 0, NULL), LRE_OK);
    }
    twin_steps(&t, 2);
    field row = {P_GROUP0 + G_STATE + 8, -8, -1e-3};
    REFUSED(&t, LRE_ECORRUPT, edit_field, &row, "state buffer 2 element 1 is negative");
    field col = {P_GROUP0 + G_STATE + 2 * 8 + 8, -8, NAN};
    REFUSED(&t, LRE_ECORRUPT, edit_field, &col, "state buffer 3 element 1 is negative or not finite");
    twin_free(&t);
    /* LARS keeps SGD's momentum_started */
    lre_param lars[] = {{"lr", 0.01, NULL, 0, NULL, NULL}, {"momentum", 0.9, NULL, 0, NULL, NULL}};
    ASSERT(twin_new(&t, "lars", lars, 2));
    field early = {P_GROUP0 + G_STARTED, 4, 1};
    REFUSED(&t, LRE_ECORRUPT, edit_field, &early, "momentum_started is 1 after 0 updates");
    twin_free(&t);
}

static void relations_between_hyperparameters_are_checked(void)
{
    twin t;
    lre_param p[] = {{"lr", 0.01, NULL, 0, NULL, NULL}, {"momentum", 0.9, NULL, 0, NULL, NULL},
                     {"nesterov", 1, NULL, 0, NULL, NULL}};
    ASSERT(twin_new(&t, "sgd", p, 3));
    twin_steps(&t, 2);
    field f = {P_GROUP0 + G_HP + 8 * HP_DAMPENING, -8, 0.5};
    REFUSED(&t, LRE_ECORRUPT, edit_field, &f, "nesterov requires momentum > 0 and dampening = 0");
    twin_free(&t);
}

static void a_float32_group_is_checked_too(void)
{
    float x[2][3] = {{1, 2, 3}, {1, 2, 3}}, g[3] = {0.5f, -1, 2};
    lre_optim *o[2];
    lre_param p[] = {{"lr", 0.1, NULL, 0, NULL, NULL}};
    for (int k = 0; k < 2; k++) {
        ASSERT_EQ(lre_optim_new(&o[k], "adagrad", p, 1, NULL), LRE_OK);
        ASSERT_EQ(lre_optim_add_group(o[k], LRE_F32, x[k], g, 3, NULL, 0, NULL), LRE_OK);
        lre_optim_step(o[k]);
    }
    field sum = {P_GROUP0 + G_STATE + 4, -4, -2}; /* adagrad's sum of squares */
    ASSERT_EQ(load_edited(o[0], edit_field, &sum), LRE_ECORRUPT);
    ASSERT_STR_CONTAINS(lre_optim_errmsg(o[0]), "state buffer 1 element 1 is negative");
    for (int k = 0; k < 2; k++) lre_optim_step(o[k]);
    ASSERT(memcmp(x[0], x[1], sizeof x[0]) == 0);
    lre_optim_free(o[0]);
    lre_optim_free(o[1]);
}

/* ---- plateau state, inside an optimizer and alone ---- */

static lre_schedule *plateau(double patience, double cooldown)
{
    lre_schedule *cos, *pl;
    lre_param c[] = {{"lr", 0.1, NULL, 0, NULL, NULL}, {"t_max", 100, NULL, 0, NULL, NULL}};
    if (lre_schedule_new(&cos, "cosine", c, 2, NULL, 0, NULL)) return NULL;
    lre_param w[] = {{"patience", patience, NULL, 0, NULL, NULL}, {"cooldown", cooldown, NULL, 0, NULL, NULL},
                     {"factor", 0.5, NULL, 0, NULL, NULL}};
    int rc = lre_schedule_new(&pl, "plateau", w, 3, &cos, 1, NULL);
    lre_schedule_release(cos);
    return rc ? NULL : pl;
}

/* The plateau's four fields end the groups of the optimizer stream; then
 * comes the averaging section (without averaging: eval mode u32, rule u32,
 * fingerprint u64, swapped u32, last decay f64), then the CRC. */
enum { AVG_SECTION = 4 + 4 + 8 + 4 + 8 };
static void edit_plateau(unsigned char *b, size_t len, void *ud)
{
    const field *f = ud;
    size_t at = len - 4 - AVG_SECTION - 32 - HDR + f->at;
    field g = {at, f->width, f->value};
    edit_field(b, len, &g);
}

static void plateau_counters_are_checked_inside_an_optimizer(void)
{
    twin t;
    lre_schedule *s[2] = {plateau(3, 2), plateau(3, 2)};
    ASSERT(s[0] && s[1]);
    memcpy(t.g, G0, sizeof t.g);
    for (int k = 0; k < 2; k++) {
        memcpy(t.x[k], X0, sizeof X0);
        lre_param p[] = {{"lr", 0, NULL, 0, NULL, s[k]}};
        ASSERT_EQ(lre_optim_new(&t.o[k], "sgd", p, 1, NULL), LRE_OK);
        ASSERT_EQ(lre_optim_add_group(t.o[k], LRE_F64, t.x[k], t.g, 4, NULL, 0, NULL), LRE_OK);
        lre_schedule_release(s[k]);
    }
    twin_steps(&t, 2); /* one bad epoch after the first metric */
    field bad = {16, 8, 9};   /* num_bad_epochs 9 > patience 3 */
    REFUSED(&t, LRE_ECORRUPT, edit_plateau, &bad, "plateau: num_bad_epochs 9 outside [0, patience = 3]");
    field scale = {0, -8, 2}; /* a reduction that raises the rate */
    REFUSED(&t, LRE_ECORRUPT, edit_plateau, &scale, "plateau: scale 2 outside [0, 1]");
    field best = {8, -8, NAN};
    REFUSED(&t, LRE_ECORRUPT, edit_plateau, &best, "plateau: best nan impossible in mode 'min'");
    field cool = {24, 8, 5};
    REFUSED(&t, LRE_ECORRUPT, edit_plateau, &cool, "cooldown_counter 5 outside [0, cooldown = 2]");
    field both = {24, 8, 1}; /* cooling down with a bad epoch counted */
    REFUSED(&t, LRE_ECORRUPT, edit_plateau, &both, "num_bad_epochs counted during a cooldown");
    twin_free(&t);
}

static void plateau_counters_are_checked_in_a_schedule_stream(void)
{
    lre_schedule *a = plateau(3, 0), *b = plateau(3, 0);
    ASSERT(a && b);
    for (int i = 0; i < 2; i++) {
        lre_schedule_observe(a, 1.0, i + 1, NULL);
        lre_schedule_observe(b, 1.0, i + 1, NULL);
    }
    lre_membuf m = {0};
    ASSERT_EQ(lre_schedule_save(a, lre_membuf_write, &m, NULL), LRE_OK);
    /* payload: fingerprint u64, shape fingerprint u64, then scale, best, num_bad_epochs, cooldown_counter */
    put_u64(m.data, 16 + 16, (uint64_t)-1); /* num_bad_epochs -1 */
    fix_crc(m.data, m.len);
    lre_memreader r = {m.data, m.len, 0};
    lre_error err;
    ASSERT_EQ(lre_schedule_load(a, lre_memreader_read, &r, &err), LRE_ECORRUPT);
    ASSERT_STR_CONTAINS(err.msg, "num_bad_epochs -1 outside");
    free(m.data);
    for (int i = 2; i < 8; i++) {
        double va, vb;
        lre_schedule_observe(a, 1.0, i + 1, NULL);
        lre_schedule_observe(b, 1.0, i + 1, NULL);
        lre_schedule_eval(a, i + 1, &va, NULL);
        lre_schedule_eval(b, i + 1, &vb, NULL);
        ASSERT(va == vb);
    }
    lre_schedule_release(a);
    lre_schedule_release(b);
}

/* A length field that promises more than the stream holds: refused as
 * truncated, without first allocating what it promised. */
static void a_forged_length_is_refused_as_truncated(void)
{
    twin t;
    ASSERT(twin_new(&t, "adam", ADAM, 1));
    lre_membuf m = {0};
    ASSERT_EQ(lre_optim_save(t.o[0], lre_membuf_write, &m), LRE_OK);
    uint64_t big = (uint64_t)1 << 40;
    memcpy(m.data + 36, &big, 8);
    lre_memreader r = {m.data, m.len, 0};
    ASSERT_EQ(lre_optim_load(t.o[0], lre_memreader_read, &r), LRE_ETRUNCATED);
    free(m.data);
    ASSERT(twin_same(&t));
    twin_free(&t);
}

int main(void)
{
    static const test_case tests[] = {
        {"a flipped amsgrad flag is refused", a_flipped_amsgrad_flag_is_refused},
        {"a negative beta (or NaN lr) is refused", a_negative_beta_is_refused},
        {"a value in a slot the optimizer lacks is refused", a_value_in_a_slot_the_optimizer_lacks_is_refused},
        {"an edited shape is refused", an_edited_shape_is_refused},
        {"prodigy's optimizer-wide state is checked", prodigy_state_is_checked},
        {"prodigy's loads refuse the rates its step refuses", prodigy_loads_refuse_rates_the_step_refuses},
        {"huge or inconsistent step counts are refused", huge_or_inconsistent_step_counts_are_refused},
        {"the step limit is refused, not overflowed", the_step_limit_is_refused_not_overflowed},
        {"impossible per-group scalars are refused", impossible_per_group_scalars_are_refused},
        {"state buffers must hold what updates can leave", state_buffers_must_hold_what_updates_can_leave},
        {"the peers' second moments must not be negative", the_peers_second_moments_must_not_be_negative},
        {"relations between hyper-parameters are checked", relations_between_hyperparameters_are_checked},
        {"a float32 group is checked too", a_float32_group_is_checked_too},
        {"plateau counters are checked inside an optimizer", plateau_counters_are_checked_inside_an_optimizer},
        {"plateau counters are checked in a schedule stream", plateau_counters_are_checked_in_a_schedule_stream},
        {"a forged length is refused as truncated", a_forged_length_is_refused_as_truncated},
        {NULL, NULL}};
    return run_tests(tests);
}
