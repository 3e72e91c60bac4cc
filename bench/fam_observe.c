/* bench/fam_observe.c — MetricatedStage without a collector, with a counting
 * collector (go-fluxus's mockMetricsCollector), and with the built-in
 * Prometheus collector; ObserveCost: the cost per stage of each way of
 * observing (issue 5 item 6). */
#include <string.h>
#include <time.h>

#include <fluxus/otlp.h>
#include <fluxus/prometheus.h>

#include "bobserve.h"
#include "glue.h"
#include "work.h"

static const char IN[] = "benchmark";

/* ---------------------------------------------------------------- collectors */

static void on_pipeline_started(void *user, const fx_component *c)
{
    (void)c;
    ((work_counters *)user)->started++;
}

static void on_pipeline_completed(void *user, const fx_component *c, int64_t ns, int code)
{
    (void)c;
    (void)code;
    ((work_counters *)user)->completed++;
    ((work_counters *)user)->total_ns += ns;
}

static void on_stage_started(void *user, const fx_component *c)
{
    (void)c;
    ((work_counters *)user)->started++;
}

static void on_stage_completed(void *user, const fx_component *c, int64_t ns)
{
    (void)c;
    ((work_counters *)user)->completed++;
    ((work_counters *)user)->total_ns += ns;
}

static void on_stage_error(void *user, const fx_component *c, int64_t ns, int code)
{
    (void)c;
    (void)ns;
    (void)code;
    ((work_counters *)user)->errors++;
}

typedef struct obs_arg {
    int kind;   /* 0 none, 1 counting, 2 prometheus */
} obs_arg;

/* The collector of a way and the runtime configured with it (fluxus's and
 * the floor's alike). */
typedef struct obs_collector {
    work_counters counters;
    fx_metrics metrics;
    fx_prometheus *prom;
    fx_runtime *rt;   /* NULL: the default runtime */
} obs_collector;

/* 0, or -1 when kind 1 or 2 could not make its runtime. */
static int obs_collector_init(obs_collector *c, int kind)
{
    if (kind == 1) {
        c->metrics = (fx_metrics){
            .user = &c->counters,
            .pipeline_started = on_pipeline_started,
            .pipeline_completed = on_pipeline_completed,
            .stage_started = on_stage_started,
            .stage_completed = on_stage_completed,
            .stage_error = on_stage_error,
        };
        c->rt = fx_runtime_new(&(fx_runtime_config){.metrics = &c->metrics});
    } else if (kind == 2) {
        c->prom = fx_prometheus_new(NULL);
        if (c->prom != NULL)
            c->rt = fx_runtime_new(&(fx_runtime_config){.metrics = fx_prometheus_metrics(c->prom)});
    }
    return kind != 0 && c->rt == NULL ? -1 : 0;
}

static void obs_collector_free(obs_collector *c)
{
    fx_runtime_free(c->rt);
    fx_prometheus_free(c->prom);
}

typedef struct fx_obs_st {
    obs_collector col;
    bobserve_metricated *p;
    fx_ctx *ctx;
} fx_obs_st;

static void fx_obs_teardown(void *v)
{
    fx_obs_st *s = v;
    bobserve_metricated_free(s->p);
    fx_ctx_free(s->ctx);
    obs_collector_free(&s->col);
    free(s);
}

static void *fx_obs_setup(const void *arg)
{
    const obs_arg *a = arg;
    fx_obs_st *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->p = obs_collector_init(&s->col, a->kind) != 0 ? NULL : bobserve_metricated_new(s->col.rt);
    s->ctx = fx_ctx_new();
    if (s->p == NULL || s->ctx == NULL) {
        fx_obs_teardown(s);
        return NULL;
    }
    return s;
}

static int fx_obs_run(void *v, size_t n)
{
    fx_obs_st *s = v;
    for (size_t i = 0; i < n; i++) {
        const char *in = IN, *out = NULL;
        if (bobserve_metricated_process(s->p, s->ctx, &in, &out) != 0 || out[0] != 'B')
            return 1;
        if (i == 0 && strcmp(out, "BENCHMARK") != 0)
            return 1;
        fx_ctx_reset(s->ctx);
    }
    return 0;
}

/* ---------------------------------------------------------------- limits */

typedef struct limit_obs_st {
    bench_bump bump;
    work_counters counters;
    int kind;
} limit_obs_st;

static void *limit_obs_setup(const void *arg)
{
    limit_obs_st *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    bench_bump_init(&s->bump, 4096);
    s->kind = ((const obs_arg *)arg)->kind;
    return s;
}

