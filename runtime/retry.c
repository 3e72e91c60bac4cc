/* retry.c — fx_retry: the backoff policy of a retry combinator and its
 * jitter generator (SPEC §2.4, §5.4; docs/RESILIENCE.md).
 *
 * The generator is splitmix64 over an atomic draw counter: draw n after
 * seeding with s is mix(s + (n + 1) * golden), so the sequence is a pure
 * function of the seed and concurrent callers never share a draw. */
#include "internal.h"

#include <stdlib.h>

struct fx_retry {
    fx_backoff backoff;                 /* immutable */
    _Atomic uint64_t seed;              /* written by fx_retry_set_seed */
    _Atomic uint64_t draws;             /* draws since the last seeding */
};

#define GOLDEN 0x9E3779B97F4A7C15u

static uint64_t splitmix64(uint64_t x)
{
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9u;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBu;
    return x ^ (x >> 31);
}

fx_retry *fx_retry_new(const fx_backoff *b, uint64_t seed)
{
    if (b == NULL) return NULL;
    fx_retry *r = malloc(sizeof *r);
    if (r == NULL) return NULL;
    r->backoff = *b;
    atomic_init(&r->seed, seed);
    atomic_init(&r->draws, 0);
    return r;
}

void fx_retry_free(fx_retry *r) { free(r); }

void fx_retry_set_seed(fx_retry *r, uint64_t seed)
{
    atomic_store(&r->seed, seed);
    atomic_store(&r->draws, 0);
}

/* A uniform double in [0, 1): the generator's next draw. */
static double next_unit(fx_retry *r)
{
    uint64_t n = atomic_fetch_add(&r->draws, 1);
    uint64_t x = splitmix64(atomic_load(&r->seed) + (n + 1) * GOLDEN);
    return (double)(x >> 11) * 0x1.0p-53;
}

static int64_t clamp_ns(double d)
{
    if (!(d > 0)) return 0;                       /* also NaN */
    if (d >= 9.2e18) return INT64_MAX;
    return (int64_t)(d + 0.5);
}

static int64_t exponential(fx_retry *r, int attempt)
{
    const fx_backoff *b = &r->backoff;
    double factor = b->factor < 1.0 ? 1.0 : b->factor;
    double cap = b->max_ns > 0 ? (double)b->max_ns : 9.2e18;
    double d = (double)b->base_ns;
    for (int k = 0; factor > 1.0 && k < attempt && d < cap; k++)   /* no libm; stops at the cap */
        d *= factor;
    if (d > cap) d = cap;
    double j = b->jitter < 0 ? 0 : b->jitter > 1 ? 1 : b->jitter;
    if (j > 0) d += d * j * (2.0 * next_unit(r) - 1.0);
    return clamp_ns(d);
}

int64_t fx_retry_backoff(fx_retry *r, int attempt)
{
    const fx_backoff *b = &r->backoff;
    switch (b->kind) {
    case FX_BACKOFF_CONSTANT: return b->base_ns > 0 ? b->base_ns : 0;
    case FX_BACKOFF_EXPONENTIAL: return exponential(r, attempt);
    case FX_BACKOFF_FUNCTION: {
        int64_t d = b->fn != NULL ? b->fn(attempt) : 0;
        return d > 0 ? d : 0;
    }
    case FX_BACKOFF_NONE:
    default: return 0;
    }
}
