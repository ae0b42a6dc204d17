/* describe.c -- introspection: every built-in schedule kind and optimizer,
 * its parameters with their defaults and ranges, read from the definition
 * tables the engine validates with (lre__kinds in schedule_kinds.c, optim.c's
 * through lre__optim_param), so that documentation, `lrengine list` and
 * `lrengine help` cannot drift from what the constructors accept. What the
 * tables do not hold (a one-line summary, the formula, the peers a kind
 * follows) is kept here, one entry per kind, indexed by the kind's id.
 *
 * Also the "did you mean" helper for messages about unknown names. */
#include "optim_internal.h"
#include "schedule_internal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct kind_doc {
    const char *summary, *formula, *peers;
} kind_doc;

/* t is the 0-based step (the value used by optimizer step t). */
static const kind_doc schedule_docs[K_COUNT] = {
    [K_CONSTANT] = {"lr, times factor for the first total_iters steps",
                    "t < total_iters ? lr * factor : lr", "torch.optim.lr_scheduler.ConstantLR"},
    [K_STEP] = {"decays by gamma every step_size steps", "lr * gamma^floor(t / step_size)",
                "torch.optim.lr_scheduler.StepLR"},
    [K_MULTISTEP] = {"decays by gamma at each milestone", "lr * gamma^(number of milestones <= t)",
                     "torch.optim.lr_scheduler.MultiStepLR"},
    [K_EXPONENTIAL] = {"exponential decay, continuous or by stairs",
                       "lr * gamma^(t / decay_steps), the exponent floored when staircase",
                       "torch.optim.lr_scheduler.ExponentialLR, keras.optimizers.schedules.ExponentialDecay"},
    [K_INVERSE_TIME] = {"inverse-time decay", "lr / (1 + decay_rate * t / decay_steps), t / decay_steps floored when staircase",
                        "keras.optimizers.schedules.InverseTimeDecay"},
    [K_LINEAR] = {"linear ramp of a factor of lr over total_iters steps",
                  "lr * (start_factor + (end_factor - start_factor) * min(t, total_iters) / total_iters)",
                  "torch.optim.lr_scheduler.LinearLR"},
    [K_POLYNOMIAL] = {"polynomial decay to end_lr",
                      "(lr - end_lr) * (1 - min(t, T) / T)^power + end_lr, T = total_iters (with cycle: the next multiple of total_iters >= t)",
                      "torch.optim.lr_scheduler.PolynomialLR, keras.optimizers.schedules.PolynomialDecay"},
    [K_PIECEWISE] = {"constant pieces between boundaries",
                     "values[i + 1] where boundaries[i] < t <= boundaries[i + 1] (values[1] up to boundaries[1])",
                     "keras.optimizers.schedules.PiecewiseConstantDecay"},
    [K_COSINE] = {"cosine annealing from lr to eta_min over t_max steps",
                  "eta_min + (lr - eta_min) * (1 + cos(pi * t / t_max)) / 2, t held at t_max when hold",
                  "torch.optim.lr_scheduler.CosineAnnealingLR (closed form), keras.optimizers.schedules.CosineDecay (hold)"},
    [K_COSINE_RESTARTS] = {"cosine annealing with warm restarts",
                           "eta_min + (lr - eta_min) * m_mul^i * (1 + cos(pi * t_i / T_i)) / 2, period i of length T_i = t_0 * t_mult^i",
                           "torch.optim.lr_scheduler.CosineAnnealingWarmRestarts, keras.optimizers.schedules.CosineDecayRestarts"},
    [K_CYCLIC] = {"cyclical learning rate between base_lr and max_lr",
                  "base_lr + (max_lr - base_lr) * triangle(t) * scale(cycle, t), by mode",
                  "torch.optim.lr_scheduler.CyclicLR"},
    [K_ONE_CYCLE] = {"one-cycle policy: the learning rate",
                     "cos (or linear) anneal max_lr / div_factor -> max_lr -> max_lr / div_factor / final_div_factor, phases ending at pct_start * total_steps - 1 and total_steps - 1",
                     "torch.optim.lr_scheduler.OneCycleLR"},
    [K_ONE_CYCLE_MOMENTUM] = {"one-cycle policy: the momentum (or beta1)",
                              "anneal max_momentum -> base_momentum -> max_momentum over one_cycle's phases",
                              "torch.optim.lr_scheduler.OneCycleLR (cycle_momentum)"},
    [K_WSD] = {"warmup-stable-decay",
               "t < w: lr * t / w; t < w + s: lr; then lr -> min_lr by decay over decay_steps (w = warmup_steps, s = stable_steps)",
               "MiniCPM's WSD (Hu et al. 2024); transformers get_wsd_schedule (inside warmup); timm's WSDLRScheduler (power, exp)"},
    [K_INVERSE_SQRT] = {"inverse square root decay",
                        "lr / sqrt((t + timescale) / timescale), or lr * (1 + t / timescale)^-power",
                        "transformers get_inverse_sqrt_schedule (after its warm-up: see warmup)"},
    [K_LOGISTIC] = {"logistic decay around a midpoint", "lr / (1 + exp(rate * (t - midpoint)))",
                    "darknet policy=sig (rate = gamma, midpoint = step)"},
    [K_CYCLES] = {"timm's cycles: cosine, tanh or polynomial decays with restarts, k-decay and a cycle limit",
                  "cycle i of length T_i = t_0 * t_mult^i, position x = t_i^k / T_i^k, peak = lr * cycle_decay^i: "
                  "eta_min + (peak - eta_min) * (1 + cos(pi x)) / 2 (cosine), (1 - tanh(lb (1 - t_i / T_i) + ub t_i / T_i)) / 2 "
                  "(tanh), (1 - x)^power (poly); eta_min from cycle cycle_limit on",
                  "timm.scheduler CosineLRScheduler, TanhLRScheduler, PolyLRScheduler; darknet policy=sgdr (end_inclusive)"},
    [K_CYCLIC_MOMENTUM] = {"cyclical momentum, inverse to cyclic's rate",
                           "max_momentum - (max_momentum - base_momentum) * triangle(t) * scale(cycle, t), by mode",
                           "torch.optim.lr_scheduler.CyclicLR (cycle_momentum)"},
    [K_RANDOM] = {"a uniform random rate, redrawn every period steps",
                  "min_lr + (max_lr - min_lr) * u(seed, floor(t / period)), u uniform in [0, 1)", "(none)"},
    [K_NOISE] = {"multiplies its inner schedule by random noise",
                 "inner(t) * max(0, 1 + amplitude * z(seed, floor(t / period))), z uniform in [-1, 1) or standard normal (redrawn while |z| >= limit)",
                 "timm's lr noise (limit = noise_pct)"},
    [K_WARMUP] = {"warm-up before its inner schedule, which starts after it (shift)",
                  "t < steps: inner(shift ? 0 : t) * w(t), w from start_factor to 1 by mode; then inner(shift ? t - steps : t)",
                  "timm's warmup_prefix = True (shift; HF and optax count the warm-up within the total)"},
    [K_SEQUENCE] = {"its inner schedules one after another, each from its own step 0",
                    "inner_k(t - milestones[k - 1]) where milestones[k - 1] <= t < milestones[k]",
                    "torch.optim.lr_scheduler.SequentialLR"},
    [K_PRODUCT] = {"the product of its inner schedules", "inner_1(t) * inner_2(t) * ...", "(none)"},
    [K_SCALE] = {"its inner schedule times a constant", "factor * inner(t)", "(none)"},
    [K_CLAMP] = {"its inner schedule clamped to [min, max]", "min(max(inner(t), min), max)", "(none)"},
    [K_MIN] = {"the least of its inner schedules", "min(inner_1(t), inner_2(t), ...)", "(none)"},
    [K_MAX] = {"the greatest of its inner schedules", "max(inner_1(t), inner_2(t), ...)", "(none)"},
    [K_SUM] = {"the sum of its inner schedules", "inner_1(t) + inner_2(t) + ...",
               "(none: timm's WSD floor, lr_min + (stable - lr_min) * decay, is a sum of two products)"},
    [K_PLATEAU] = {"reduces its inner schedule (or lr) when the observed metric stops improving",
                   "inner(t) * factor^reductions, not cut below min_lr; a reduction after more than patience bad observations",
                   "torch.optim.lr_scheduler.ReduceLROnPlateau"},
    [K_EXTEND] = {"continues a plan with its rest stretched to a new total (continuous at `at`)",
                  "t < at: plan(t); then plan(at + (t - at) * (old_total - at) / (total - at)), linear between whole steps",
                  "(none; Megatron's --override-opt_param-scheduler restarts the curve instead)"},
    [K_COOLDOWN] = {"continues a plan with a cool-down from its value at `at` to floor over steps",
                    "t < at: plan(t); then v + (floor - v) * g(min(1, (t - at) / steps)), v = value (default plan(at)), g by shape: x, (1 - cos(pi x)) / 2, sqrt(x)",
                    "Hagele et al. 2024 (cool-down shapes, 1 - sqrt)"},
    [K_REWARM] = {"continues a plan with a re-warm from its value at `at` to peak over steps, then the next schedule",
                  "t < at: plan(t); t < at + steps: v + (peak - v) * g((t - at) / steps), g as cooldown's; then next(shift ? t - at - steps : t)",
                  "(none)"},
    [K_REPLACE] = {"continues a plan with another schedule from step at",
                   "t < at: plan(t); then next(shift ? t - at : t)", "Megatron's --override-opt_param-scheduler"},
    [K_SHIFT] = {"its inner schedule offset steps later (or earlier)", "inner(max(0, t + offset))",
                 "(none: darknet and DeepSpeed count from 1, llm.c's warm-up peaks at step W - 1)"},
    [K_SWA] = {"anneals from its inner schedule's rate at start (or lr) to swa_lr",
               "t < start: inner(t); then swa_lr * a + inner(start) * (1 - a), a = anneal(min(1, (t - start) / max(1, anneal_steps)))",
               "torch.optim.swa_utils.SWALR"},
};