static void limit_obs_teardown(void *v)
{
    limit_obs_st *s = v;
    bench_bump_free(&s->bump);
    free(s);
}

static int limit_obs_run(void *v, size_t n)
{
    limit_obs_st *s = v;
    for (size_t i = 0; i < n; i++) {
        const char *out =
            s->kind == 0 ? work_upper9(&s->bump, IN) : work_upper_metered(&s->counters, &s->bump, IN);
        if (out == NULL || out[0] != 'B')
            return 1;
        if (i == 0 && strcmp(out, "BENCHMARK") != 0)
            return 1;
        bench_bump_reset(&s->bump);
    }
    return 0;
}

/* ---------------------------------------------------------------- API floor */

/* bobserve_metricated_process without a collector, written by hand
 * (bench/harness.h): metrics() observes nothing, so it is the stage alone. */
static BENCH_FLOOR_FN int floor_obs_process(bench_floor_st *p, fx_ctx *ctx, const char *const *in, const char **out)
{
    if (p == NULL || ctx == NULL || in == NULL || out == NULL)
        return FX_EINVAL;
    if (fx_ctx_done(ctx))
        return fx_ctx_err(ctx);
    const char *result = NULL;   /* *out is written only on success */
    int rc = bobserve_upper(ctx, in, &result);
    if (rc == 0)
        *out = result;
    return rc;
}

static int floor_obs_run(void *v, size_t n)
{
    bench_floor_st *s = v;
    for (size_t i = 0; i < n; i++) {
        const char *in = IN, *out = NULL;
        if (floor_obs_process(s, s->ctx, &in, &out) != 0 || out[0] != 'B')
            return 1;
        if (i == 0 && strcmp(out, "BENCHMARK") != 0)
            return 1;
        fx_ctx_reset(s->ctx);
    }
    return 0;
}

/* bobserve_metricated_process on a runtime with a collector, written by
 * hand: what SPEC §5.6 makes the collector receive, for the pipeline and
 * for the stage that metrics() names, around the ctx check and the stage.
 * The collector is the runtime's (fx_runtime_config.metrics): the public
 * API gives an instance no way to reach its table or its tracer other than
 * fx_observe_*, so those are the floor's calls too, the same ones fluxc
 * emits. They are the lending pair (observe.h), the cheapest that honours
 * the contract: the pipeline's begin reads the clock and lends the start to
 * the stage, the stage's end reads it and lends the end back, so both are
 * timed with two clock reads. An instance on a runtime without one pays
 * the branch on `observed` and the stage alone. */
static const fx_component floor_metricated_components[] = {
    {"metricated", "metricated", "bobserve", FX_COMPONENT_PIPELINE},
    {"metricated", "benchmark_stage", "bobserve", FX_COMPONENT_STAGE},
};

typedef struct floor_metricated {
    obs_collector col;
    bool observed;   /* fx_runtime_observed(col.rt), read once at setup */
    fx_ctx *ctx;
} floor_metricated;

static void floor_metricated_teardown(void *v)
{
    floor_metricated *s = v;
    fx_ctx_free(s->ctx);
    obs_collector_free(&s->col);
    free(s);
}

static void *floor_metricated_setup(const void *arg)
{
    const obs_arg *a = arg;
    floor_metricated *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    if (obs_collector_init(&s->col, a->kind) != 0 || (s->ctx = fx_ctx_new()) == NULL) {
        floor_metricated_teardown(s);
        return NULL;
    }
    if (s->col.rt == NULL)
        s->col.rt = fx_runtime_default();   /* not freed: the default runtime is never freed */
    s->observed = fx_runtime_observed(s->col.rt);
    return s;
}

static BENCH_FLOOR_FN int floor_metricated_process(floor_metricated *p, fx_ctx *ctx, const char *const *in,
                                                   const char **out)
{
    if (p == NULL || ctx == NULL || in == NULL || out == NULL)
        return FX_EINVAL;
    const char *result = NULL;   /* *out is written only on success */
    int rc;
    if (!p->observed) {
        if (fx_ctx_done(ctx))
            return fx_ctx_err(ctx);
        rc = bobserve_upper(ctx, in, &result);
        if (rc == 0)
            *out = result;
        return rc;
    }
    fx_observation pipeline, stage;
    fx_observe_begin_lending(p->col.rt, ctx, &floor_metricated_components[0], &pipeline);
    if (fx_ctx_done(ctx)) {   /* the pipeline's events only: no stage ran */
        rc = fx_ctx_err(ctx);
    } else {
        fx_observe_begin(p->col.rt, ctx, &floor_metricated_components[1], &stage);
        rc = bobserve_upper(ctx, in, &result);
        fx_observe_end_lending(p->col.rt, ctx, &floor_metricated_components[1], &stage, rc);
    }
    if (rc == 0)
        *out = result;
    fx_observe_end(p->col.rt, ctx, &floor_metricated_components[0], &pipeline, rc);
    return rc;
}

