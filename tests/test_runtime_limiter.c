/* tests/test_runtime_limiter.c — fx_rate_limiter on the fake clock: the
 * token bucket, bounded waits in line, burst 0, rate 0, rate inf, run-time
 * changes while callers wait, events and many threads. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>

#include <fluxus/fluxus.h>

#include "fx_test.h"

#define MS FX_TEST_MS
#define SEC (1000 * MS)

static fx_rate_limiter *limiter(fx_clock *c, double rate, int burst)
{
    fx_rate_limiter_config cfg = { .rate = rate, .burst = burst, .clock = c };
    fx_rate_limiter *rl = fx_rate_limiter_new(&cfg);
    assert_non_null(rl);
    return rl;
}

/* A thread calling fx_rate_limiter_acquire. */
typedef struct acquirer {
    fx_rate_limiter *rl;
    fx_ctx *ctx;
    int64_t wait;
    int rc;
    int64_t waited;
    atomic_bool done;
    pthread_t thread;
} acquirer;

static void *acquirer_main(void *arg)
{
    acquirer *a = arg;
    a->rc = fx_rate_limiter_acquire(a->rl, a->ctx, a->wait, &a->waited);
    atomic_store(&a->done, true);
    return NULL;
}

static void acquirer_start(acquirer *a, fx_rate_limiter *rl, fx_ctx *ctx, int64_t wait)
{
    *a = (acquirer){ .rl = rl, .ctx = ctx, .wait = wait, .rc = 1 };
    atomic_init(&a->done, false);
    assert_int_equal(pthread_create(&a->thread, NULL, acquirer_main, a), 0);
}

static int acquirer_join(acquirer *a)
{
    assert_int_equal(pthread_join(a->thread, NULL), 0);
    return a->rc;
}

static void test_limiter_one_per_second(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_ctx *ctx = fx_ctx_new();
    fx_rate_limiter *rl = limiter(c, 1.0, 1);
    int64_t waited = -1;
    assert_int_equal(fx_rate_limiter_acquire(rl, ctx, 10 * MS, &waited), 0);   /* the bucket starts full */
    assert_int_equal(waited, 0);
    assert_int_equal(fx_rate_limiter_acquire(rl, ctx, 10 * MS, &waited), FX_ERATE_LIMITED);   /* at once */
    assert_int_equal(fx_clock_fake_waiters(c), 0);
    fx_clock_fake_advance(c, 1100 * MS);
    assert_int_equal(fx_rate_limiter_acquire(rl, ctx, 10 * MS, &waited), 0);
    assert_int_equal(waited, 0);
    fx_rate_limiter_free(rl);
    fx_ctx_free(ctx);
    fx_clock_free(c);
}

static void test_limiter_burst_and_refill(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_rate_limiter *rl = limiter(c, 10.0, 3);     /* a token every 100ms, 3 stored */
    for (int i = 0; i < 3; i++) assert_true(fx_rate_limiter_allow(rl));
    assert_false(fx_rate_limiter_allow(rl));
    fx_clock_fake_advance(c, 99 * MS);
    assert_false(fx_rate_limiter_allow(rl));
    fx_clock_fake_advance(c, 1 * MS);
    assert_true(fx_rate_limiter_allow(rl));
    assert_false(fx_rate_limiter_allow(rl));
    fx_clock_fake_advance(c, 10 * SEC);            /* never more than the burst */
    for (int i = 0; i < 3; i++) assert_true(fx_rate_limiter_allow(rl));
    assert_false(fx_rate_limiter_allow(rl));
    fx_rate_limiter_free(rl);
    fx_clock_free(c);
}

static void test_limiter_waits_exactly_for_its_token(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_ctx *ctx = fx_ctx_new();
    fx_rate_limiter *rl = limiter(c, 10.0, 1);
    assert_true(fx_rate_limiter_allow(rl));
    acquirer a;
    acquirer_start(&a, rl, ctx, SEC);
    assert_true(fx_test_wait_waiters(c, 1));
    fx_clock_fake_advance(c, 99 * MS);
    assert_false(atomic_load(&a.done));
    fx_clock_fake_advance(c, 1 * MS);
    assert_int_equal(acquirer_join(&a), 0);
    assert_int_equal(a.waited, 100 * MS);
    fx_rate_limiter_free(rl);
    fx_ctx_free(ctx);
    fx_clock_free(c);
}

