/* clock.c — the real and fake clocks and fx_clock_sleep*: the only file in
 * fluxus that reads the system time or waits on it.
 *
 * A sleeper is an fx__waiter on its own stack (own mutex + condvar on
 * CLOCK_MONOTONIC). It registers
 *   - on its ctx (so fx_ctx_cancel on it or an ancestor wakes it),
 *   - on each fake clock it waits for (the sleep clock and the clocks of the
 *     ctx's deadlines), once per clock with the earliest deadline it has
 *     there, so fx_clock_fake_advance wakes it;
 * and waits for a wake-up, or with a timeout at the earliest deadline it has
 * on the real clock. After any wake-up it re-evaluates from scratch. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

struct fx_clock {
    bool fake;
    _Atomic int64_t now;             /* fake: written under mu */
    pthread_mutex_t mu;              /* fake: guards auto_mode, sleepers */
    bool auto_mode;
    struct clock_reg *sleepers;      /* registrations, unordered */
    atomic_size_t nwaiters;          /* length of sleepers */
};

/* A waiter's registration on one fake clock. */
typedef struct clock_reg {
    fx__waiter *w;
    fx_clock *clock;
    int64_t deadline;
    bool linked;                     /* clock->mu */
    struct clock_reg *prev, *next;   /* clock->mu */
} clock_reg;

fx_clock fx__real_clock = { .fake = false };

const fx_clock *fx_clock_real(void) { return &fx__real_clock; }

int64_t fx_clock_now(const fx_clock *c)
{
    if (c == NULL || !c->fake) return fx__clock_now(&fx__real_clock);
    return atomic_load_explicit(&c->now, memory_order_acquire);
}

fx_clock *fx_clock_fake_new(int64_t start_ns)
{
    fx_clock *c = malloc(sizeof *c);
    if (c == NULL) return NULL;
    c->fake = true;
    atomic_init(&c->now, start_ns);
    FX__MUST(pthread_mutex_init(&c->mu, NULL));
    c->auto_mode = false;
    c->sleepers = NULL;
    atomic_init(&c->nwaiters, 0);
    return c;
}

void fx_clock_free(fx_clock *c)
{
    if (c == NULL || !c->fake) return;
    if (c->sleepers != NULL) abort();   /* a thread still sleeps on it: use after free ahead */
    FX__MUST(pthread_mutex_destroy(&c->mu));
    free(c);
}

size_t fx_clock_fake_waiters(const fx_clock *c)
{
    if (c == NULL || !c->fake) return 0;
    return atomic_load_explicit(&c->nwaiters, memory_order_acquire);
}

void fx_clock_fake_set_auto(fx_clock *c, bool on)
{
    if (c == NULL || !c->fake) return;
    FX__MUST(pthread_mutex_lock(&c->mu));
    c->auto_mode = on;
    FX__MUST(pthread_mutex_unlock(&c->mu));
}

void fx__waiter_wake(fx__waiter *w)
{
    FX__MUST(pthread_mutex_lock(&w->mu));
    w->woken = true;
    FX__MUST(pthread_cond_signal(&w->cond));
    FX__MUST(pthread_mutex_unlock(&w->mu));
}

/* c->mu held. */
static void unlink_reg(fx_clock *c, clock_reg *r)
{
    if (r->prev != NULL) r->prev->next = r->next;
    else c->sleepers = r->next;
    if (r->next != NULL) r->next->prev = r->prev;
    r->linked = false;
    atomic_fetch_sub_explicit(&c->nwaiters, 1, memory_order_release);
}

/* c->mu held: sets the time and wakes every registration now due. */
static void set_time_locked(fx_clock *c, int64_t now)
{
    atomic_store_explicit(&c->now, now, memory_order_release);
    clock_reg *r = c->sleepers;
    while (r != NULL) {
        clock_reg *next = r->next;
        if (r->deadline <= now) {
            unlink_reg(c, r);
            fx__waiter_wake(r->w);
        }
        r = next;
    }
}

void fx_clock_fake_advance(fx_clock *c, int64_t ns)
{
    if (c == NULL || !c->fake || ns <= 0) return;
    FX__MUST(pthread_mutex_lock(&c->mu));
    set_time_locked(c, fx__add_sat(atomic_load_explicit(&c->now, memory_order_relaxed), ns));
    FX__MUST(pthread_mutex_unlock(&c->mu));
}

/* ------------------------------------------------------------ sleep */

#define MAX_FAKE_CLOCKS 8            /* distinct fake clocks one sleep can wait for */

typedef struct sleep_plan {
    const fx_clock *clock;           /* the sleep's clock (never NULL) */
    int64_t deadline;                /* on clock */
    int64_t ctx_deadline;            /* earliest ctx deadline on clock, INT64_MAX if none */
    bool has_real;                   /* wait with a timeout at `real` */
    int64_t real;                    /* earliest deadline of all on the real clock */
    size_t nregs;
    clock_reg regs[MAX_FAKE_CLOCKS];
} sleep_plan;

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* Adds "wake me at deadline on clock k" to the plan. False if too many clocks. */
static bool plan_add(sleep_plan *p, const fx_clock *k, int64_t deadline)
{
    if (!k->fake) {
        p->real = p->has_real ? min64(p->real, deadline) : deadline;
        p->has_real = true;
        return true;
    }
    for (size_t i = 0; i < p->nregs; i++)
        if (p->regs[i].clock == k) {
            p->regs[i].deadline = min64(p->regs[i].deadline, deadline);
            return true;
        }
    if (p->nregs == MAX_FAKE_CLOCKS) return false;
    /* The plan records the clock it waits for; clocks are only mutated via
     * their own lock, never through this const-stripped pointer otherwise. */
    p->regs[p->nregs++] = (clock_reg){ .clock = (fx_clock *)(uintptr_t)k, .deadline = deadline };
    return true;
}

