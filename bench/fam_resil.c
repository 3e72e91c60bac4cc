/* bench/fam_resil.c — Retry, CircuitBreaker, RateLimiter. */
#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "bresil.h"
#include "glue.h"
#include "work.h"

static const char IN[] = "test";

/* ---------------------------------------------------------------- Retry */

typedef struct fx_retry_st {
    struct bench_flaky flaky;
    bresil_retried *p;
    fx_ctx *ctx;
} fx_retry_st;

static void *fx_retry_setup(const void *arg)
{
    (void)arg;
    fx_retry_st *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->p = bresil_retried_new(NULL, &(bresil_retried_state){.flaky = &s->flaky});
    s->ctx = fx_ctx_new();
    if (s->p == NULL || s->ctx == NULL) {
        bresil_retried_free(s->p);
        fx_ctx_free(s->ctx);
        free(s);
        return NULL;
    }
    return s;
}

static void fx_retry_teardown(void *v)
{
    fx_retry_st *s = v;
    bresil_retried_free(s->p);
    fx_ctx_free(s->ctx);
    free(s);
}

static int fx_retry_run(void *v, size_t n)
{
    fx_retry_st *s = v;
    for (size_t i = 0; i < n; i++) {
        const char *in = IN, *out = NULL;
        s->flaky.calls = 0;   /* go-fluxus makes a fresh stage per op: two failures, then success */
        if (bresil_retried_process(s->p, s->ctx, &in, &out) != 0 || s->flaky.calls != 3 || out[5] != 's')
            return 1;
        fx_ctx_reset(s->ctx);
    }
    return 0;
}

typedef struct limit_retry_st {
    bench_bump bump;
    struct bench_flaky flaky;
} limit_retry_st;

static void *limit_retry_setup(const void *arg)
{
    (void)arg;
    limit_retry_st *s = calloc(1, sizeof *s);
    if (s != NULL)
        bench_bump_init(&s->bump, 4096);
    return s;
}

static void limit_retry_teardown(void *v)
{
    limit_retry_st *s = v;
    bench_bump_free(&s->bump);
    free(s);
}

static int limit_retry_run(void *v, size_t n)
{
    limit_retry_st *s = v;
    for (size_t i = 0; i < n; i++) {
        const char *out = NULL;
        int rc = 1;
        s->flaky.calls = 0;
        for (int attempt = 0; attempt < 3 && rc != 0; attempt++)
            rc = work_flaky(&s->flaky, &s->bump, IN, &out);
        if (rc != 0 || out[5] != 's')
            return 1;
        bench_bump_reset(&s->bump);
    }
    return 0;
}

/* ---------------------------------------------------------------- CircuitBreaker, RateLimiter */

BENCH_PIPE(bresil, guarded, NULL)
BENCH_PIPE(bresil, limited, NULL)

static int fx_guarded_run(void *v, size_t n)
{
    bresil_guarded_st *s = v;
    for (size_t i = 0; i < n; i++) {
        const char *in = IN, *out = NULL;
        if (bresil_guarded_process(s->p, s->ctx, &in, &out) != 0 || out != IN)
            return 1;
    }
    return 0;
}

static int fx_limited_run(void *v, size_t n)
{
    bresil_limited_st *s = v;
    for (size_t i = 0; i < n; i++) {
        const char *in = IN, *out = NULL;
        if (bresil_limited_process(s->p, s->ctx, &in, &out) != 0 || out != IN)
            return 1;
    }
    return 0;
}

static void *limit_breaker_setup(const void *arg)
{
    (void)arg;
    return work_breaker_new(5);
}

static void limit_breaker_teardown(void *v) { work_breaker_free(v); }

static int limit_breaker_run(void *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *out = NULL;
        if (work_breaker_call(v, IN, &out) != 0 || out != IN)
            return 1;
    }
    return 0;
}

static void *limit_limiter_setup(const void *arg)
{
    (void)arg;
    return work_limiter_new(INFINITY);
}

static void limit_limiter_teardown(void *v) { work_limiter_free(v); }