static void test_limiter_line_is_first_come_first_served(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_ctx *ctx = fx_ctx_new();
    fx_rate_limiter *rl = limiter(c, 10.0, 1);
    assert_true(fx_rate_limiter_allow(rl));
    acquirer a, b, d;
    acquirer_start(&a, rl, ctx, SEC);
    assert_true(fx_test_wait_waiters(c, 1));
    acquirer_start(&b, rl, ctx, SEC);
    assert_true(fx_test_wait_waiters(c, 2));
    acquirer_start(&d, rl, ctx, 250 * MS);         /* its token would come at 300ms: rejected at once */
    assert_int_equal(acquirer_join(&d), FX_ERATE_LIMITED);
    assert_false(fx_rate_limiter_allow(rl));       /* nothing jumps the line */
    fx_clock_fake_advance(c, 100 * MS);
    assert_int_equal(acquirer_join(&a), 0);
    assert_false(atomic_load(&b.done));
    fx_clock_fake_advance(c, 100 * MS);
    assert_int_equal(acquirer_join(&b), 0);
    assert_int_equal(b.waited, 200 * MS);
    fx_rate_limiter_free(rl);
    fx_ctx_free(ctx);
    fx_clock_free(c);
}

static void test_limiter_cancel_while_waiting(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_ctx *root = fx_ctx_new();
    fx_ctx *ctx = fx_ctx_with_cancel(root);
    fx_rate_limiter *rl = limiter(c, 10.0, 1);
    assert_true(fx_rate_limiter_allow(rl));
    acquirer a, b;
    acquirer_start(&a, rl, ctx, SEC);
    assert_true(fx_test_wait_waiters(c, 1));
    acquirer_start(&b, rl, root, SEC);             /* behind a: due at 200ms */
    assert_true(fx_test_wait_waiters(c, 2));
    fx_ctx_cancel(ctx);
    assert_int_equal(acquirer_join(&a), FX_ECANCELED);
    assert_true(fx_test_wait_waiters(c, 1));
    fx_clock_fake_advance(c, 100 * MS);            /* b moved up to a's place */
    assert_int_equal(acquirer_join(&b), 0);
    assert_int_equal(b.waited, 100 * MS);
    fx_rate_limiter_free(rl);
    fx_ctx_free(ctx);
    fx_ctx_free(root);
    fx_clock_free(c);
}

static void test_limiter_burst_zero_admits_nothing(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_ctx *ctx = fx_ctx_new();
    fx_rate_limiter *rl = limiter(c, 1000.0, 0);
    assert_false(fx_rate_limiter_allow(rl));
    assert_int_equal(fx_rate_limiter_acquire(rl, ctx, FX_RATE_WAIT_FOREVER, NULL), FX_ERATE_LIMITED);
    fx_clock_fake_advance(c, 10 * SEC);
    assert_false(fx_rate_limiter_allow(rl));
    fx_rate_limiter_set_rate(rl, INFINITY);        /* except at rate inf */
    assert_true(fx_rate_limiter_allow(rl));
    assert_int_equal(fx_rate_limiter_acquire(rl, ctx, 0, NULL), 0);
    fx_rate_limiter_free(rl);
    fx_ctx_free(ctx);
    fx_clock_free(c);
}

static void test_limiter_rate_zero_spends_the_bucket_once(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_ctx *ctx = fx_ctx_new();
    fx_rate_limiter *rl = limiter(c, 0.0, 2);
    assert_int_equal(fx_rate_limiter_acquire(rl, ctx, SEC, NULL), 0);
    assert_int_equal(fx_rate_limiter_acquire(rl, ctx, SEC, NULL), 0);
    assert_int_equal(fx_rate_limiter_acquire(rl, ctx, FX_RATE_WAIT_FOREVER, NULL), FX_ERATE_LIMITED);
    fx_clock_fake_advance(c, 1000 * SEC);
    assert_false(fx_rate_limiter_allow(rl));
    fx_rate_limiter_free(rl);
    fx_ctx_free(ctx);
    fx_clock_free(c);
}

static void test_limiter_rate_inf_never_waits(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_ctx *ctx = fx_ctx_new();
    fx_rate_limiter *rl = limiter(c, INFINITY, 1);
    for (int i = 0; i < 1000; i++) assert_int_equal(fx_rate_limiter_acquire(rl, ctx, 0, NULL), 0);
    assert_true(isinf(fx_rate_limiter_rate(rl)));
    fx_rate_limiter_set_rate(rl, 1.0);             /* finite again: starts with a full bucket */
    assert_true(fx_rate_limiter_allow(rl));
    assert_false(fx_rate_limiter_allow(rl));
    fx_rate_limiter_free(rl);
    fx_ctx_free(ctx);
    fx_clock_free(c);
}