/* g is the gradient (negated when maximize), p the parameters, t the update count from 1. */
static const kind_doc optim_docs[O_COUNT] = {
    [O_SGD] = {"stochastic gradient descent, with momentum and Nesterov momentum",
               "g += weight_decay * p; b = momentum * b + (1 - dampening) * g (b = g at first); p -= lr * (nesterov ? g + momentum * b : b)",
               "torch.optim.SGD (PyTorch 1.13)"},
    [O_ADAM] = {"Adam, AMSGrad, and the paper's epsilon-hat form",
                "m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)",
                "torch.optim.Adam (PyTorch 1.13); epsilon_hat: Kingma & Ba 2015, section 2"},
    [O_ADAMW] = {"Adam with decoupled weight decay", "p *= 1 - lr * weight_decay; then Adam's update",
                 "torch.optim.AdamW (PyTorch 1.13); epsilon_hat: keras.optimizers.AdamW (Keras 3)"},
    [O_ADAGRAD] = {"Adagrad", "s += g^2; p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)",
                   "torch.optim.Adagrad (PyTorch 1.13)"},
    [O_RMSPROP] = {"RMSprop, centered or not, with momentum",
                   "v = alpha v + (1 - alpha) g^2; p -= lr * g / (sqrt(v - (centered ? mean(g)^2 : 0)) + eps), through a momentum buffer when momentum > 0",
                   "torch.optim.RMSprop (PyTorch 1.13)"},
    [O_ADADELTA] = {"Adadelta",
                    "v = rho v + (1 - rho) g^2; d = sqrt(u + eps) / sqrt(v + eps) * g; u = rho u + (1 - rho) d^2; p -= lr * d",
                    "torch.optim.Adadelta (PyTorch 1.13)"},
    [O_ADAMAX] = {"Adamax, Adam with the infinity norm",
                  "m = b1 m + (1 - b1) g; u = max(b2 u, |g| + eps); p -= lr / (1 - b1^t) * m / u",
                  "torch.optim.Adamax (PyTorch 1.13)"},
    [O_NADAM] = {"Adam with Nesterov momentum",
                 "Adam's moments with the momentum schedule mu_t = b1 (1 - 0.96^(t * momentum_decay) / 2)",
                 "torch.optim.NAdam (PyTorch 1.13)"},
    [O_RADAM] = {"rectified Adam",
                 "Adam's moments; the adaptive step only once the variance's rectification term rho_t > 5, SGD with momentum before",
                 "torch.optim.RAdam (PyTorch 1.13)"},
    [O_RPROP] = {"resilient backpropagation",
                 "step *= etas[2] (same sign as the last gradient) or etas[1] (opposite: g taken as 0), clamped to step_sizes; p -= sign(g) * step",
                 "torch.optim.Rprop (PyTorch 1.13)"},
    [O_ASGD] = {"averaged stochastic gradient descent",
                "p *= 1 - lambd * eta; p -= eta * g; average ax += mu * (p - ax); eta = lr / (1 + lambd * lr * t)^alpha, mu = 1 / max(1, t - t0)",
                "torch.optim.ASGD (PyTorch 1.13)"},
    [O_LION] = {"Lion, the sign of an interpolated momentum",
                "c = b1 m + (1 - b1) g; p -= lr * (sign(c) + weight_decay * p); m = b2 m + (1 - b2) g",
                "Chen et al. 2023, Program 1 (lion-pytorch); PyTorch 1.13 has none"},
    [O_ADEMAMIX] = {"AdEMAMix, Adam mixed with a slow EMA of the gradients",
                    "m1 = b1 m1 + (1 - b1) g; m2 = b3_k m2 + (1 - b3_k) g; nu = b2 nu + (1 - b2) g^2; p -= lr * ((m1 / (1 - b1^k) + alpha_k m2) / (sqrt(nu / (1 - b2^k)) + eps) + weight_decay * p), alpha_k and b3_k warmed up over alpha_warmup and beta3_warmup steps (0: none)",
                    "apple/ml-ademamix pytorch/ademamix.py (Pagliardini, Ablin & Grangier 2024); alpha_t and beta3_t readable"},
    [O_SGD_SCHEDULEFREE] = {"schedule-free SGD: no decay schedule, parameters at y, average x for evaluation (eval/train)",
                            "lr_t = lr min(1, t / warmup_steps); w = t^r lr_max^weight_lr_power; c = w / sum(w); z -= lr_t (g + weight_decay y); x = (1 - c) x + c z; y = momentum x + (1 - momentum) z",
                            "facebookresearch/schedule_free sgd_schedulefree_reference.py (Defazio et al. 2024)"},
    [O_ADAMW_SCHEDULEFREE] = {"schedule-free AdamW: no decay schedule, parameters at y, average x for evaluation (eval/train)",
                              "z -= lr_t weight_decay y; v = b2 v + (1 - b2) g^2; z -= lr_t g / (sqrt(v / (1 - b2^t)) + eps); x = (1 - c) x + c z; y = b1 x + (1 - b1) z (lr_t, c as schedule-free SGD)",
                              "facebookresearch/schedule_free adamw_schedulefree_reference.py (Defazio et al. 2024)"},
    [O_NADAM_KERAS] = {"Keras 3's Nadam: Adam with Nesterov momentum, Keras' momentum schedule and epsilon",
                       "u_t = b1 (1 - 0.96^t / 2); m, v as Adam's; p -= lr * (u_(t+1) m / (1 - prod u_1..u_(t+1)) + (1 - u_t) g / (1 - prod u_1..u_t)) / (sqrt(v / (1 - b2^t)) + eps)",
                       "keras.optimizers.Nadam (Keras 3); weight decay decoupled by default, as Keras applies it"},
    [O_SIGNSGD] = {"signSGD: the sign of the gradient, or of its momentum (Signum) when momentum > 0",
                   "g += weight_decay * p; b = momentum * b + (1 - momentum) * g (from 0); p -= lr * sign(momentum > 0 ? b : g)",
                   "Bernstein et al. 2018 (jxbz/signSGD); MXNet's SignSGD / Signum (wd_lh: decoupled_weight_decay)"},
    [O_SIGNUM] = {"Signum: signSGD with momentum (default 0.9)", "as signsgd",
                  "Bernstein et al. 2018 (jxbz/signSGD)"},
    [O_ADABELIEF] = {"AdaBelief: Adam with the variance of the gradient around its mean, rectified as RAdam",
                     "m = b1 m + (1 - b1) g; s = b2 s + (1 - b2) (g - m)^2 + eps; p -= lr / (1 - b1^t) * m / (sqrt(s / (1 - b2^t)) + eps), or RAdam's rectified step when rectify",
                     "timm.optim.AdaBelief; adabelief-pytorch 0.2 (Zhuang et al. 2020)"},
    [O_YOGI] = {"Yogi: Adam whose second moment moves additively towards g^2",
                "m = b1 m + (1 - b1) g; v -= (1 - b2) sign(v - g^2) g^2; both from initial_accumulator; p -= lr / (1 - b1^t) * m / (sqrt(v / (1 - b2^t)) + eps)",
                "torch_optimizer.Yogi (Zaheer et al. 2018)"},
    [O_PRODIGY] = {"Prodigy: Adam scaled by a learned estimate d of the distance to the solution (learning-rate free)",
                   "dlr = d lr bc; N = b3 N + (d/d0) dlr sum g (p0 - p); m = b1 m + d (1 - b1) g; v = b2 v + d^2 (1 - b2) g^2; s = b3 s + (d/d0) dlr g; d = min(d_max, d growth_rate) with d_max = max(d_max, d_coef N / sum |s|); p -= dlr m / (sqrt(v) + d eps), decoupled decay p -= weight_decay dlr p",
                   "konstmish/prodigy prodigy_reference.py (Mishchenko & Defazio 2023); d, d_max and dlr readable"},
    [O_MUON] = {"Muon: orthogonalised momentum for matrices, AdamW for the rest",
                "matrix groups: m = lerp(m, g, 1 - momentum); u = nesterov ? lerp(g, m, momentum) : m; p = p (1 - lr wd) - lr sqrt(max(1, rows/cols)) NS5(u), NS5 five Newton-Schulz iterations (3.4445, -4.7750, 2.0315) on u / (|u|_F + 1e-7); other groups: p = p (1 - lr wd) - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)",
                "KellerJordan/Muon muon.py (SingleDeviceMuon, MuonWithAuxAdam), Newton-Schulz in the group's dtype instead of bfloat16"},
    [O_LAMB] = {"LAMB: Adam's direction scaled per group by the trust ratio ||p|| / ||r||",
                "m, v as Adam's; r = m / (1 - b1^t) / (sqrt(v / (1 - b2^t)) + eps) + weight_decay * p; p -= lr * (||p|| > 0 and ||r|| > 0 ? ||p|| / ||r|| : 1) * r",
                "optax.lamb, keras.optimizers.Lamb (You et al. 2020); two passes: the norms, then the update"},
    [O_LARS] = {"LARS: SGD with a per-group rate trust_coeff ||p|| / (||g|| + weight_decay ||p|| + eps)",
                "when weight_decay > 0 or always_adapt: g = (g + weight_decay p) * ratio (trust_clip: min(ratio / lr, 1)); then SGD's momentum and Nesterov",
                "timm.optim.Lars (You et al. 2017; apex LARC's clipping); two passes: the norms, then the update"},
    [O_NOVOGRAD] = {"NovoGrad: a second moment per group, the gradient normalised by it",
                    "v = ||g||^2 (first) or b2 v + (1 - b2) ||g||^2; d = g / (sqrt(v) + eps) + weight_decay p, times 1 - b1 with grad_averaging; m = b1 m + d; p -= lr * m",
                    "torch_optimizer.NovoGrad (Ginsburg et al. 2019); two passes: the norm, then the update"},
    [O_ADAFACTOR] = {"Adafactor: a factored second moment (row and column means) for matrices, relative step and update clipping",
                     "v = b2t v + (1 - b2t)(g^2 + eps[1]), b2t = 1 - t^decay_rate (a matrix: r, c means, v = r c / mean(r)); u = g / sqrt(v) / max(1, RMS(u) / clip_threshold) * max(eps[2], RMS(p)) * min(lr > 0 ? lr : 1e-2, 1 / sqrt(t)); m = b1 m + (1 - b1) u; p -= weight_decay * lr_eff * p + u",
                     "transformers.Adafactor (HF; Shazeer & Stern 2018), keras.optimizers.Adafactor; passes: a vector 2, a matrix 3"},
};

