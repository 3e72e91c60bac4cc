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