static int floor_metricated_run(void *v, size_t n)
{
    floor_metricated *s = v;
    const work_counters before = s->col.counters;
    for (size_t i = 0; i < n; i++) {
        const char *in = IN, *out = NULL;
        if (floor_metricated_process(s, s->ctx, &in, &out) != 0 || out[0] != 'B')
            return 1;
        if (i == 0 && strcmp(out, "BENCHMARK") != 0)
            return 1;
        fx_ctx_reset(s->ctx);
    }
    /* the counting collector: a start and a completion each for the pipeline and the stage, per op */
    const work_counters *c = &s->col.counters;
    if (s->col.metrics.user != NULL &&
        (c->started - before.started != 2 * n || c->completed - before.completed != 2 * n || c->errors != 0))
        return 1;
    return 0;
}

static void register_observe_cost(void);

/* The runtime's collector is reachable only through fx_observe_*. */
#define METRICATED_FLOOR_NOTE                                                                          \
    "fx_observe_begin_lending (pipeline), ctx check, fx_observe_begin (stage), the stage, "            \
    "fx_observe_end_lending, result temp, fx_observe_end: the runtime calls fluxus makes, the only "    \
    "public way to the runtime's collector; fx_ctx_reset per op"

void bench_register_observe(void)
{
    static const obs_arg none = {0}, counting = {1}, prom = {2};
    bench_add(&(bench_case){
        .name = "MetricatedStage/without",
        .what = "metrics(uppercase \"benchmark\") on a runtime without a collector",
        .arg = &none,
        .fluxus = {fx_obs_setup, fx_obs_run, fx_obs_teardown},
        .limit = {limit_obs_setup, limit_obs_run, limit_obs_teardown},
        .floor = {bench_floor_setup, floor_obs_run, bench_floor_teardown},
        .limit_note = "a direct call",
        .floor_note = "ctx check, the stage (fx_alloc), result temp; fx_ctx_reset per op",
        .go_fluxus_ns = 28.4,
    });
    bench_add(&(bench_case){
        .name = "MetricatedStage/with",
        .what = "the same with a counting collector (go-fluxus's mock: counters and durations)",
        .arg = &counting,
        .fluxus = {fx_obs_setup, fx_obs_run, fx_obs_teardown},
        .limit = {limit_obs_setup, limit_obs_run, limit_obs_teardown},
        .floor = {floor_metricated_setup, floor_metricated_run, floor_metricated_teardown},
        .limit_note = "a direct call between two clock reads, then the counters",
        .floor_note = METRICATED_FLOOR_NOTE,
        .go_fluxus_ns = 104.1,
    });
    bench_add(&(bench_case){
        .name = "MetricatedStage/prometheus",
        .what = "the same with the built-in Prometheus collector (counters and histograms)",
        .arg = &prom,
        .fluxus = {fx_obs_setup, fx_obs_run, fx_obs_teardown},
        .limit = {limit_obs_setup, limit_obs_run, limit_obs_teardown},
        .floor = {floor_metricated_setup, floor_metricated_run, floor_metricated_teardown},
        .limit_note = "a direct call between two clock reads, then the counters",
        .floor_note = METRICATED_FLOOR_NOTE,
    });
    register_observe_cost();
}

/* ---------------------------------------------------------------- ObserveCost
 *
 * Issue 5 item 6: what observability costs per stage. Ten stages of x + 1
 * (observe.fx `costed`) with nothing configured, with a no-op collector
 * (every component callback set, each doing nothing: the cost of the
 * events themselves), with the built-in Prometheus collector, with a no-op
 * tracer (spans started and ended, nothing recorded), and with the OTLP
 * exporter writing to /dev/null (spans encoded and written by its
 * background thread). The limit of `off` is the ten calls bare; that of
 * the observed ways times the same eleven things by hand (each call, and
 * the whole, between two clock reads, durations and counts summed), so
 * fluxus/limit is what fluxus adds beyond the clock. (fluxus - off) / 11
 * is the cost per observed component (docs/OBSERVABILITY.md §6). The API
 * floor makes, by hand, the runtime calls that observing the eleven
 * components takes under the public API (below, floor_cost_process). */