/* Defaults that are not a number, in words. */
static const struct {
    int optim, kind;
    const char *param, *text;
} default_texts[] = {
    {0, K_CYCLIC, "step_size_down", "step_size_up"},
    {0, K_PLATEAU, "lr", "none: wraps a schedule"},
    {1, O_PRODIGY, "beta3", "sqrt(betas[2]) (any value < 0)"},
    {0, K_COOLDOWN, "value", "the plan's value at `at`"},
    {0, K_REWARM, "value", "the plan's value at `at`"},
    {0, K_SWA, "lr", "none: wraps a schedule"},
    {0, K_CYCLIC_MOMENTUM, "step_size_down", "step_size_up"},
};

/* The kind's id in names (NULL-terminated), or -1. */
static int find_kind(const char *const *names, const char *kind)
{
    for (int i = 0; kind && names[i]; i++)
        if (!strcmp(names[i], kind)) return i;
    return -1;
}

static int unknown_kind(lre_error *err, const char *what, const char *kind, const char *const *names)
{
    return lre_error_unknown(err, NULL, what, kind ? kind : "(null)", names);
}

int lre_schedule_describe(const char *kind, lre_kind_info *info, lre_error *err)
{
    int id = find_kind(lre__kind_names, kind);
    if (id < 0) return unknown_kind(err, "schedule kind", kind, lre__kind_names);
    const lre_kind_def *d = &lre__kinds[id];
    *info = (lre_kind_info){d->name, schedule_docs[id].summary, schedule_docs[id].formula, schedule_docs[id].peers,
                            lre__kind_nspec(d), d->min_children, d->max_children == LRE_MANY ? SIZE_MAX : d->max_children};
    return LRE_OK;
}

