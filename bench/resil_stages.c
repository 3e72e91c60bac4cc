/* bench/resil_stages.c — the stages of resil.fx and the same work, with a
 * hand-written retry loop, breaker and limiter, for the limit. */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "bresil.h"
#include "work.h"

/* ---------------------------------------------------------------- the work */

static inline char *success_into(char *d, const char *in, size_t n)
{
    memcpy(d, in, n);
    memcpy(d + n, "-success", sizeof "-success");
    return d;
}

static inline int pass_impl(const char *in, const char **out)
{
    *out = in;
    return 0;
}

int work_flaky(struct bench_flaky *st, bench_bump *b, const char *in, const char **out)
{
    if (++st->calls % 3 != 0)
        return 1;
    size_t n = strlen(in);
    char *d = bench_bump_alloc(b, n + sizeof "-success");
    if (d == NULL)
        return 2;
    *out = success_into(d, in, n);
    return 0;
}

struct work_breaker {
    atomic_int open;       /* 0 closed */
    atomic_int failures;   /* consecutive */
    int threshold;
};

work_breaker *work_breaker_new(int failures)
{
    work_breaker *b = calloc(1, sizeof *b);
    if (b != NULL)
        b->threshold = failures;
    return b;
}

void work_breaker_free(work_breaker *b) { free(b); }

int work_breaker_call(work_breaker *b, const char *in, const char **out)
{
    if (atomic_load_explicit(&b->open, memory_order_acquire))
        return -1;
    int rc = pass_impl(in, out);
    if (rc == 0) {
        if (atomic_load_explicit(&b->failures, memory_order_relaxed) != 0)
            atomic_store_explicit(&b->failures, 0, memory_order_relaxed);
    } else if (atomic_fetch_add_explicit(&b->failures, 1, memory_order_acq_rel) + 1 >= b->threshold) {
        atomic_store_explicit(&b->open, 1, memory_order_release);
    }
    return rc;
}

struct work_limiter {
    _Atomic double rate;   /* tokens per second; INFINITY = never waits */
};

work_limiter *work_limiter_new(double rate)
{
    work_limiter *l = calloc(1, sizeof *l);
    if (l != NULL)
        atomic_init(&l->rate, rate);
    return l;
}

void work_limiter_free(work_limiter *l) { free(l); }

int work_limiter_call(work_limiter *l, const char *in, const char **out)
{
    if (!isinf(atomic_load_explicit(&l->rate, memory_order_relaxed)))
        return -1;   /* the finite path is not part of this benchmark */
    return pass_impl(in, out);
}

/* ---------------------------------------------------------------- fluxus stages */

int bresil_flaky(fx_ctx *ctx, struct bench_flaky *st, const char *const *in, const char **out)
{
    if (++st->calls % 3 != 0)
        return 1;
    size_t n = strlen(*in);
    char *d = fx_alloc(ctx, n + sizeof "-success");
    if (d == NULL)
        return FX_ENOMEM;
    *out = success_into(d, *in, n);
    return 0;
}

int bresil_pass(fx_ctx *ctx, const char *const *in, const char **out)
{
    (void)ctx;
    return pass_impl(*in, out);
}
