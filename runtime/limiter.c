/* limiter.c — fx_rate_limiter: a token bucket with a first-come,
 * first-served line of waiters (SPEC §5.3, §5.4; docs/RESILIENCE.md).
 *
 * The bucket holds `tokens` in nano-tokens (1e9 per token), so with a rate
 * of r tokens per second it earns r nano-tokens per nanosecond: for the
 * usual integral rates every amount is an integer and every wait exact.
 * A caller that cannot take a token at once *reserves* one: the balance
 * goes negative, and its token is due when the balance earned back to 0,
 * i.e. after ceil(-balance / rate) ns. Reservations are made in arrival
 * order, so the line is FIFO; a caller whose token would come after its
 * wait bound never reserves (it is rejected at once).
 *
 * A rate or burst change, or a waiter leaving early (its ctx done), re-plans
 * the line: every waiter's reservation is given back and made again at the
 * new rate, in line order; each waiter is woken to sleep to its new time (or
 * to leave, when its token no longer fits its bound). A waiter sleeps on a
 * child of its own ctx, so the limiter wakes it by cancelling that child.
 *
 * Lock: mu guards everything but `fast.unlimited`, which is also readable
 * lock-free (rate inf takes no lock). Lock order: mu, then a ctx tree. */
#include "internal.h"

#include <math.h>
#include <stdlib.h>

#define NANO 1e9

typedef struct lim_waiter {
    fx_ctx *wake;                       /* child of the caller's ctx; cancelled to wake it */
    int64_t deadline;                   /* latest acceptable token time (INT64_MAX: none) */
    int64_t ready_at;                   /* mu: when its reserved token is due */
    bool rejected;                      /* mu: set (and unlinked) when a re-plan drops it */
    bool linked;                        /* mu */
    struct lim_waiter *prev, *next;     /* mu: the line, oldest first */
} lim_waiter;

struct fx_rate_limiter {
    struct fx__limiter_head fast;       /* first (resilience.h): fast.unlimited = rate is inf;
                                           written under mu, read lock-free */
    pthread_mutex_t mu;
    double rate;                        /* tokens per second, >= 0 (finite when !unlimited) */
    int burst;
    double tokens;                      /* nano-tokens; negative = reserved by waiters */
    int64_t last;                       /* clock time tokens was brought up to */
    lim_waiter *head, *tail;
    size_t nwaiters;
    fx_rate_limiter_config cfg;         /* immutable: clock, rt, component */
};

static double clean_rate(double r) { return isnan(r) || r < 0 ? 0 : r; }

fx_rate_limiter *fx_rate_limiter_new(const fx_rate_limiter_config *cfg)
{
    if (cfg == NULL) return NULL;
    fx_rate_limiter *rl = calloc(1, sizeof *rl);
    if (rl == NULL) return NULL;
    rl->cfg = *cfg;
    FX__MUST(pthread_mutex_init(&rl->mu, NULL));
    double r = clean_rate(cfg->rate);
    atomic_init(&rl->fast.unlimited, isinf(r));
    rl->rate = isinf(r) ? 0 : r;
    rl->burst = cfg->burst < 0 ? 0 : cfg->burst;
    rl->tokens = (double)rl->burst * NANO;
    rl->last = fx_clock_now(cfg->clock);
    return rl;
}

void fx_rate_limiter_free(fx_rate_limiter *rl)
{
    if (rl == NULL) return;
    FX__MUST(pthread_mutex_destroy(&rl->mu));
    free(rl);
}

/* mu held: earn what the time since `last` is worth, up to a full bucket. */
static void refill_locked(fx_rate_limiter *rl, int64_t now)
{
    if (now > rl->last) {
        double full = (double)rl->burst * NANO;
        double t = rl->tokens + (double)(now - rl->last) * rl->rate;
        rl->tokens = t > full ? full : t;
        rl->last = now;
    }
}

/* mu held: reserves one token at `now`; returns when it is due, or -1 when
 * it would not come by `deadline` (nothing reserved then). */
static int64_t reserve_locked(fx_rate_limiter *rl, int64_t now, int64_t deadline)
{
    if (rl->burst == 0) return -1;     /* Go's x/time/rate: a zero burst allows nothing */
    double after = rl->tokens - NANO;
    if (after >= 0) {
        rl->tokens = after;
        return now;
    }
    if (rl->rate <= 0) return -1;      /* nothing will ever be earned */
    double exact = -after / rl->rate;          /* ns until the balance is back to 0 */
    if (exact > (double)(deadline - now)) return -1;
    int64_t wait = (int64_t)exact;
    if ((double)wait < exact) wait++;          /* ceil, without libm */
    if (wait > deadline - now) return -1;
    rl->tokens = after;
    return now + wait;
}