static void test_limiter_set_rate_and_burst(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_rate_limiter *rl = limiter(c, 1.0, 1);
    assert_true(fx_rate_limiter_allow(rl));
    fx_rate_limiter_set_rate(rl, 100.0);
    assert_true(fx_rate_limiter_rate(rl) == 100.0);
    fx_clock_fake_advance(c, 10 * MS);
    assert_true(fx_rate_limiter_allow(rl));
    assert_false(fx_rate_limiter_allow(rl));
    fx_rate_limiter_set_burst(rl, 5);              /* growing the bucket adds no tokens */
    assert_int_equal(fx_rate_limiter_burst(rl), 5);
    assert_false(fx_rate_limiter_allow(rl));
    fx_clock_fake_advance(c, SEC);
    for (int i = 0; i < 5; i++) assert_true(fx_rate_limiter_allow(rl));
    assert_false(fx_rate_limiter_allow(rl));
    fx_clock_fake_advance(c, SEC);
    fx_rate_limiter_set_burst(rl, 2);              /* shrinking drops what is above */
    assert_true(fx_rate_limiter_allow(rl));
    assert_true(fx_rate_limiter_allow(rl));
    assert_false(fx_rate_limiter_allow(rl));
    fx_rate_limiter_set_rate(rl, -3.0);            /* negative = 0 */
    assert_true(fx_rate_limiter_rate(rl) == 0.0);
    fx_rate_limiter_set_burst(rl, -1);
    assert_int_equal(fx_rate_limiter_burst(rl), 0);
    fx_rate_limiter_free(rl);
    fx_clock_free(c);
}

static void test_limiter_rate_change_while_waiting(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_ctx *ctx = fx_ctx_new();
    fx_rate_limiter *rl = limiter(c, 1.0, 1);
    assert_true(fx_rate_limiter_allow(rl));
    acquirer a, b;
    acquirer_start(&a, rl, ctx, 5 * SEC);          /* due at 1s */
    assert_true(fx_test_wait_waiters(c, 1));
    acquirer_start(&b, rl, ctx, 5 * SEC);          /* due at 2s */
    assert_true(fx_test_wait_waiters(c, 2));

    fx_rate_limiter_set_rate(rl, 1000.0);          /* faster: due at 1ms and 2ms */
    assert_true(fx_test_wait_waiters(c, 2));
    fx_clock_fake_advance(c, 1 * MS);
    assert_int_equal(acquirer_join(&a), 0);
    assert_int_equal(a.waited, 1 * MS);
    fx_clock_fake_advance(c, 1 * MS);
    assert_int_equal(acquirer_join(&b), 0);
    assert_int_equal(b.waited, 2 * MS);

    /* slower: a waiter whose token no longer fits its wait leaves at once */
    acquirer_start(&a, rl, ctx, 10 * MS);          /* due at +1ms */
    assert_true(fx_test_wait_waiters(c, 1));
    fx_rate_limiter_set_rate(rl, 1.0);             /* now due at +1s > 10ms */
    assert_int_equal(acquirer_join(&a), FX_ERATE_LIMITED);

    /* rate 0 rejects those waiting; inf lets them all through */
    acquirer_start(&a, rl, ctx, FX_RATE_WAIT_FOREVER);
    assert_true(fx_test_wait_waiters(c, 1));
    fx_rate_limiter_set_rate(rl, 0.0);
    assert_int_equal(acquirer_join(&a), FX_ERATE_LIMITED);
    fx_rate_limiter_set_rate(rl, 0.5);
    acquirer_start(&a, rl, ctx, FX_RATE_WAIT_FOREVER);
    assert_true(fx_test_wait_waiters(c, 1));
    acquirer_start(&b, rl, ctx, FX_RATE_WAIT_FOREVER);
    assert_true(fx_test_wait_waiters(c, 2));
    fx_rate_limiter_set_rate(rl, INFINITY);
    assert_int_equal(acquirer_join(&a), 0);
    assert_int_equal(acquirer_join(&b), 0);

    /* burst 0 rejects those waiting */
    fx_rate_limiter_set_rate(rl, 1.0);
    assert_true(fx_rate_limiter_allow(rl));
    acquirer_start(&a, rl, ctx, FX_RATE_WAIT_FOREVER);
    assert_true(fx_test_wait_waiters(c, 1));
    fx_rate_limiter_set_burst(rl, 0);
    assert_int_equal(acquirer_join(&a), FX_ERATE_LIMITED);
    fx_rate_limiter_free(rl);
    fx_ctx_free(ctx);
    fx_clock_free(c);
}

/* ---- events */

typedef struct seen {
    atomic_int waits, rejects;
    atomic_llong waited;
} seen;

static void on_event(void *user, const fx_event *ev)
{
    seen *s = user;
    if (ev->kind == FX_EVENT_LIMITER_WAIT) {
        atomic_fetch_add(&s->waits, 1);
        atomic_fetch_add(&s->waited, ev->value);
    } else if (ev->kind == FX_EVENT_LIMITER_REJECT) {
        atomic_fetch_add(&s->rejects, 1);
    }
}

