/* bench/fam_observe.c — MetricatedStage without a collector, with a counting
 * collector (go-fluxus's mockMetricsCollector), and with the built-in
 * Prometheus collector. */
#include <string.h>

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

typedef struct fx_obs_st {
    work_counters counters;
    fx_metrics metrics;
    fx_prometheus *prom;
    fx_runtime *rt;   /* NULL: the default runtime */
    bobserve_metricated *p;
    fx_ctx *ctx;
} fx_obs_st;

static void fx_obs_teardown(void *v)
{
    fx_obs_st *s = v;
    bobserve_metricated_free(s->p);
    fx_ctx_free(s->ctx);
    fx_runtime_free(s->rt);
    fx_prometheus_free(s->prom);
    free(s);
}

static void *fx_obs_setup(const void *arg)
{
    const obs_arg *a = arg;
    fx_obs_st *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    if (a->kind == 1) {
        s->metrics = (fx_metrics){
            .user = &s->counters,
            .pipeline_started = on_pipeline_started,
            .pipeline_completed = on_pipeline_completed,
            .stage_started = on_stage_started,
            .stage_completed = on_stage_completed,
            .stage_error = on_stage_error,
        };
        s->rt = fx_runtime_new(&(fx_runtime_config){.metrics = &s->metrics});
    } else if (a->kind == 2) {
        s->prom = fx_prometheus_new(NULL);
        if (s->prom != NULL)
            s->rt = fx_runtime_new(&(fx_runtime_config){.metrics = fx_prometheus_metrics(s->prom)});
    }
    s->p = a->kind != 0 && s->rt == NULL ? NULL : bobserve_metricated_new(s->rt);
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

void bench_register_observe(void)
{
    static const obs_arg none = {0}, counting = {1}, prom = {2};
    bench_add(&(bench_case){
        .name = "MetricatedStage/without",
        .what = "metrics(uppercase \"benchmark\") on a runtime without a collector",
        .arg = &none,
        .fluxus = {fx_obs_setup, fx_obs_run, fx_obs_teardown},
        .limit = {limit_obs_setup, limit_obs_run, limit_obs_teardown},
        .limit_note = "a direct call",
        .go_fluxus_ns = 28.4,
    });
    bench_add(&(bench_case){
        .name = "MetricatedStage/with",
        .what = "the same with a counting collector (go-fluxus's mock: counters and durations)",
        .arg = &counting,
        .fluxus = {fx_obs_setup, fx_obs_run, fx_obs_teardown},
        .limit = {limit_obs_setup, limit_obs_run, limit_obs_teardown},
        .limit_note = "a direct call between two clock reads, then the counters",
        .go_fluxus_ns = 104.1,
    });
    bench_add(&(bench_case){
        .name = "MetricatedStage/prometheus",
        .what = "the same with the built-in Prometheus collector (counters and histograms)",
        .arg = &prom,
        .fluxus = {fx_obs_setup, fx_obs_run, fx_obs_teardown},
        .limit = {limit_obs_setup, limit_obs_run, limit_obs_teardown},
        .limit_note = "a direct call between two clock reads, then the counters",
    });
}
