/* breaker.c — fx_circuit_breaker: go-fluxus's state machine (consecutive
 * failures, reset timeout, half-open admission limit, success threshold)
 * plus failure-rate and slow-call rules over a rolling, time-bucketed
 * window, and run-time control (SPEC §5.3, §5.4; docs/RESILIENCE.md).
 *
 * Concurrency. One atomic word holds the state, whether a window or
 * slow-call rule is on, a generation (bumped by every transition) and the
 * closed state's consecutive-failure count:
 *   - a closed breaker admits a call with one atomic load (inline, and one
 *     test of the word, when no rule is on);
 *   - without a window, ending a closed call is one load, plus a CAS only
 *     when the failure count changes: no lock on the closed path;
 *   - everything else (transitions, half-open slots, the window) is under
 *     mu; an open breaker still inside its reset time rejects lock-free.
 * A call remembers the word, so the generation, it entered in; when it ends in another
 * generation (the breaker moved meanwhile) its result is not counted, so
 * counts always belong to the state they were made in. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* The state word (resilience.h): fails << 32 | gen << 3 | rules << 2 | state. */
#define GEN_MASK FX__CB_GEN_BITS
#define W_FAILS(w) ((uint32_t)((w) >> 32))
#define W_STATE(w) ((fx_circuit_state)((w) & FX__CB_STATE))
#define W_GEN(w) ((uint32_t)((w) >> 3) & GEN_MASK)
#define W_RULES(w) ((w) & FX__CB_RULES)
/* A new value of the word w: the rules bit is immutable, so it is carried over. */
#define W_NEXT(w, gen, st, fails) \
    (((uint64_t)(uint32_t)(fails) << 32) | (((uint64_t)(gen) & GEN_MASK) << 3) | W_RULES(w) | (uint64_t)(st))

typedef struct bucket {
    int64_t epoch;                      /* time / bucket_ns of the slice it counts */
    int calls, failures, slow;
} bucket;

struct fx_circuit_breaker {
    struct fx__breaker_head head;       /* first (resilience.h): head.word is consecutive
                                           failures | gen | rules | state, stored under mu,
                                           CAS'd lock-free for the failure count only */
    _Atomic int64_t opened_at;          /* clock time of the last move to open; written under mu */
    atomic_bool forced;                 /* held open by force_open; written under mu */
    pthread_mutex_t mu;
    int in_flight;                      /* mu: half-open calls admitted and not ended */
    int successes;                      /* mu: consecutive half-open successes */
    bucket win[FX_CIRCUIT_BUCKETS];     /* mu */
    bool windowed;                      /* immutable: a rate rule is on */
    int64_t bucket_ns;                  /* immutable */
    fx_circuit_breaker_config cfg;      /* immutable */
};

/* A transition made under mu, reported after it is released. */
typedef struct transition {
    bool happened;
    fx_circuit_state from, to;
} transition;

static int64_t now_of(const fx_circuit_breaker *cb) { return fx_clock_now(cb->cfg.clock); }

fx_circuit_breaker *fx_circuit_breaker_new(const fx_circuit_breaker_config *cfg)
{
    if (cfg == NULL) return NULL;
    fx_circuit_breaker *cb = calloc(1, sizeof *cb);
    if (cb == NULL) return NULL;
    cb->cfg = *cfg;
    fx_circuit_breaker_config *c = &cb->cfg;
    if (c->successes < 1) c->successes = 1;
    if (c->half_open < 1) c->half_open = 1;
    if (c->reset_ns < 0) c->reset_ns = 0;
    if (c->min_calls < 1) c->min_calls = 1;
    if (c->failure_rate > 1) c->failure_rate = 1;
    if (c->slow_rate > 1) c->slow_rate = 1;
    if (c->slow_call_ns <= 0) c->slow_rate = -1;
    cb->windowed = c->failure_rate >= 0 || c->slow_rate >= 0;
    if (cb->windowed && c->window_ns <= 0) c->window_ns = FX_CIRCUIT_DEFAULT_WINDOW_NS;
    cb->bucket_ns = c->window_ns / FX_CIRCUIT_BUCKETS > 0 ? c->window_ns / FX_CIRCUIT_BUCKETS : 1;
    bool rules = cb->windowed || c->slow_call_ns > 0;
    atomic_init(&cb->head.word, rules ? FX__CB_RULES : 0);   /* closed, generation 0, no failures */
    atomic_init(&cb->opened_at, 0);
    atomic_init(&cb->forced, false);
    FX__MUST(pthread_mutex_init(&cb->mu, NULL));
    for (size_t i = 0; i < FX_CIRCUIT_BUCKETS; i++) cb->win[i].epoch = INT64_MIN;
    return cb;
}