static void test_limiter_reports_waits_and_rejects(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_clock_fake_set_auto(c, true);               /* a sleep jumps the clock to its end */
    seen s = { 0 };
    fx_metrics m = { .user = &s, .event = on_event };
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){ .clock = c, .metrics = &m, .threads = 1 });
    static const fx_component comp = { "p", "rl", "m", FX_COMPONENT_COMBINATOR };
    fx_rate_limiter_config cfg = { .rate = 4.0, .burst = 1, .clock = c, .rt = rt, .component = &comp };
    fx_rate_limiter *rl = fx_rate_limiter_new(&cfg);
    fx_ctx *ctx = fx_ctx_new();
    assert_int_equal(fx_rate_limiter_acquire(rl, ctx, SEC, NULL), 0);
    assert_int_equal(fx_rate_limiter_acquire(rl, ctx, SEC, NULL), 0);   /* waits 250ms */
    assert_int_equal(fx_rate_limiter_acquire(rl, ctx, 0, NULL), FX_ERATE_LIMITED);
    assert_int_equal(atomic_load(&s.waits), 1);
    assert_int_equal(atomic_load(&s.waited), 250 * MS);
    assert_int_equal(atomic_load(&s.rejects), 1);
    assert_int_equal(fx_clock_now(c), 250 * MS);
    fx_ctx_free(ctx);
    fx_rate_limiter_free(rl);
    fx_runtime_free(rt);
    fx_clock_free(c);
}

/* ---- many threads */

enum { THREADS = 50, CALLS = 10 };

typedef struct shared {
    fx_rate_limiter *rl;
    fx_ctx *ctx;
    int64_t wait;
    atomic_int admitted, rejected;
} shared;

static void *worker(void *arg)
{
    shared *s = arg;
    for (int i = 0; i < CALLS; i++) {
        int rc = fx_rate_limiter_acquire(s->rl, s->ctx, s->wait, NULL);
        if (rc == 0) atomic_fetch_add(&s->admitted, 1);
        else if (rc == FX_ERATE_LIMITED) atomic_fetch_add(&s->rejected, 1);
    }
    return NULL;
}

static void run_threads(shared *s)
{
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) assert_int_equal(pthread_create(&t[i], NULL, worker, s), 0);
    for (int i = 0; i < THREADS; i++) assert_int_equal(pthread_join(t[i], NULL), 0);
}

static void test_limiter_many_threads_no_wait(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_ctx *ctx = fx_ctx_new();
    shared s = { .rl = limiter(c, 1.0, 120), .ctx = ctx, .wait = 0 };
    run_threads(&s);
    /* time stands still: exactly the bucket gets through */
    assert_int_equal(atomic_load(&s.admitted), 120);
    assert_int_equal(atomic_load(&s.rejected), THREADS * CALLS - 120);
    fx_rate_limiter_free(s.rl);
    fx_ctx_free(ctx);
    fx_clock_free(c);
}

static void test_limiter_many_threads_waiting(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_clock_fake_set_auto(c, true);               /* each wait moves time to its token */
    fx_ctx *ctx = fx_ctx_new();
    shared s = { .rl = limiter(c, 1000.0, 10), .ctx = ctx, .wait = FX_RATE_WAIT_FOREVER };
    run_threads(&s);
    assert_int_equal(atomic_load(&s.admitted), THREADS * CALLS);
    assert_int_equal(atomic_load(&s.rejected), 0);
    /* 500 tokens: 10 in the bucket, 490 earned at 1/ms — no sooner */
    assert_true(fx_clock_now(c) >= 490 * MS);
    fx_rate_limiter_free(s.rl);
    fx_ctx_free(ctx);
    fx_clock_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limiter_one_per_second),
        cmocka_unit_test(test_limiter_burst_and_refill),
        cmocka_unit_test(test_limiter_waits_exactly_for_its_token),
        cmocka_unit_test(test_limiter_line_is_first_come_first_served),
        cmocka_unit_test(test_limiter_cancel_while_waiting),
        cmocka_unit_test(test_limiter_burst_zero_admits_nothing),
        cmocka_unit_test(test_limiter_rate_zero_spends_the_bucket_once),
        cmocka_unit_test(test_limiter_rate_inf_never_waits),
        cmocka_unit_test(test_limiter_set_rate_and_burst),
        cmocka_unit_test(test_limiter_rate_change_while_waiting),
        cmocka_unit_test(test_limiter_reports_waits_and_rejects),
        cmocka_unit_test(test_limiter_many_threads_no_wait),
        cmocka_unit_test(test_limiter_many_threads_waiting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