/* The sleep's result now: 0, an fx_ctx_err code, or 1 to keep sleeping. */
static int evaluate(const sleep_plan *p, const fx_ctx *ctx)
{
    if (ctx != NULL && atomic_load_explicit(&ctx->canceled, memory_order_acquire))
        return FX_ECANCELED;
    bool reached = fx_clock_now(p->clock) >= p->deadline;
    if (reached && p->deadline <= p->ctx_deadline) return 0;
    if (ctx != NULL) {
        int err = fx_ctx_err(ctx);
        if (err != 0) return err;
    }
    return reached ? 0 : 1;
}

/* Auto mode: jump the clock to the first deadline that ends this sleep. */
static int sleep_auto(fx_clock *c, const sleep_plan *p, const fx_ctx *ctx)
{
    int64_t target = min64(p->deadline, p->ctx_deadline);
    FX__MUST(pthread_mutex_lock(&c->mu));
    if (atomic_load_explicit(&c->now, memory_order_relaxed) < target) set_time_locked(c, target);
    FX__MUST(pthread_mutex_unlock(&c->mu));
    int rc = evaluate(p, ctx);
    return rc == 1 ? 0 : rc;   /* cannot stay 1: the clock is at or past target */
}

static void wait_woken(fx__waiter *w, const sleep_plan *p)
{
    FX__MUST(pthread_mutex_lock(&w->mu));
    while (!w->woken) {
        if (!p->has_real) {
            FX__MUST(pthread_cond_wait(&w->cond, &w->mu));
            continue;
        }
        int64_t at = p->real < 0 ? 0 : p->real;
        struct timespec ts = { .tv_sec = (time_t)(at / 1000000000), .tv_nsec = (long)(at % 1000000000) };
        int rc = pthread_cond_timedwait(&w->cond, &w->mu, &ts);
        if (rc == ETIMEDOUT) break;
        FX__MUST(rc);
    }
    w->woken = false;
    FX__MUST(pthread_mutex_unlock(&w->mu));
}

static void waiter_init(fx__waiter *w)
{
    pthread_condattr_t attr;
    FX__MUST(pthread_condattr_init(&attr));
    FX__MUST(pthread_condattr_setclock(&attr, CLOCK_MONOTONIC));
    FX__MUST(pthread_cond_init(&w->cond, &attr));
    FX__MUST(pthread_condattr_destroy(&attr));
    FX__MUST(pthread_mutex_init(&w->mu, NULL));
    w->woken = false;
    w->prev = w->next = NULL;
}

static void waiter_destroy(fx__waiter *w)
{
    FX__MUST(pthread_cond_destroy(&w->cond));
    FX__MUST(pthread_mutex_destroy(&w->mu));
}

int fx_clock_sleep_until(const fx_clock *c, fx_ctx *ctx, int64_t deadline_ns)
{
    if (c == NULL) c = &fx__real_clock;
    sleep_plan p = { .clock = c, .deadline = deadline_ns, .ctx_deadline = INT64_MAX };
    bool ok = plan_add(&p, c, deadline_ns);
    if (ctx != NULL)
        for (const fx_ctx *d = ctx->dl_head; d != NULL; d = d->dl_next) {
            if (d->dl_clock == c) p.ctx_deadline = min64(p.ctx_deadline, d->deadline);
            ok = ok && plan_add(&p, d->dl_clock, d->deadline);
        }
    int rc = evaluate(&p, ctx);
    if (rc != 1) return rc;
    if (!ok) return FX_EINVAL;       /* deadlines on more than MAX_FAKE_CLOCKS fake clocks */
    if (c->fake) {
        fx_clock *fc = (fx_clock *)(uintptr_t)c;   /* mutable state behind its own lock */
        FX__MUST(pthread_mutex_lock(&fc->mu));
        bool is_auto = fc->auto_mode;
        FX__MUST(pthread_mutex_unlock(&fc->mu));
        if (is_auto) return sleep_auto(fc, &p, ctx);
    }

    fx__waiter w;
    waiter_init(&w);
    if (ctx != NULL && !fx__ctx_add_waiter(ctx, &w)) {
        waiter_destroy(&w);
        return FX_ECANCELED;
    }
    for (size_t i = 0; i < p.nregs; i++) {
        clock_reg *r = &p.regs[i];
        r->w = &w;
        FX__MUST(pthread_mutex_lock(&r->clock->mu));
        if (atomic_load_explicit(&r->clock->now, memory_order_relaxed) >= r->deadline) {
            fx__waiter_wake(&w);     /* already due */
        } else {
            r->prev = NULL;
            r->next = r->clock->sleepers;
            if (r->next != NULL) r->next->prev = r;
            r->clock->sleepers = r;
            r->linked = true;
            atomic_fetch_add_explicit(&r->clock->nwaiters, 1, memory_order_release);
        }
        FX__MUST(pthread_mutex_unlock(&r->clock->mu));
    }

    do wait_woken(&w, &p);
    while ((rc = evaluate(&p, ctx)) == 1);

    for (size_t i = 0; i < p.nregs; i++) {
        clock_reg *r = &p.regs[i];
        FX__MUST(pthread_mutex_lock(&r->clock->mu));
        if (r->linked) unlink_reg(r->clock, r);
        FX__MUST(pthread_mutex_unlock(&r->clock->mu));
    }
    if (ctx != NULL) fx__ctx_remove_waiter(ctx, &w);
    waiter_destroy(&w);
    return rc;
}

int fx_clock_sleep(const fx_clock *c, fx_ctx *ctx, int64_t ns)
{
    return fx_clock_sleep_until(c, ctx, fx__add_sat(fx_clock_now(c), ns));
}
