/* runtime.c — fx_runtime: configuration shared by pipeline instances, and
 * the process-wide default runtime. */
#include "internal.h"

#include <stdlib.h>
#include <unistd.h>

struct fx_runtime {
    fx__runtime_obs obs;               /* first: read inline by fx_runtime_observed, fx_observe_* */
    int threads;
    int64_t spin_ns;                   /* the scheduler's busy-wait before sleeping */
    bool is_default;
    fx__sched sched;                   /* the worker pool (sched.c) */
};

/* The external definition of the inline function in observe.h. */
extern inline bool fx_runtime_observed(const fx_runtime *rt);

const char *fx_version(void) { return FX_VERSION_STRING; }

static int cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 4096 ? 4096 : (int)n;
}

static void runtime_init(fx_runtime *rt, const fx_runtime_config *cfg)
{
    fx_runtime_config def = { 0 };
    if (cfg == NULL) cfg = &def;
    rt->threads = cfg->threads > 0 ? cfg->threads : cpu_count();
    if (cfg->spin_us < 0) rt->spin_ns = 0;
    else if (cfg->spin_us > 0) rt->spin_ns = (int64_t)cfg->spin_us * 1000;
    else rt->spin_ns = cpu_count() > 1 ? FX__SPIN_DEFAULT_NS : 0;
    rt->obs.clock = cfg->clock != NULL ? cfg->clock : fx_clock_real();
    rt->obs.metrics = cfg->metrics;
    rt->obs.tracer = cfg->tracer;
    rt->obs.head.observed = cfg->metrics != NULL || cfg->tracer != NULL;
    rt->is_default = false;
}

fx_runtime *fx_runtime_new(const fx_runtime_config *cfg)
{
    if (cfg != NULL && cfg->threads < 0) return NULL;
    fx_runtime *rt = malloc(sizeof *rt);
    if (rt == NULL) return NULL;
    runtime_init(rt, cfg);
    fx__sched_init(&rt->sched, rt->threads, false, rt->spin_ns);
    return rt;
}

static fx_runtime default_runtime;
static pthread_once_t default_once = PTHREAD_ONCE_INIT;

static void default_init(void)
{
    runtime_init(&default_runtime, NULL);
    default_runtime.is_default = true;
    fx__sched_init(&default_runtime.sched, default_runtime.threads, true,
                   default_runtime.spin_ns);
}

fx_runtime *fx_runtime_default(void)
{
    FX__MUST(pthread_once(&default_once, default_init));
    return &default_runtime;
}

void fx_runtime_free(fx_runtime *rt)
{
    if (rt == NULL || rt->is_default) return;
    fx__sched_destroy(&rt->sched);
    free(rt);
}

int fx_runtime_threads(const fx_runtime *rt) { return rt->threads; }

const fx_clock *fx_runtime_clock(const fx_runtime *rt) { return rt->obs.clock; }

fx__sched *fx__runtime_sched(fx_runtime *rt) { return &rt->sched; }