void fx_circuit_breaker_free(fx_circuit_breaker *cb)
{
    if (cb == NULL) return;
    FX__MUST(pthread_mutex_destroy(&cb->mu));
    free(cb);
}

const char *fx_circuit_state_name(fx_circuit_state s)
{
    switch (s) {
    case FX_CIRCUIT_CLOSED: return "closed";
    case FX_CIRCUIT_OPEN: return "open";
    case FX_CIRCUIT_HALF_OPEN: return "half-open";
    default: return "unknown";
    }
}

fx_circuit_state fx_circuit_breaker_state(const fx_circuit_breaker *cb)
{
    return W_STATE(atomic_load_explicit(&cb->head.word, memory_order_acquire));
}

/* mu held: moves to `to` in a new generation with every count cleared. */
static void set_state_locked(fx_circuit_breaker *cb, fx_circuit_state to, transition *t)
{
    uint64_t w = atomic_load_explicit(&cb->head.word, memory_order_relaxed);
    if (to == FX_CIRCUIT_OPEN) atomic_store_explicit(&cb->opened_at, now_of(cb), memory_order_relaxed);
    atomic_store_explicit(&cb->head.word, W_NEXT(w, W_GEN(w) + 1, to, 0), memory_order_release);
    cb->in_flight = 0;
    cb->successes = 0;
    for (size_t i = 0; i < FX_CIRCUIT_BUCKETS; i++) cb->win[i] = (bucket){ .epoch = INT64_MIN };
    if (W_STATE(w) != to) {
        if (!t->happened) t->from = W_STATE(w);
        t->happened = true;
        t->to = to;
    }
}

static void report(fx_circuit_breaker *cb, fx_ctx *ctx, const transition *t)
{
    if (!t->happened || t->from == t->to) return;
    fx_runtime *rt = cb->cfg.rt;
    if (rt == NULL || cb->cfg.component == NULL || !fx_runtime_observed(rt)) return;
    fx_event ev = { .kind = FX_EVENT_BREAKER_STATE, .component = cb->cfg.component,
                    .value = t->to, .index = (int)t->from, .code = 0 };
    fx_observe_event(rt, ctx, &ev);
}

/* An open breaker stays closed to calls: forced, or inside its reset time. */
static bool open_holds(const fx_circuit_breaker *cb, int64_t now)
{
    if (atomic_load_explicit(&cb->forced, memory_order_acquire)) return true;
    int64_t opened = atomic_load_explicit(&cb->opened_at, memory_order_relaxed);
    return now - opened < cb->cfg.reset_ns;
}

/* The external definitions of the inline functions in resilience.h. */
extern inline bool fx__circuit_breaker_admit(const fx_circuit_breaker *cb, fx_circuit_call *call);
extern inline int fx_circuit_breaker_enter(fx_circuit_breaker *cb, fx_ctx *ctx, fx_circuit_call *call);
extern inline void fx_circuit_breaker_exit(fx_circuit_breaker *cb, fx_ctx *ctx, const fx_circuit_call *call,
                                           int rc);