static void unlink_locked(fx_rate_limiter *rl, lim_waiter *w)
{
    if (w->prev != NULL) w->prev->next = w->next;
    else rl->head = w->next;
    if (w->next != NULL) w->next->prev = w->prev;
    else rl->tail = w->prev;
    w->prev = w->next = NULL;
    w->linked = false;
    rl->nwaiters--;
}

/* mu held: gives back the reservations of the line (and of `extra` waiters
 * just unlinked) and makes them again in line order at the current rate and
 * burst; every waiter is woken to look at its new plan. */
static void replan_locked(fx_rate_limiter *rl, int64_t now, size_t extra)
{
    refill_locked(rl, now);
    double full = (double)rl->burst * NANO;
    double t = rl->tokens + (double)(rl->nwaiters + extra) * NANO;
    rl->tokens = t > full ? full : t;
    bool unlimited = atomic_load_explicit(&rl->fast.unlimited, memory_order_relaxed);
    for (lim_waiter *w = rl->head, *next; w != NULL; w = next) {
        next = w->next;
        int64_t at = unlimited ? now : reserve_locked(rl, now, w->deadline);
        if (at < 0) {
            w->rejected = true;
            unlink_locked(rl, w);
        } else {
            w->ready_at = at;
        }
        fx_ctx_cancel(w->wake);
    }
}

static void report(fx_rate_limiter *rl, fx_ctx *ctx, fx_event_kind kind, int64_t value)
{
    fx_runtime *rt = rl->cfg.rt;
    if (rt == NULL || rl->cfg.component == NULL || !fx_runtime_observed(rt)) return;
    fx_event ev = { .kind = kind, .component = rl->cfg.component, .value = value, .index = -1,
                    .code = kind == FX_EVENT_LIMITER_REJECT ? FX_ERATE_LIMITED : 0 };
    fx_observe_event(rt, ctx, &ev);
}

/* mu held, w linked: waits in line until w's token is due. Returns with mu
 * held and w unlinked. */
static int wait_in_line(fx_rate_limiter *rl, fx_ctx *ctx, lim_waiter *w)
{
    for (;;) {
        if (w->rejected) return FX_ERATE_LIMITED;
        int64_t now = fx_clock_now(rl->cfg.clock);
        if (now >= w->ready_at) {
            unlink_locked(rl, w);
            return 0;
        }
        if (fx_ctx_done(w->wake)) {           /* woken by a re-plan: a fresh wake ctx */
            int err = fx_ctx_err(ctx);
            if (err == 0) {
                fx_ctx_free(w->wake);
                w->wake = fx_ctx_with_cancel(ctx);
                err = w->wake == NULL ? FX_ENOMEM : 0;
            }
            if (err != 0) {
                unlink_locked(rl, w);
                replan_locked(rl, now, 1);    /* those behind move up */
                return err;
            }
        }
        int64_t at = w->ready_at;
        FX__MUST(pthread_mutex_unlock(&rl->mu));
        (void)fx_clock_sleep_until(rl->cfg.clock, w->wake, at);   /* the loop sees why it ended */
        FX__MUST(pthread_mutex_lock(&rl->mu));
    }
}

/* The external definition of the inline function in resilience.h. */
extern inline bool fx__rate_limiter_unlimited(const fx_rate_limiter *rl);
extern inline int fx_rate_limiter_acquire(fx_rate_limiter *rl, fx_ctx *ctx, int64_t wait_ns, int64_t *waited_ns);

