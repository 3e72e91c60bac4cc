/* fluxus/resilience.h — the stateful objects behind retry, circuit_breaker
 * and rate_limit (SPEC §2.4, §5.3, §5.4). See docs/RESILIENCE.md.
 *
 * A pipeline instance creates one object per combinator in M_P_new and
 * frees it in M_P_free; `... as NAME` gives run-time access to it through
 * the generated accessor M_P_NAME(p). The objects can also be used on their
 * own, without fluxc.
 *
 * Ownership: each _new result is freed by the caller with its _free, after
 * every call on it has returned. The clock, runtime and component a config
 * points to are borrowed and must outlive the object.
 *
 * Threads: every function here may be called from any thread at any time,
 * concurrently with calls on the same object (except _free). Time is read
 * from the object's clock only, so all behaviour is exact on a fake clock.
 *
 * Events: when the config names a runtime whose observability is on
 * (fx_runtime_observed), breakers report FX_EVENT_BREAKER_STATE on every
 * transition and limiters FX_EVENT_LIMITER_WAIT / FX_EVENT_LIMITER_REJECT,
 * with the config's component, on the thread that causes them, through
 * fx_observe_event with the caller's ctx (so the event lands on the span
 * current there: in generated code, the combinator's own). They are only
 * looked at on a transition, a wait or a reject: the closed breaker and
 * the limiter's immediate token pay nothing for them. */
#ifndef FLUXUS_RESILIENCE_H
#define FLUXUS_RESILIENCE_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <fluxus/clock.h>
#include <fluxus/ctx.h>
#include <fluxus/error.h>
#include <fluxus/observe.h>
#include <fluxus/runtime.h>

/* ================================================================ retry */

typedef enum fx_backoff_kind {
    FX_BACKOFF_NONE,            /* retry at once */
    FX_BACKOFF_CONSTANT,        /* base_ns after every failed try */
    FX_BACKOFF_EXPONENTIAL,     /* min(base_ns * factor^k, max_ns), then jitter */
    FX_BACKOFF_FUNCTION         /* fn(k) */
} fx_backoff_kind;

/* The wait after failed try k (0-based; there is no wait after the last). */
typedef struct fx_backoff {
    fx_backoff_kind kind;
    int64_t base_ns;            /* CONSTANT: the wait; EXPONENTIAL: the wait after try 0 */
    double factor;              /* EXPONENTIAL: growth per try, >= 1 (< 1 is taken as 1) */
    int64_t max_ns;             /* EXPONENTIAL: cap before jitter; <= 0 = no cap */
    double jitter;              /* EXPONENTIAL: 0..1; the wait d becomes d * (1 + jitter * (2u - 1)), u in [0, 1) */
    int64_t (*fn)(int attempt); /* FUNCTION: nanoseconds (negative = 0); must be thread-safe */
} fx_backoff;

/* Default number of tries of `retry` when `attempts:` is not given. */
#define FX_RETRY_DEFAULT_ATTEMPTS 3
/* Default factor of exponential() when `factor:` is not given. */
#define FX_RETRY_DEFAULT_FACTOR 2.0

typedef struct fx_retry fx_retry;

/* A retry policy: a copy of *b and a jitter generator seeded with seed
 * (splitmix64; the n-th draw since the last seeding depends only on seed
 * and n). NULL on OOM or when b is NULL. */
fx_retry *fx_retry_new(const fx_backoff *b, uint64_t seed);

/* Frees r. NULL: no-op. */
void fx_retry_free(fx_retry *r);

/* Restarts r's jitter generator from seed: the waits that follow are the
 * same as those of a new fx_retry with that seed. */
void fx_retry_set_seed(fx_retry *r, uint64_t seed);

/* The wait in nanoseconds after failed try `attempt` (0-based), >= 0. With
 * jitter it takes the generator's next draw (atomically: concurrent callers
 * each get their own draw). */
int64_t fx_retry_backoff(fx_retry *r, int attempt);

/* ================================================================ circuit breaker */

typedef enum { FX_CIRCUIT_CLOSED, FX_CIRCUIT_OPEN, FX_CIRCUIT_HALF_OPEN } fx_circuit_state;

/* "closed", "open", "half-open" (go-fluxus's names: the value of the span
 * attribute fluxus.circuit_breaker.state); "unknown" for anything else.
 * Static text; pure. */
const char *fx_circuit_state_name(fx_circuit_state s);