int fx__circuit_breaker_enter_slow(fx_circuit_breaker *cb, fx_ctx *ctx, fx_circuit_call *call)
{
    uint64_t w = atomic_load_explicit(&cb->head.word, memory_order_acquire);
    int64_t now = cb->cfg.slow_call_ns > 0 || W_STATE(w) != FX_CIRCUIT_CLOSED ? now_of(cb) : 0;
    *call = (fx_circuit_call){ .word = w, .half_open = false, .start_ns = now };
    if (W_STATE(w) == FX_CIRCUIT_CLOSED) return 0;
    if (W_STATE(w) == FX_CIRCUIT_OPEN && open_holds(cb, now)) return FX_ECIRCUIT_OPEN;

    transition t = { 0 };
    int rc = FX_ECIRCUIT_OPEN;
    FX__MUST(pthread_mutex_lock(&cb->mu));
    w = atomic_load_explicit(&cb->head.word, memory_order_relaxed);
    if (W_STATE(w) == FX_CIRCUIT_OPEN && !open_holds(cb, now)) {
        set_state_locked(cb, FX_CIRCUIT_HALF_OPEN, &t);   /* the first call after reset */
        w = atomic_load_explicit(&cb->head.word, memory_order_relaxed);
    }
    switch (W_STATE(w)) {
    case FX_CIRCUIT_CLOSED:            /* reset meanwhile */
        call->word = w;
        rc = 0;
        break;
    case FX_CIRCUIT_HALF_OPEN:
        if (cb->in_flight < cb->cfg.half_open) {
            cb->in_flight++;
            call->word = w;
            call->half_open = true;
            rc = 0;
        }
        break;
    case FX_CIRCUIT_OPEN:
        break;
    }
    FX__MUST(pthread_mutex_unlock(&cb->mu));
    report(cb, ctx, &t);
    return rc;
}

/* Floor division, for clocks that read negative. */
static int64_t epoch_of(int64_t now, int64_t len)
{
    return now >= 0 ? now / len : -((-(now + 1)) / len) - 1;
}

/* mu held: counts one closed call in the window; true when a rate rule
 * says open. */
static bool window_record_locked(fx_circuit_breaker *cb, int64_t now, bool failed, bool slow)
{
    const fx_circuit_breaker_config *c = &cb->cfg;
    int64_t e = epoch_of(now, cb->bucket_ns);
    bucket *b = &cb->win[((e % FX_CIRCUIT_BUCKETS) + FX_CIRCUIT_BUCKETS) % FX_CIRCUIT_BUCKETS];
    if (b->epoch != e) *b = (bucket){ .epoch = e };
    b->calls++;
    b->failures += failed;
    b->slow += slow;

    long calls = 0, failures = 0, slows = 0;
    for (size_t i = 0; i < FX_CIRCUIT_BUCKETS; i++) {
        const bucket *x = &cb->win[i];
        if (x->epoch != INT64_MIN && x->epoch <= e && x->epoch > e - FX_CIRCUIT_BUCKETS) {
            calls += x->calls;
            failures += x->failures;
            slows += x->slow;
        }
    }
    if (calls < c->min_calls) return false;
    const double eps = 1e-9;
    if (c->failure_rate >= 0 && failures > 0 && (double)failures >= c->failure_rate * (double)calls - eps)
        return true;
    if (c->slow_rate >= 0 && slows > 0 && (double)slows >= c->slow_rate * (double)calls - eps)
        return true;
    return false;
}

/* A closed call ended, no window: the lock-free consecutive-failure count. */
static void exit_closed_consecutive(fx_circuit_breaker *cb, fx_ctx *ctx, uint32_t gen, bool failed)
{
    uint64_t w = atomic_load_explicit(&cb->head.word, memory_order_acquire);
    for (;;) {
        if (W_GEN(w) != gen || W_STATE(w) != FX_CIRCUIT_CLOSED) return;
        uint32_t fails = W_FAILS(w);
        if (!failed) {
            if (fails == 0) return;    /* the common case: no write at all */
            if (atomic_compare_exchange_weak(&cb->head.word, &w, W_NEXT(w, gen, FX_CIRCUIT_CLOSED, 0))) return;
            continue;
        }
        if (cb->cfg.failures <= 0) return;
        if (fails + 1 >= (uint32_t)cb->cfg.failures) break;
        if (atomic_compare_exchange_weak(&cb->head.word, &w, W_NEXT(w, gen, FX_CIRCUIT_CLOSED, fails + 1))) return;
    }
    transition t = { 0 };
    FX__MUST(pthread_mutex_lock(&cb->mu));
    w = atomic_load_explicit(&cb->head.word, memory_order_relaxed);
    if (W_GEN(w) == gen && W_STATE(w) == FX_CIRCUIT_CLOSED) set_state_locked(cb, FX_CIRCUIT_OPEN, &t);
    FX__MUST(pthread_mutex_unlock(&cb->mu));
    report(cb, ctx, &t);
}