int fx__rate_limiter_acquire_slow(fx_rate_limiter *rl, fx_ctx *ctx, int64_t wait_ns, int64_t *waited_ns)
{
    if (waited_ns != NULL) *waited_ns = 0;
    if (atomic_load_explicit(&rl->fast.unlimited, memory_order_acquire)) return 0;
    if (ctx == NULL) return FX_EINVAL;
    if (fx_ctx_done(ctx)) return fx_ctx_err(ctx);   /* a dead call spends no token */
    FX__MUST(pthread_mutex_lock(&rl->mu));
    int64_t start = fx_clock_now(rl->cfg.clock);
    int rc;
    if (atomic_load_explicit(&rl->fast.unlimited, memory_order_relaxed)) {
        rc = 0;
    } else {
        refill_locked(rl, start);
        int64_t deadline = wait_ns < 0 ? start : fx__add_sat(start, wait_ns);
        int64_t at = reserve_locked(rl, start, deadline);
        if (at < 0) {
            rc = FX_ERATE_LIMITED;
        } else if (at <= start) {
            rc = 0;
        } else {
            lim_waiter w = { .deadline = deadline, .ready_at = at, .linked = true, .prev = rl->tail };
            w.wake = fx_ctx_with_cancel(ctx);
            if (w.wake == NULL) {
                rl->tokens += NANO;           /* give the reservation back: it was the last one */
                rc = FX_ENOMEM;
            } else {
                if (rl->tail != NULL) rl->tail->next = &w;
                else rl->head = &w;
                rl->tail = &w;
                rl->nwaiters++;
                rc = wait_in_line(rl, ctx, &w);
                fx_ctx_free(w.wake);
            }
        }
    }
    int64_t waited = fx_clock_now(rl->cfg.clock) - start;
    FX__MUST(pthread_mutex_unlock(&rl->mu));
    if (rc == 0 && waited > 0) {
        if (waited_ns != NULL) *waited_ns = waited;
        report(rl, ctx, FX_EVENT_LIMITER_WAIT, waited);
    } else if (rc == FX_ERATE_LIMITED) {
        report(rl, ctx, FX_EVENT_LIMITER_REJECT, 0);
    }
    return rc;
}

bool fx_rate_limiter_allow(fx_rate_limiter *rl)
{
    if (atomic_load_explicit(&rl->fast.unlimited, memory_order_acquire)) return true;
    FX__MUST(pthread_mutex_lock(&rl->mu));
    int64_t now = fx_clock_now(rl->cfg.clock);
    bool ok = false;
    if (atomic_load_explicit(&rl->fast.unlimited, memory_order_relaxed)) {
        ok = true;
    } else {
        refill_locked(rl, now);
        ok = rl->burst > 0 && rl->tokens >= NANO;
        if (ok) rl->tokens -= NANO;
    }
    FX__MUST(pthread_mutex_unlock(&rl->mu));
    return ok;
}

void fx_rate_limiter_set_rate(fx_rate_limiter *rl, double per_second)
{
    double r = clean_rate(per_second);
    FX__MUST(pthread_mutex_lock(&rl->mu));
    int64_t now = fx_clock_now(rl->cfg.clock);
    bool was_unlimited = atomic_load_explicit(&rl->fast.unlimited, memory_order_relaxed);
    refill_locked(rl, now);           /* what was earned at the old rate is kept */
    if (was_unlimited && !isinf(r)) {
        rl->tokens = (double)rl->burst * NANO;
        rl->last = now;
    }
    rl->rate = isinf(r) ? 0 : r;
    atomic_store_explicit(&rl->fast.unlimited, isinf(r), memory_order_release);
    replan_locked(rl, now, 0);
    FX__MUST(pthread_mutex_unlock(&rl->mu));
}

void fx_rate_limiter_set_burst(fx_rate_limiter *rl, int burst)
{
    FX__MUST(pthread_mutex_lock(&rl->mu));
    int64_t now = fx_clock_now(rl->cfg.clock);
    refill_locked(rl, now);
    rl->burst = burst < 0 ? 0 : burst;
    double full = (double)rl->burst * NANO;
    if (rl->tokens > full) rl->tokens = full;
    replan_locked(rl, now, 0);
    FX__MUST(pthread_mutex_unlock(&rl->mu));
}

double fx_rate_limiter_rate(const fx_rate_limiter *rl)
{
    fx_rate_limiter *m = (fx_rate_limiter *)(uintptr_t)rl;   /* the lock is not part of the value */
    FX__MUST(pthread_mutex_lock(&m->mu));
    double r = atomic_load_explicit(&m->fast.unlimited, memory_order_relaxed) ? INFINITY : m->rate;
    FX__MUST(pthread_mutex_unlock(&m->mu));
    return r;
}

int fx_rate_limiter_burst(const fx_rate_limiter *rl)
{
    fx_rate_limiter *m = (fx_rate_limiter *)(uintptr_t)rl;
    FX__MUST(pthread_mutex_lock(&m->mu));
    int b = m->burst;
    FX__MUST(pthread_mutex_unlock(&m->mu));
    return b;
}