typedef struct fx_circuit_breaker fx_circuit_breaker;

/* Defaults fluxc uses for options that are not written. */
#define FX_CIRCUIT_DEFAULT_FAILURES 5
#define FX_CIRCUIT_DEFAULT_RESET_NS ((int64_t)30 * 1000000000)
#define FX_CIRCUIT_DEFAULT_SUCCESSES 1
#define FX_CIRCUIT_DEFAULT_HALF_OPEN 1
#define FX_CIRCUIT_DEFAULT_FAILURE_RATE 0.5
#define FX_CIRCUIT_DEFAULT_MIN_CALLS 10
#define FX_CIRCUIT_DEFAULT_WINDOW_NS ((int64_t)60 * 1000000000)   /* slow_rate without window */
/* The rolling window is this many buckets of window_ns / FX_CIRCUIT_BUCKETS. */
#define FX_CIRCUIT_BUCKETS 10

typedef struct fx_circuit_breaker_config {
    int failures;               /* consecutive failures that open it (closed state); 0 = rule off */
    int64_t reset_ns;           /* open -> half-open on the first call this long after opening (>= 0) */
    int successes;              /* consecutive half-open successes that close it (>= 1) */
    int half_open;              /* half-open calls admitted in flight at once (>= 1) */
    int64_t window_ns;          /* > 0: rolling window for the rate rules; 0 = none */
    double failure_rate;        /* 0..1: open when failed/calls in the window >= this; < 0 = rule off */
    int min_calls;              /* calls the window needs before a rate rule can open it */
    int64_t slow_call_ns;       /* > 0: a call this long or longer is slow */
    double slow_rate;           /* 0..1: open when slow/calls in the window >= this; < 0 = slow
                                   calls count as failures instead */
    const fx_clock *clock;      /* NULL = the real clock */
    fx_runtime *rt;             /* events go to it; NULL = no events */
    const fx_component *component;   /* the component events name; NULL = no events */
} fx_circuit_breaker_config;

/* A closed breaker with a copy of *cfg (values out of range are clamped:
 * successes and half_open to >= 1, reset_ns to >= 0). NULL on OOM or when
 * cfg is NULL. */
fx_circuit_breaker *fx_circuit_breaker_new(const fx_circuit_breaker_config *cfg);

/* Frees cb. No call may be inside it. NULL: no-op. */
void fx_circuit_breaker_free(fx_circuit_breaker *cb);

/* The current state. An open breaker whose reset time has passed still reads
 * FX_CIRCUIT_OPEN: the next call moves it to half-open (SPEC §5.4). */
fx_circuit_state fx_circuit_breaker_state(const fx_circuit_breaker *cb);

/* Closes cb and clears every count (also ends a force_open). Calls in flight
 * when it happens are not counted when they end. */
void fx_circuit_breaker_reset(fx_circuit_breaker *cb);

/* Opens cb and holds it open, rejecting every call, until
 * fx_circuit_breaker_reset (the reset timeout does not apply). */
void fx_circuit_breaker_force_open(fx_circuit_breaker *cb);

/* One call through a breaker, for code that wraps its own work (fluxc's
 * output does this): fx_circuit_breaker_enter, then, only when it returned
 * 0, the work, then fx_circuit_breaker_exit with the work's result. The
 * call struct lives on the caller's stack in between. */
typedef struct fx_circuit_call {
    uint64_t word;              /* private: the breaker's state word when it admitted the call */
    bool half_open;             /* private; set only by an admission out of line */
    int64_t start_ns;           /* private; likewise */
} fx_circuit_call;

/* 0 when the call may run, FX_ECIRCUIT_OPEN when it is rejected (nothing to
 * exit then). ctx (may be NULL) is only used for events. Lock-free while
 * the breaker is closed and has no window; inline (one atomic load, one
 * test, one store into *call) while it is closed and has no slow-call
 * rule. */
#ifndef __cplusplus
inline int fx_circuit_breaker_enter(fx_circuit_breaker *cb, fx_ctx *ctx, fx_circuit_call *call);
#else
int fx_circuit_breaker_enter(fx_circuit_breaker *cb, fx_ctx *ctx, fx_circuit_call *call);
#endif