static size_t optim_nparams(int id)
{
    size_t n = 0;
    while (lre__optim_param(id, n)) n++;
    return n;
}

int lre_optim_describe(const char *kind, lre_kind_info *info, lre_error *err)
{
    int id = find_kind(lre_optim_kinds(), kind);
    if (id < 0) return unknown_kind(err, "optimizer", kind, lre_optim_kinds());
    *info = (lre_kind_info){lre__optim_name(id), optim_docs[id].summary, optim_docs[id].formula, optim_docs[id].peers,
                            optim_nparams(id), 0, 0};
    return LRE_OK;
}

static void fill_param(int optim, int kind, const lre_pspec *ps, lre_param_info *info)
{
    unsigned f = ps->flags;
    memset(info, 0, sizeof *info);
    info->name = ps->name;
    info->type = (f & LRE_P_LIST)     ? LRE_PARAM_LIST
                 : (f & LRE_P_CHOICE) ? LRE_PARAM_CHOICE
                 : (f & LRE_P_BOOL)   ? LRE_PARAM_BOOLEAN
                 : (f & LRE_P_INT)    ? LRE_PARAM_INTEGER
                                      : LRE_PARAM_NUMBER;
    info->whole = (f & LRE_P_INT) != 0;
    info->required = (f & LRE_P_REQUIRED) != 0;
    info->schedulable = optim && !(f & LRE_P_FIXED);
    info->def = ps->def;
    info->lo = ps->lo;
    info->hi = ps->hi;
    info->lo_open = (f & LRE_P_LO_OPEN) != 0;
    info->hi_open = (f & LRE_P_HI_OPEN) != 0;
    info->finite = (f & LRE_P_FINITE) != 0;
    info->duration = (f & LRE_P_DUR) != 0;
    info->choices = ps->choices;
    info->pair = (f & LRE_P_PAIR) != 0;
    if (info->type == LRE_PARAM_CHOICE) { /* stored as an index into the choices: named */
        const char *c = ps->choices;
        for (int k = (int)ps->def; k > 0 && c; k--) c = strchr(c, '|') ? strchr(c, '|') + 1 : NULL;
        if (c) snprintf(info->default_text, sizeof info->default_text, "%.*s", (int)strcspn(c, "|"), c);
        info->def = NAN;
    }
    for (size_t i = 0; i < sizeof default_texts / sizeof default_texts[0]; i++)
        if (default_texts[i].optim == optim && default_texts[i].kind == kind && !strcmp(default_texts[i].param, ps->name))
            snprintf(info->default_text, sizeof info->default_text, "%s", default_texts[i].text);
}