enum { COST_OFF, COST_NOOP_METRICS, COST_PROMETHEUS, COST_NOOP_TRACER, COST_OTLP };

static void noop_started(void *user, const fx_component *c)
{
    (void)user;
    (void)c;
}

static void noop_pipeline_completed(void *user, const fx_component *c, int64_t ns, int code)
{
    (void)user;
    (void)c;
    (void)ns;
    (void)code;
}

static void noop_stage_completed(void *user, const fx_component *c, int64_t ns)
{
    (void)user;
    (void)c;
    (void)ns;
}

static const fx_metrics noop_metrics = {
    .pipeline_started = noop_started,
    .pipeline_completed = noop_pipeline_completed,
    .stage_started = noop_started,
    .stage_completed = noop_stage_completed,
    .stage_error = noop_pipeline_completed,
};

static char noop_span;   /* every span of the no-op tracer */

static void *noop_start_span(void *user, void *parent, const fx_component *c)
{
    (void)user;
    (void)parent;
    (void)c;
    return &noop_span;
}

static void noop_end_span(void *user, void *span)
{
    (void)user;
    (void)span;
}

static void noop_attr_double(void *user, void *span, const char *key, double value)
{
    (void)user;
    (void)span;
    (void)key;
    (void)value;
}

static const fx_tracer noop_tracer = {
    .start_span = noop_start_span,
    .end_span = noop_end_span,
    .set_attribute_double = noop_attr_double,
};

typedef struct cost_arg {
    int kind;
} cost_arg;

/* The observer of a way and the runtime configured with it (fluxus's and
 * the floor's alike, each its own). */
typedef struct cost_observer {
    fx_prometheus *prom;
    fx_otlp *otlp;
    fx_runtime *rt;   /* NULL: the default runtime (COST_OFF) */
} cost_observer;

/* 0, or -1 when an observed kind could not make its runtime. */
static int cost_observer_init(cost_observer *o, int kind)
{
    fx_runtime_config cfg = {0};
    switch (kind) {
    case COST_NOOP_METRICS:
        cfg.metrics = &noop_metrics;
        break;
    case COST_PROMETHEUS:
        o->prom = fx_prometheus_new(NULL);
        cfg.metrics = o->prom != NULL ? fx_prometheus_metrics(o->prom) : NULL;
        break;
    case COST_NOOP_TRACER:
        cfg.tracer = &noop_tracer;
        break;
    case COST_OTLP:
        o->otlp = fx_otlp_new(&(fx_otlp_config){.service_name = "bench", .file = "/dev/null"});
        cfg.tracer = o->otlp != NULL ? fx_otlp_tracer(o->otlp) : NULL;
        break;
    }
    bool configured = cfg.metrics != NULL || cfg.tracer != NULL;
    if (kind != COST_OFF && configured)
        o->rt = fx_runtime_new(&cfg);
    return kind != COST_OFF && o->rt == NULL ? -1 : 0;
}

static void cost_observer_free(cost_observer *o)
{
    fx_runtime_free(o->rt);
    fx_prometheus_free(o->prom);
    fx_otlp_free(o->otlp);
}

typedef struct fx_cost_st {
    cost_observer obs;
    bobserve_costed *p;
    fx_ctx *ctx;
} fx_cost_st;

static void fx_cost_teardown(void *v)
{
    fx_cost_st *s = v;
    bobserve_costed_free(s->p);
    fx_ctx_free(s->ctx);
    cost_observer_free(&s->obs);
    free(s);
}

static void *fx_cost_setup(const void *arg)
{
    const cost_arg *a = arg;
    fx_cost_st *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->p = cost_observer_init(&s->obs, a->kind) != 0 ? NULL : bobserve_costed_new(s->obs.rt);
    s->ctx = fx_ctx_new();
    if (s->p == NULL || s->ctx == NULL) {
        fx_cost_teardown(s);
        return NULL;
    }
    return s;
}

static int fx_cost_run(void *v, size_t n)
{
    fx_cost_st *s = v;
    for (size_t i = 0; i < n; i++) {
        int64_t in = (int64_t)i, out = 0;
        if (bobserve_costed_process(s->p, s->ctx, &in, &out) != 0 || out != in + 10)
            return 1;
    }
    return 0;
}