/* Ends an admitted call with its result rc: 0 is a success; FX_ECANCELED
 * and FX_EFILTERED count as neither; every other code is a failure. A call
 * whose breaker changed state since it entered only frees its half-open
 * slot. Inline and store-free for a success while the breaker is closed
 * with no failure to clear and has no window or slow-call rule (one atomic
 * load, one test), as a hand-written breaker. */
#ifndef __cplusplus
inline void fx_circuit_breaker_exit(fx_circuit_breaker *cb, fx_ctx *ctx, const fx_circuit_call *call, int rc);
#else
void fx_circuit_breaker_exit(fx_circuit_breaker *cb, fx_ctx *ctx, const fx_circuit_call *call, int rc);
#endif

/* ================================================================ rate limiter */

typedef struct fx_rate_limiter fx_rate_limiter;

/* The rate of `rate: inf`: no limit. */
#define FX_RATE_INF INFINITY
/* Default burst of rate_limit when `burst:` is not given. */
#define FX_RATE_DEFAULT_BURST 1
/* `wait:` not given: a call waits as long as its token takes (bounded only by its context). */
#define FX_RATE_WAIT_FOREVER INT64_MAX

typedef struct fx_rate_limiter_config {
    double rate;                /* tokens per second; INFINITY = unlimited; < 0 or NaN = 0 */
    int burst;                  /* bucket size (>= 0; < 0 = 0); the bucket starts full */
    const fx_clock *clock;      /* NULL = the real clock */
    fx_runtime *rt;             /* events go to it; NULL = no events */
    const fx_component *component;   /* the component events name; NULL = no events */
} fx_rate_limiter_config;

/* A token bucket with a copy of *cfg, full. NULL on OOM or when cfg is NULL. */
fx_rate_limiter *fx_rate_limiter_new(const fx_rate_limiter_config *cfg);

/* Frees rl. No call may be waiting in it. NULL: no-op. */
void fx_rate_limiter_free(fx_rate_limiter *rl);

/* Takes a token for one call, waiting for it in line (first come, first
 * served) on the limiter's clock for at most wait_ns (FX_RATE_WAIT_FOREVER:
 * no bound). Returns
 *   0                  a token was taken; *waited_ns (may be NULL) = time waited;
 *   FX_ERATE_LIMITED   at once when the token cannot come within wait_ns at
 *                      the current rate (burst 0, rate 0 with an empty
 *                      bucket, or a later token), or later when a rate or
 *                      burst change pushes it beyond;
 *   fx_ctx_err(ctx)    ctx is done (at once, no token spent), or became
 *                      done while waiting (its place in line is given back
 *                      to those behind it);
 *   FX_EINVAL          ctx is NULL; FX_ENOMEM when the wait's child context
 *                      cannot be made.
 * Rate inf: 0 at once, inline, no lock. A rate or burst change wakes every
 * waiter and re-plans the line at the new rate. */
#ifndef __cplusplus
inline int fx_rate_limiter_acquire(fx_rate_limiter *rl, fx_ctx *ctx, int64_t wait_ns, int64_t *waited_ns);
#else
int fx_rate_limiter_acquire(fx_rate_limiter *rl, fx_ctx *ctx, int64_t wait_ns, int64_t *waited_ns);
#endif

/* Sets the rate (tokens per second; INFINITY = unlimited; < 0 or NaN = 0).
 * Tokens earned so far at the old rate are kept; going from unlimited to a
 * finite rate starts with a full bucket. Waiters are re-planned. */
void fx_rate_limiter_set_rate(fx_rate_limiter *rl, double per_second);

/* Sets the bucket size (< 0 = 0). Tokens above the new size are dropped;
 * growing it adds none. Burst 0 admits nothing (unless the rate is inf):
 * waiters are rejected. */
void fx_rate_limiter_set_burst(fx_rate_limiter *rl, int burst);

/* Takes a token if one is there now (and nobody waits ahead), never waits. */
bool fx_rate_limiter_allow(fx_rate_limiter *rl);

/* The current rate and burst. */
double fx_rate_limiter_rate(const fx_rate_limiter *rl);
int fx_rate_limiter_burst(const fx_rate_limiter *rl);

/* ================================================================ dead-letter queue */

/* The default `when` of dlq: true for every error except FX_ECANCELED,
 * FX_EDEADLINE, FX_ECIRCUIT_OPEN, FX_EFILTERED and FX_ENOROUTE (err's own
 * code; causes are not looked at). err NULL -> false. Pure; any thread. */
bool fx_dlq_default_when(const fx_error *err);