int lre_schedule_param_info(const char *kind, size_t i, lre_param_info *info)
{
    int id = find_kind(lre__kind_names, kind);
    if (id < 0 || i >= lre__kind_nspec(&lre__kinds[id])) return LRE_EINVAL;
    fill_param(0, id, &lre__kinds[id].spec[i], info);
    return LRE_OK;
}

int lre_optim_param_info(const char *kind, size_t i, lre_param_info *info)
{
    int id = find_kind(lre_optim_kinds(), kind);
    const lre_pspec *ps = id < 0 ? NULL : lre__optim_param(id, i);
    if (!ps) return LRE_EINVAL;
    fill_param(1, id, ps, info);
    return LRE_OK;
}

/* The same words as the constructors' messages (params.c): "in [0, 1)",
 * ">= 0", "a whole number > 0". */
int lre_param_range_text(const lre_param_info *p, char *buf, size_t size)
{
    const char *whole = p->whole ? "a whole number " : "";
    if (p->type == LRE_PARAM_BOOLEAN) return snprintf(buf, size, "a boolean");
    if (p->type == LRE_PARAM_CHOICE) return snprintf(buf, size, "one of %s", p->choices);
    if (isinf(p->lo) && isinf(p->hi)) return snprintf(buf, size, "%s", p->finite ? "a finite number" : "a number");
    if (isinf(p->hi))
        return snprintf(buf, size, "%s%s %.17g", whole, p->lo_open ? ">" : ">=", p->lo);
    if (isinf(p->lo))
        return snprintf(buf, size, "%s%s %.17g", whole, p->hi_open ? "<" : "<=", p->hi);
    return snprintf(buf, size, "%sin %c%.17g, %.17g%c", whole, p->lo_open ? '(' : '[', p->lo, p->hi,
                    p->hi_open ? ')' : ']');
}