typedef struct limit_cost_st {
    work_counters counters;
    int kind;
} limit_cost_st;

static void *limit_cost_setup(const void *arg)
{
    limit_cost_st *s = calloc(1, sizeof *s);
    if (s != NULL)
        s->kind = ((const cost_arg *)arg)->kind;
    return s;
}

static inline int64_t cost_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The ten calls, each and all timed: a hand-written metered pipeline. */
static int64_t steps_metered(work_counters *c, int64_t x)
{
    int64_t t0 = cost_mono_ns();
    c->started++;
    for (int k = 0; k < 10; k++) {
        int64_t s = cost_mono_ns();
        c->started++;
        x = work_step(x);
        c->total_ns += cost_mono_ns() - s;
        c->completed++;
    }
    c->total_ns += cost_mono_ns() - t0;
    c->completed++;
    return x;
}

static int limit_cost_run(void *v, size_t n)
{
    limit_cost_st *s = v;
    for (size_t i = 0; i < n; i++) {
        int64_t x = (int64_t)i;
        if (s->kind == COST_OFF)
            for (int k = 0; k < 10; k++)
                x = work_step(x);
        else
            x = steps_metered(&s->counters, x);
        if (x != (int64_t)i + 10)
            return 1;
    }
    return 0;
}

/* The API floor of `costed`, written by hand (bench/harness.h). Off: the
 * ten stages in a row, a context check before each, each writing its own
 * temporary, the last zeroed because it is the result (ChainDepth/10's
 * floor with bobserve_step). */
static inline __attribute__((always_inline)) int floor_cost_chain(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    int64_t t[10];
    t[9] = 0;
    const int64_t *x = in;
    _Pragma("GCC unroll 16")
    for (int k = 0; k < 10; k++) {
        if (fx_ctx_done(ctx))
            return fx_ctx_err(ctx);
        int rc = bobserve_step(ctx, x, &t[k]);
        if (rc != 0)
            return rc;
        x = &t[k];
    }
    *out = t[9];
    return 0;
}

static BENCH_FLOOR_FN int floor_cost_off_process(bench_floor_st *p, fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    if (p == NULL || ctx == NULL || in == NULL || out == NULL)
        return FX_EINVAL;
    return floor_cost_chain(ctx, in, out);
}

static int floor_cost_off_run(void *v, size_t n)
{
    bench_floor_st *s = v;
    for (size_t i = 0; i < n; i++) {
        int64_t in = (int64_t)i, out = 0;
        if (floor_cost_off_process(s, s->ctx, &in, &out) != 0 || out != in + 10)
            return 1;
    }
    return 0;
}

/* Observed: what SPEC §5.6 makes the runtime's collector or tracer receive,
 * for the pipeline and for each of its ten stages (their events, their
 * spans nested in the pipeline's), around the context checks and the
 * stages. As for MetricatedStage, fx_observe_* are the only public way to
 * the runtime's collector and tracer, so they are the floor's calls too,
 * the same ones fluxc emits, and the cheapest pairing the contract allows:
 * the pipeline's begin lends its clock read to the first stage's begin,
 * the last stage's end lends its read to the pipeline's end (twenty clock
 * reads for eleven components, not twenty-two). A component per stage, as
 * each stage is one (Prometheus puts the ten in one series either way). */
static const fx_component floor_cost_components[] = {
    {"costed", "costed", "bobserve", FX_COMPONENT_PIPELINE},
    {"costed", "step", "bobserve", FX_COMPONENT_STAGE},
    {"costed", "step", "bobserve", FX_COMPONENT_STAGE},
    {"costed", "step", "bobserve", FX_COMPONENT_STAGE},
    {"costed", "step", "bobserve", FX_COMPONENT_STAGE},
    {"costed", "step", "bobserve", FX_COMPONENT_STAGE},
    {"costed", "step", "bobserve", FX_COMPONENT_STAGE},
    {"costed", "step", "bobserve", FX_COMPONENT_STAGE},
    {"costed", "step", "bobserve", FX_COMPONENT_STAGE},
    {"costed", "step", "bobserve", FX_COMPONENT_STAGE},
    {"costed", "step", "bobserve", FX_COMPONENT_STAGE},
};

typedef struct floor_cost {
    cost_observer obs;
    bool observed;   /* fx_runtime_observed(obs.rt), read once at setup */
    fx_ctx *ctx;
} floor_cost;

static void floor_cost_teardown(void *v)
{
    floor_cost *s = v;
    fx_ctx_free(s->ctx);
    cost_observer_free(&s->obs);
    free(s);
}