static int limit_limiter_run(void *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *out = NULL;
        if (work_limiter_call(v, IN, &out) != 0 || out != IN)
            return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- API floors
 *
 * bresil_*_process written by hand (bench/harness.h): the retry loop, the
 * breaker's closed path and the limiter's infinite-rate check inside the
 * process function, around the same stage functions fluxus calls. */

/* The floors' state, which is also their instance (the `p` their process
 * functions take): one struct for the three cases. */
typedef struct floor_resil {
    fx_ctx *ctx;                /* the runner's context, reset per op where fluxus's is */
    struct bench_flaky flaky;   /* Retry: the stage's state */
    atomic_int open;            /* CircuitBreaker: 0 closed */
    atomic_int failures;        /* consecutive */
    int threshold;
    _Atomic double rate;        /* RateLimiter: tokens per second, INFINITY = never waits */
} floor_resil;

static void *floor_resil_setup(const void *arg)
{
    (void)arg;
    floor_resil *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->ctx = fx_ctx_new();
    if (s->ctx == NULL) {
        free(s);
        return NULL;
    }
    s->threshold = 5;
    atomic_init(&s->rate, INFINITY);
    return s;
}

static void floor_resil_teardown(void *v)
{
    floor_resil *s = v;
    fx_ctx_free(s->ctx);
    free(s);
}

static BENCH_FLOOR_FN int floor_retry_process(floor_resil *p, fx_ctx *ctx, const char *const *in, const char **out)
{
    if (p == NULL || ctx == NULL || in == NULL || out == NULL)
        return FX_EINVAL;
    for (int attempt = 0; attempt < 3; attempt++) {
        if (fx_ctx_done(ctx))
            return fx_ctx_err(ctx);
        const char *result = NULL;
        if (bresil_flaky(ctx, &p->flaky, in, &result) == 0) {
            *out = result;
            return 0;
        }
    }
    return FX_ERETRY_EXHAUSTED;
}

static int floor_retry_run(void *v, size_t n)
{
    floor_resil *s = v;
    for (size_t i = 0; i < n; i++) {
        const char *in = IN, *out = NULL;
        s->flaky.calls = 0;
        if (floor_retry_process(s, s->ctx, &in, &out) != 0 || s->flaky.calls != 3 || out[5] != 's')
            return 1;
        fx_ctx_reset(s->ctx);
    }
    return 0;
}

/* The limit's closed path (work_breaker_call), around bresil_pass. */
static BENCH_FLOOR_FN int floor_guarded_process(floor_resil *p, fx_ctx *ctx, const char *const *in, const char **out)
{
    if (p == NULL || ctx == NULL || in == NULL || out == NULL)
        return FX_EINVAL;
    if (atomic_load_explicit(&p->open, memory_order_acquire))
        return FX_ECIRCUIT_OPEN;
    if (fx_ctx_done(ctx))
        return fx_ctx_err(ctx);
    const char *result = NULL;
    int rc = bresil_pass(ctx, in, &result);
    if (rc == 0) {
        if (atomic_load_explicit(&p->failures, memory_order_relaxed) != 0)
            atomic_store_explicit(&p->failures, 0, memory_order_relaxed);
        *out = result;
    } else if (atomic_fetch_add_explicit(&p->failures, 1, memory_order_acq_rel) + 1 >= p->threshold) {
        atomic_store_explicit(&p->open, 1, memory_order_release);
    }
    return rc;
}

static int floor_guarded_run(void *v, size_t n)
{
    floor_resil *s = v;
    for (size_t i = 0; i < n; i++) {
        const char *in = IN, *out = NULL;
        if (floor_guarded_process(s, s->ctx, &in, &out) != 0 || out != IN)
            return 1;
    }
    return 0;
}

/* The limit's check (work_limiter_call), around bresil_pass. */
static BENCH_FLOOR_FN int floor_limited_process(floor_resil *p, fx_ctx *ctx, const char *const *in, const char **out)
{
    if (p == NULL || ctx == NULL || in == NULL || out == NULL)
        return FX_EINVAL;
    if (!isinf(atomic_load_explicit(&p->rate, memory_order_relaxed)))
        return FX_ERATE_LIMITED;   /* the finite path is not part of this benchmark */
    if (fx_ctx_done(ctx))
        return fx_ctx_err(ctx);
    const char *result = NULL;
    int rc = bresil_pass(ctx, in, &result);
    if (rc == 0)
        *out = result;
    return rc;
}

static int floor_limited_run(void *v, size_t n)
{
    floor_resil *s = v;
    for (size_t i = 0; i < n; i++) {
        const char *in = IN, *out = NULL;
        if (floor_limited_process(s, s->ctx, &in, &out) != 0 || out != IN)
            return 1;
    }
    return 0;
}

#define FLOOR(RUN) {floor_resil_setup, RUN, floor_resil_teardown}

void bench_register_resil(void)
{
    bench_add(&(bench_case){
        .name = "Retry",
        .what = "retry(attempts: 3, backoff: constant(0ms)) of a stage that fails twice, then succeeds",
        .fluxus = {fx_retry_setup, fx_retry_run, fx_retry_teardown},
        .limit = {limit_retry_setup, limit_retry_run, limit_retry_teardown},
        .floor = FLOOR(floor_retry_run),
        .limit_note = "a for loop of up to 3 direct calls",
        .floor_note = "a for loop of up to 3 × (ctx check, the stage), result temp; fx_ctx_reset per op",
        .go_fluxus_ns = 150.9,
    });
    bench_add(&(bench_case){
        .name = "CircuitBreaker",
        .what = "circuit_breaker(failures: 5, reset: 1s) around a pass-through stage, closed",
        .fluxus = {bresil_guarded_setup, fx_guarded_run, bresil_guarded_teardown},
        .limit = {limit_breaker_setup, limit_breaker_run, limit_breaker_teardown},
        .floor = FLOOR(floor_guarded_run),
        .limit_note = "hand-written lock-free closed path: an atomic state load, the call, a failure-count check",
        .floor_note = "the limit's closed path in the process function, ctx check, the stage, result temp",
        .go_fluxus_ns = 154.6,
    });
    bench_add(&(bench_case){
        .name = "RateLimiter",
        .what = "rate_limit(rate: inf, burst: 1) around a pass-through stage",
        .fluxus = {bresil_limited_setup, fx_limited_run, bresil_limited_teardown},
        .limit = {limit_limiter_setup, limit_limiter_run, limit_limiter_teardown},
        .floor = FLOOR(floor_limited_run),
        .limit_note = "an atomic load of the rate, isinf, the call",
        .floor_note = "the limit's rate check in the process function, ctx check, the stage, result temp",
        .go_fluxus_ns = 576.5,
    });
}
