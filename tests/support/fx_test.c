/* tests/support/fx_test.c — see fx_test.h. */
#include "fx_test.h"

#include <sched.h>
#include <stdlib.h>

static void *sleeper_main(void *arg)
{
    fx_test_sleeper *s = arg;
    int64_t t0 = fx_clock_now(NULL);
    s->rc = fx_clock_sleep(s->clock, s->ctx, s->ns);
    s->real_elapsed = fx_clock_now(NULL) - t0;
    atomic_store(&s->done, true);
    return NULL;
}

void fx_test_sleeper_start(fx_test_sleeper *s, const fx_clock *clock, fx_ctx *ctx, int64_t ns)
{
    s->clock = clock;
    s->ctx = ctx;
    s->ns = ns;
    s->rc = 1;
    s->real_elapsed = 0;
    atomic_init(&s->done, false);
    if (pthread_create(&s->thread, NULL, sleeper_main, s) != 0) abort();
}

int fx_test_sleeper_join(fx_test_sleeper *s)
{
    if (pthread_join(s->thread, NULL) != 0) abort();
    return s->rc;
}

/* Bounded by real time, measured through the library's clock. */
static bool spin_until(bool (*cond)(const void *), const void *arg)
{
    int64_t give_up = fx_clock_now(NULL) + 10000 * FX_TEST_MS;
    while (!cond(arg)) {
        if (fx_clock_now(NULL) > give_up) return false;
        sched_yield();
    }
    return true;
}

typedef struct { const fx_clock *c; size_t n; } waiters_arg;

static bool waiters_is(const void *p)
{
    const waiters_arg *a = p;
    return fx_clock_fake_waiters(a->c) == a->n;
}

bool fx_test_wait_waiters(const fx_clock *c, size_t n)
{
    waiters_arg a = { c, n };
    return spin_until(waiters_is, &a);
}

static bool flag_is_set(const void *p) { return atomic_load((atomic_bool *)(uintptr_t)p); }

bool fx_test_wait_flag(atomic_bool *flag) { return spin_until(flag_is_set, flag); }

/* ------------------------------------------------------------ control rounds */

typedef struct rounds {
    void (*control)(void *arg, int round);
    bool (*call)(void *arg, fx_ctx *ctx, int round);
    void *arg;
    atomic_int round;                         /* -1 while control runs */
    atomic_int seen[FX_TEST_ROUND_THREADS];   /* the last round each thread answered right in */
    atomic_int wrong;
    atomic_bool stop;
} rounds;

typedef struct rounds_arg {
    rounds *r;
    int id;
} rounds_arg;

static void *rounds_caller(void *arg)
{
    rounds_arg *a = arg;
    rounds *r = a->r;
    fx_ctx *ctx = fx_ctx_new();
    while (!atomic_load(&r->stop)) {
        int now = atomic_load(&r->round);
        bool right = r->call(r->arg, ctx, now);
        fx_ctx_reset(ctx);
        if (now < 0 || atomic_load(&r->round) != now) continue;
        if (!right) atomic_fetch_add(&r->wrong, 1);
        else if (atomic_exchange(&r->seen[a->id], now) == now) sched_yield();   /* answered: let control run */
    }
    fx_ctx_free(ctx);
    return NULL;
}

int fx_test_control_rounds(int threads, int nrounds, void (*control)(void *arg, int round),
                           bool (*call)(void *arg, fx_ctx *ctx, int round), void *arg)
{
    if (threads > FX_TEST_ROUND_THREADS) threads = FX_TEST_ROUND_THREADS;
    rounds r = { .control = control, .call = call, .arg = arg };
    rounds_arg args[FX_TEST_ROUND_THREADS];
    pthread_t t[FX_TEST_ROUND_THREADS];
    for (int i = 0; i < threads; i++) {
        args[i] = (rounds_arg){ .r = &r, .id = i };
        if (pthread_create(&t[i], NULL, rounds_caller, &args[i]) != 0) abort();
    }
    for (int n = 1; n <= nrounds && atomic_load(&r.wrong) == 0; n++) {
        atomic_store(&r.round, -1);
        control(arg, n);
        atomic_store(&r.round, n);
        for (int i = 0; i < threads; i++)
            while (atomic_load(&r.seen[i]) != n && atomic_load(&r.wrong) == 0) sched_yield();
    }
    atomic_store(&r.stop, true);
    for (int i = 0; i < threads; i++)
        if (pthread_join(t[i], NULL) != 0) abort();
    return atomic_load(&r.wrong);
}