static void *floor_cost_setup(const void *arg)
{
    const cost_arg *a = arg;
    floor_cost *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    if (cost_observer_init(&s->obs, a->kind) != 0 || (s->ctx = fx_ctx_new()) == NULL) {
        floor_cost_teardown(s);
        return NULL;
    }
    s->observed = fx_runtime_observed(s->obs.rt);
    return s;
}

static BENCH_FLOOR_FN int floor_cost_process(floor_cost *p, fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    if (p == NULL || ctx == NULL || in == NULL || out == NULL)
        return FX_EINVAL;
    if (!p->observed)
        return floor_cost_chain(ctx, in, out);
    fx_runtime *rt = p->obs.rt;
    fx_observation pipeline;
    fx_observe_begin_lending(rt, ctx, &floor_cost_components[0], &pipeline);
    int64_t t[10];
    t[9] = 0;
    const int64_t *x = in;
    int rc = 0;
    _Pragma("GCC unroll 16")
    for (int k = 0; k < 10; k++) {
        if (fx_ctx_done(ctx)) {   /* no events for a stage that does not run */
            rc = fx_ctx_err(ctx);
            break;
        }
        fx_observation stage;
        fx_observe_begin(rt, ctx, &floor_cost_components[1 + k], &stage);
        rc = bobserve_step(ctx, x, &t[k]);
        if (k < 9)
            fx_observe_end(rt, ctx, &floor_cost_components[1 + k], &stage, rc);
        else
            fx_observe_end_lending(rt, ctx, &floor_cost_components[1 + k], &stage, rc);
        if (rc != 0)
            break;
        x = &t[k];
    }
    if (rc == 0)
        *out = t[9];
    fx_observe_end(rt, ctx, &floor_cost_components[0], &pipeline, rc);
    return rc;
}

static int floor_cost_run(void *v, size_t n)
{
    floor_cost *s = v;
    for (size_t i = 0; i < n; i++) {
        int64_t in = (int64_t)i, out = 0;
        if (floor_cost_process(s, s->ctx, &in, &out) != 0 || out != in + 10)
            return 1;
    }
    return 0;
}

#define COST_OFF_FLOOR_NOTE "10 × (ctx check, the stage through memory), unrolled, result temp"
/* The runtime's collector and tracer are reachable only through fx_observe_*. */
#define COST_FLOOR_NOTE                                                                             \
    "fx_observe_begin_lending (pipeline); 10 × (ctx check, fx_observe_begin, the stage through "     \
    "memory, fx_observe_end; the 10th's end fx_observe_end_lending), unrolled; result temp; "          \
    "fx_observe_end (pipeline): the runtime calls fluxus makes, the only public way to the runtime's "  \
    "collector and tracer"

static void register_observe_cost(void)
{
    static const struct {
        const char *name, *what;
        cost_arg arg;
    } ways[] = {
        {"ObserveCost/off", "ten stages of x + 1, observability not configured", {COST_OFF}},
        {"ObserveCost/noop-metrics", "the same with a collector whose callbacks do nothing", {COST_NOOP_METRICS}},
        {"ObserveCost/prometheus", "the same with the built-in Prometheus collector", {COST_PROMETHEUS}},
        {"ObserveCost/noop-tracer", "the same with a tracer that starts and ends spans, records nothing", {COST_NOOP_TRACER}},
        {"ObserveCost/otlp", "the same with the OTLP exporter writing to /dev/null", {COST_OTLP}},
    };
    for (size_t i = 0; i < sizeof ways / sizeof ways[0]; i++)
        bench_add(&(bench_case){
            .name = ways[i].name,
            .what = ways[i].what,
            .arg = &ways[i].arg,
            .fluxus = {fx_cost_setup, fx_cost_run, fx_cost_teardown},
            .limit = {limit_cost_setup, limit_cost_run, free},
            .floor = ways[i].arg.kind == COST_OFF
                         ? (bench_impl){bench_floor_setup, floor_cost_off_run, bench_floor_teardown}
                         : (bench_impl){floor_cost_setup, floor_cost_run, floor_cost_teardown},
            .limit_note = ways[i].arg.kind == COST_OFF
                              ? "ten direct calls, nothing observed"
                              : "ten direct calls, each and the whole between two clock reads, counters summed",
            .floor_note = ways[i].arg.kind == COST_OFF ? COST_OFF_FLOOR_NOTE : COST_FLOOR_NOTE,
        });
}