/* ================================================================ private: the inline fast paths
 *
 * Not API. A breaker and a limiter start with these heads (the rest of each
 * struct is private to libfluxus); the inline functions above read them and
 * call the out-of-line fx__*_slow for everything but the common case. */
#ifndef __cplusplus
#include <stdatomic.h>

/* The breaker's state word. Bits 0-1: the state; bit 2: the breaker has a
 * window or a slow-call rule (immutable, in every value the word takes);
 * bits 3-30: the generation, bumped by every transition (wraps); bit 31:
 * zero; bits 32-63: the closed state's consecutive failures. So "closed,
 * no rule but the consecutive one" is (word & 7) == 0, and "... with no
 * failure to clear" is (word & FX__CB_BUSY) == 0, every bit but the
 * generation's: one test each, with a 32-bit immediate. */
#define FX__CB_STATE 3u
#define FX__CB_RULES 4u
#define FX__CB_FAST_MASK (FX__CB_STATE | FX__CB_RULES)
#define FX__CB_GEN_BITS 0x0FFFFFFFu
#define FX__CB_BUSY (~((uint64_t)FX__CB_GEN_BITS << 3))

struct fx__breaker_head {
    _Atomic uint64_t word;      /* fails << 32 | generation << 3 | rules << 2 | state */
};

struct fx__limiter_head {
    atomic_bool unlimited;      /* rate inf */
};

int  fx__circuit_breaker_enter_slow(fx_circuit_breaker *cb, fx_ctx *ctx, fx_circuit_call *call);
void fx__circuit_breaker_exit_slow(fx_circuit_breaker *cb, fx_ctx *ctx, const fx_circuit_call *call, int rc);
int  fx__rate_limiter_acquire_slow(fx_rate_limiter *rl, fx_ctx *ctx, int64_t wait_ns, int64_t *waited_ns);

/* The inline half of fx_circuit_breaker_enter: true when cb is closed and
 * rule-free, and then *call is filled (the word says all exit needs: its
 * generation); false when only the full enter can tell. Generated code
 * that wants its own out-of-line path for the rest uses it directly. */
inline bool fx__circuit_breaker_admit(const fx_circuit_breaker *cb, fx_circuit_call *call)
{
    const struct fx__breaker_head *h = (const struct fx__breaker_head *)(const void *)cb;
    uint64_t w = atomic_load_explicit(&h->word, memory_order_acquire);
    call->word = w;
    return (w & FX__CB_FAST_MASK) == FX_CIRCUIT_CLOSED;
}

inline int fx_circuit_breaker_enter(fx_circuit_breaker *cb, fx_ctx *ctx, fx_circuit_call *call)
{
    if (FX_LIKELY(fx__circuit_breaker_admit(cb, call)))
        return 0;
    return fx__circuit_breaker_enter_slow(cb, ctx, call);
}

inline void fx_circuit_breaker_exit(fx_circuit_breaker *cb, fx_ctx *ctx, const fx_circuit_call *call, int rc)
{
    const struct fx__breaker_head *h = (const struct fx__breaker_head *)(const void *)cb;
    /* A success while the breaker is closed, rule-free, with no failure
     * count to clear changes nothing, however the call was admitted: a
     * half-open call's generation has ended when the state reads closed. */
    if (FX_LIKELY(rc == 0 && (atomic_load_explicit(&h->word, memory_order_acquire) & FX__CB_BUSY) == 0))
        return;
    fx__circuit_breaker_exit_slow(cb, ctx, call, rc);
}

/* The inline half of fx_rate_limiter_acquire: true when rl's rate is inf
 * now (a call takes no token and never waits). */
inline bool fx__rate_limiter_unlimited(const fx_rate_limiter *rl)
{
    const struct fx__limiter_head *h = (const struct fx__limiter_head *)(const void *)rl;
    return atomic_load_explicit(&h->unlimited, memory_order_acquire);
}

inline int fx_rate_limiter_acquire(fx_rate_limiter *rl, fx_ctx *ctx, int64_t wait_ns, int64_t *waited_ns)
{
    if (FX_LIKELY(fx__rate_limiter_unlimited(rl))) {
        if (waited_ns != NULL) *waited_ns = 0;
        return 0;
    }
    return fx__rate_limiter_acquire_slow(rl, ctx, wait_ns, waited_ns);
}
#endif

#endif /* FLUXUS_RESILIENCE_H */