/* ---- "did you mean" ---- */

/* Edit distance of a and b with adjacent transpositions counted as one edit
 * (optimal string alignment), ignoring case, capped at 9. */
static int distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 62 || m > 62) return 9;
    int d[64][64];
    for (size_t i = 0; i <= n; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        for (size_t j = 1; j <= m; j++) {
            int same = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]);
            int best = d[i - 1][j - 1] + !same;
            if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == tolower((unsigned char)b[j - 1]) && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[n][m] < 9 ? d[n][m] : 9;
}

const char *lre_suggest(const char *name, const char *const *names)
{
    if (!name || !names) return NULL;
    const char *best = NULL;
    /* close: at most 2 edits, and fewer edits than the name has characters */
    int bestd = 3, len = (int)strlen(name);
    for (const char *const *n = names; *n; n++) {
        int d = distance(name, *n);
        if (d < bestd && d < len) bestd = d, best = *n;
    }
    return best;
}

int lre__error_unknown(lre_error *err, const char *who, const char *what, const char *name, const char *best,
                       const char *label, const char *const *names)
{
    char valid[LRE_ERRMSG_SIZE];
    size_t len = 0;
    valid[0] = 0;
    for (const char *const *n = names; n && *n && len < sizeof valid; n++)
        len += (size_t)snprintf(valid + len, sizeof valid - len, "%s%s", n == names ? "" : ", ", *n);
    const char *sep = who ? ": " : "";
    who = who ? who : "";
    name = name ? name : "(null)";
    if (best)
        return lre_error_set(err, LRE_EINVAL, "%s%sunknown %s '%s' (did you mean '%s'? %s: %s)", who, sep, what, name,
                             best, label, valid);
    return lre_error_set(err, LRE_EINVAL, "%s%sunknown %s '%s' (%s: %s)", who, sep, what, name, label, valid);
}

int lre_error_unknown(lre_error *err, const char *who, const char *what, const char *name, const char *const *names)
{
    return lre__error_unknown(err, who, what, name, lre_suggest(name, names), "valid names", names);
}