void fx__circuit_breaker_exit_slow(fx_circuit_breaker *cb, fx_ctx *ctx, const fx_circuit_call *call, int rc)
{
    const fx_circuit_breaker_config *c = &cb->cfg;
    /* Admitted inline (closed, no rules: only the word was written) or out
     * of line (the other fields too). A breaker with a rule never admits
     * inline, so start_ns is set whenever it is read. */
    bool half_open = (call->word & FX__CB_FAST_MASK) != FX_CIRCUIT_CLOSED && call->half_open;
    uint32_t gen = W_GEN(call->word);
    bool ignored = rc == FX_ECANCELED || rc == FX_EFILTERED;
    int64_t now = c->slow_call_ns > 0 || cb->windowed ? now_of(cb) : 0;
    bool slow = c->slow_call_ns > 0 && now - call->start_ns >= c->slow_call_ns;
    bool failed = !ignored && (rc != 0 || (slow && c->slow_rate < 0));

    if (!half_open && !cb->windowed) {
        if (!ignored) exit_closed_consecutive(cb, ctx, gen, failed);
        return;
    }
    transition t = { 0 };
    FX__MUST(pthread_mutex_lock(&cb->mu));
    uint64_t w = atomic_load_explicit(&cb->head.word, memory_order_relaxed);
    if (W_GEN(w) != gen) {
        /* the breaker moved on: this result belongs to an older state */
    } else if (half_open) {
        cb->in_flight--;
        if (ignored) {
        } else if (failed) {
            set_state_locked(cb, FX_CIRCUIT_OPEN, &t);
        } else if (++cb->successes >= c->successes) {
            set_state_locked(cb, FX_CIRCUIT_CLOSED, &t);
        }
    } else if (!ignored && W_STATE(w) == FX_CIRCUIT_CLOSED) {
        bool open = window_record_locked(cb, now, failed, slow);
        if (c->failures > 0) {
            uint32_t fails = failed ? W_FAILS(w) + 1 : 0;
            open = open || (failed && fails >= (uint32_t)c->failures);
            atomic_store_explicit(&cb->head.word, W_NEXT(w, W_GEN(w), FX_CIRCUIT_CLOSED, fails), memory_order_release);
        }
        if (open) set_state_locked(cb, FX_CIRCUIT_OPEN, &t);
    }
    FX__MUST(pthread_mutex_unlock(&cb->mu));
    report(cb, ctx, &t);
}

void fx_circuit_breaker_reset(fx_circuit_breaker *cb)
{
    transition t = { 0 };
    FX__MUST(pthread_mutex_lock(&cb->mu));
    atomic_store_explicit(&cb->forced, false, memory_order_release);
    set_state_locked(cb, FX_CIRCUIT_CLOSED, &t);
    FX__MUST(pthread_mutex_unlock(&cb->mu));
    report(cb, NULL, &t);
}

void fx_circuit_breaker_force_open(fx_circuit_breaker *cb)
{
    transition t = { 0 };
    FX__MUST(pthread_mutex_lock(&cb->mu));
    atomic_store_explicit(&cb->forced, true, memory_order_release);
    set_state_locked(cb, FX_CIRCUIT_OPEN, &t);
    FX__MUST(pthread_mutex_unlock(&cb->mu));
    report(cb, NULL, &t);
}
