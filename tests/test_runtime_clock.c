/* tests/test_runtime_clock.c — real and fake clocks, fx_clock_sleep*. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fluxus/fluxus.h>

#include "fx_test.h"

#define MS FX_TEST_MS

static void test_clock_fake_now_and_advance(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(1000);
    assert_non_null(c);
    assert_int_equal(fx_clock_now(c), 1000);
    fx_clock_fake_advance(c, 500);
    assert_int_equal(fx_clock_now(c), 1500);
    fx_clock_fake_advance(c, -200);               /* never backwards */
    fx_clock_fake_advance(c, 0);
    assert_int_equal(fx_clock_now(c), 1500);
    fx_clock_fake_advance(c, INT64_MAX);          /* saturates */
    assert_int_equal(fx_clock_now(c), INT64_MAX);
    assert_int_equal(fx_clock_fake_waiters(c), 0);
    fx_clock_free(c);
    /* fake-only calls are harmless on the real clock */
    fx_clock_fake_advance((fx_clock *)(uintptr_t)fx_clock_real(), MS);
    assert_int_equal(fx_clock_fake_waiters(fx_clock_real()), 0);
    fx_clock_free((fx_clock *)(uintptr_t)fx_clock_real());
    fx_clock_free(NULL);
}

static void test_clock_sleep_wakes_exactly_at_deadline(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_test_sleeper s;
    fx_test_sleeper_start(&s, c, NULL, 100 * MS);
    assert_true(fx_test_wait_waiters(c, 1));
    fx_clock_fake_advance(c, 99 * MS);
    assert_int_equal(fx_clock_fake_waiters(c), 1);
    assert_false(atomic_load(&s.done));
    fx_clock_fake_advance(c, 1 * MS);
    assert_int_equal(fx_clock_fake_waiters(c), 0);  /* woken by advance itself */
    assert_int_equal(fx_test_sleeper_join(&s), 0);
    assert_int_equal(fx_clock_now(c), 100 * MS);
    fx_clock_free(c);
}

static void test_clock_sleep_wakes_only_those_due(void **state)
{
    (void)state;
    static const int64_t deadlines[] = { 30, 10, 20, 10, 40 };  /* registration order */
    enum { N = 5 };
    fx_clock *c = fx_clock_fake_new(0);
    fx_test_sleeper s[N];
    for (size_t i = 0; i < N; i++) {
        fx_test_sleeper_start(&s[i], c, NULL, deadlines[i] * MS);
        assert_true(fx_test_wait_waiters(c, i + 1));
    }
    fx_clock_fake_advance(c, 10 * MS);                     /* t = 10 */
    assert_int_equal(fx_clock_fake_waiters(c), 3);
    assert_int_equal(fx_test_sleeper_join(&s[1]), 0);
    assert_int_equal(fx_test_sleeper_join(&s[3]), 0);
    assert_false(atomic_load(&s[0].done));
    assert_false(atomic_load(&s[2].done));
    assert_false(atomic_load(&s[4].done));

    fx_clock_fake_advance(c, 15 * MS);                     /* t = 25 */
    assert_int_equal(fx_clock_fake_waiters(c), 2);
    assert_int_equal(fx_test_sleeper_join(&s[2]), 0);
    assert_false(atomic_load(&s[0].done));
    assert_false(atomic_load(&s[4].done));

    fx_clock_fake_advance(c, 15 * MS);                     /* t = 40: both left */
    assert_int_equal(fx_clock_fake_waiters(c), 0);
    assert_int_equal(fx_test_sleeper_join(&s[0]), 0);
    assert_int_equal(fx_test_sleeper_join(&s[4]), 0);
    fx_clock_free(c);
}

static void test_clock_sleep_until_past_deadline_returns_at_once(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(500);
    assert_int_equal(fx_clock_sleep_until(c, NULL, 500), 0);
    assert_int_equal(fx_clock_sleep_until(c, NULL, 10), 0);
    assert_int_equal(fx_clock_sleep(c, NULL, 0), 0);
    assert_int_equal(fx_clock_sleep(c, NULL, -5), 0);
    assert_int_equal(fx_clock_now(c), 500);
    assert_int_equal(fx_clock_fake_waiters(c), 0);
    fx_clock_free(c);
}

static void test_clock_auto_mode_jumps_to_deadline(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(1000);
    fx_test_sleeper other;
    fx_test_sleeper_start(&other, c, NULL, 30 * MS);        /* due at 1000+30ms */
    assert_true(fx_test_wait_waiters(c, 1));
    fx_clock_fake_set_auto(c, true);
    assert_int_equal(fx_clock_fake_waiters(c), 1);         /* turning it on wakes nobody */
    assert_int_equal(fx_clock_sleep(c, NULL, 50 * MS), 0); /* does not block */
    assert_int_equal(fx_clock_now(c), 1000 + 50 * MS);
    assert_int_equal(fx_clock_fake_waiters(c), 0);
    assert_int_equal(fx_test_sleeper_join(&other), 0);     /* woken by the jump */
    assert_int_equal(fx_clock_sleep_until(c, NULL, 1000), 0);  /* past: no jump back */
    assert_int_equal(fx_clock_now(c), 1000 + 50 * MS);
    fx_clock_fake_set_auto(c, false);
    fx_test_sleeper_start(&other, c, NULL, 10 * MS);
    assert_true(fx_test_wait_waiters(c, 1));                /* blocks again */
    fx_clock_fake_advance(c, 10 * MS);
    assert_int_equal(fx_test_sleeper_join(&other), 0);
    fx_clock_free(c);
}

static void test_clock_sleep_on_cancelled_ctx_returns_at_once(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_ctx *ctx = fx_ctx_new_clock(c);
    fx_ctx_cancel(ctx);
    assert_int_equal(fx_clock_sleep(c, ctx, 100 * MS), FX_ECANCELED);
    assert_int_equal(fx_clock_sleep(NULL, ctx, 3600000 * MS), FX_ECANCELED);
    assert_int_equal(fx_clock_sleep(c, ctx, 0), FX_ECANCELED);
    fx_clock_fake_set_auto(c, true);
    assert_int_equal(fx_clock_sleep(c, ctx, 100 * MS), FX_ECANCELED);
    assert_int_equal(fx_clock_now(c), 0);                  /* no jump either */
    assert_int_equal(fx_clock_fake_waiters(c), 0);
    fx_ctx_free(ctx);
    fx_clock_free(c);
}

static void test_clock_ctx_deadline_before_sleep_deadline(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_ctx *root = fx_ctx_new_clock(c);
    fx_ctx *ctx = fx_ctx_with_timeout(root, 10 * MS);
    fx_test_sleeper s;
    fx_test_sleeper_start(&s, c, ctx, 100 * MS);
    assert_true(fx_test_wait_waiters(c, 1));               /* one thread, one waiter */
    fx_clock_fake_advance(c, 9 * MS);
    assert_false(atomic_load(&s.done));
    fx_clock_fake_advance(c, 1 * MS);
    assert_int_equal(fx_test_sleeper_join(&s), FX_EDEADLINE);
    assert_int_equal(fx_clock_fake_waiters(c), 0);

    /* an advance past both deadlines: the earlier (the ctx's) wins */
    fx_ctx *ctx2 = fx_ctx_with_timeout(root, 10 * MS);
    fx_test_sleeper_start(&s, c, ctx2, 20 * MS);
    assert_true(fx_test_wait_waiters(c, 1));
    fx_clock_fake_advance(c, 50 * MS);
    assert_int_equal(fx_test_sleeper_join(&s), FX_EDEADLINE);

    /* a sleep that ends before the ctx deadline is a plain sleep */
    fx_ctx *ctx3 = fx_ctx_with_timeout(root, 10 * MS);
    fx_test_sleeper_start(&s, c, ctx3, 5 * MS);
    assert_true(fx_test_wait_waiters(c, 1));
    fx_clock_fake_advance(c, 5 * MS);
    assert_int_equal(fx_test_sleeper_join(&s), 0);
    /* a tie goes to the sleep */
    fx_test_sleeper_start(&s, c, ctx3, 5 * MS);
    assert_true(fx_test_wait_waiters(c, 1));
    fx_clock_fake_advance(c, 5 * MS);
    assert_int_equal(fx_test_sleeper_join(&s), 0);
    /* and once the ctx is past its deadline, sleeps fail at once */
    assert_int_equal(fx_clock_sleep(c, ctx3, 1 * MS), FX_EDEADLINE);

    fx_ctx_free(ctx3);
    fx_ctx_free(ctx2);
    fx_ctx_free(ctx);
    fx_ctx_free(root);
    fx_clock_free(c);
}

static void test_clock_auto_mode_stops_at_ctx_deadline(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_ctx *root = fx_ctx_new_clock(c);
    fx_ctx *ctx = fx_ctx_with_timeout(root, 10 * MS);
    fx_clock_fake_set_auto(c, true);
    assert_int_equal(fx_clock_sleep(c, ctx, 100 * MS), FX_EDEADLINE);
    assert_int_equal(fx_clock_now(c), 10 * MS);
    fx_ctx_free(ctx);
    fx_ctx_free(root);
    fx_clock_free(c);
}

/* The sleep is on a fake clock, the ctx's deadline on another fake clock:
 * each is watched on its own clock, one waiter per clock. */
static void test_clock_sleep_watches_deadline_on_other_clock(void **state)
{
    (void)state;
    fx_clock *sleep_clock = fx_clock_fake_new(0);
    fx_clock *ctx_clock = fx_clock_fake_new(5000);
    fx_ctx *root = fx_ctx_new_clock(ctx_clock);
    fx_ctx *ctx = fx_ctx_with_timeout(root, 10 * MS);
    fx_test_sleeper s;
    fx_test_sleeper_start(&s, sleep_clock, ctx, 100 * MS);
    assert_true(fx_test_wait_waiters(sleep_clock, 1));
    assert_true(fx_test_wait_waiters(ctx_clock, 1));
    fx_clock_fake_advance(sleep_clock, 50 * MS);
    assert_false(atomic_load(&s.done));
    fx_clock_fake_advance(ctx_clock, 10 * MS);
    assert_int_equal(fx_test_sleeper_join(&s), FX_EDEADLINE);
    assert_int_equal(fx_clock_fake_waiters(sleep_clock), 0);
    assert_int_equal(fx_clock_fake_waiters(ctx_clock), 0);
    fx_ctx_free(ctx);
    fx_ctx_free(root);
    fx_clock_free(ctx_clock);
    fx_clock_free(sleep_clock);
}

/* Real-clock sleep, ctx deadline on a fake clock; then the reverse. */
static void test_clock_sleep_mixes_real_and_fake(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_ctx *root = fx_ctx_new_clock(c);
    fx_ctx *ctx = fx_ctx_with_timeout(root, 10 * MS);
    fx_test_sleeper s;
    fx_test_sleeper_start(&s, NULL, ctx, 60000 * MS);
    assert_true(fx_test_wait_waiters(c, 1));
    fx_clock_fake_advance(c, 10 * MS);
    assert_int_equal(fx_test_sleeper_join(&s), FX_EDEADLINE);
    assert_true(s.real_elapsed < 30000 * MS);        /* not the 60 s sleep */
    fx_ctx_free(ctx);
    fx_ctx_free(root);

    fx_ctx *real_root = fx_ctx_new();
    fx_ctx *real_ctx = fx_ctx_with_timeout(real_root, 20 * MS);
    int64_t t0 = fx_clock_now(NULL);
    assert_int_equal(fx_clock_sleep(c, real_ctx, 3600000 * MS), FX_EDEADLINE);
    assert_true(fx_clock_now(NULL) - t0 >= 20 * MS);
    assert_int_equal(fx_clock_fake_waiters(c), 0);
    fx_ctx_free(real_ctx);
    fx_ctx_free(real_root);
    fx_clock_free(c);
}

static void test_clock_real_is_monotonic_and_sleeps(void **state)
{
    (void)state;
    const fx_clock *real = fx_clock_real();
    assert_non_null(real);
    assert_ptr_equal(real, fx_clock_real());
    int64_t a = fx_clock_now(real);
    int64_t b = fx_clock_now(NULL);
    assert_true(b >= a);
    assert_int_equal(fx_clock_sleep(real, NULL, 1 * MS), 0);
    int64_t c = fx_clock_now(real);
    assert_true(c - b >= 1 * MS);
    fx_ctx *ctx = fx_ctx_new();
    assert_int_equal(fx_clock_sleep_until(NULL, ctx, c + 1 * MS), 0);
    assert_true(fx_clock_now(NULL) >= c + 1 * MS);
    fx_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clock_fake_now_and_advance),
        cmocka_unit_test(test_clock_sleep_wakes_exactly_at_deadline),
        cmocka_unit_test(test_clock_sleep_wakes_only_those_due),
        cmocka_unit_test(test_clock_sleep_until_past_deadline_returns_at_once),
        cmocka_unit_test(test_clock_auto_mode_jumps_to_deadline),
        cmocka_unit_test(test_clock_sleep_on_cancelled_ctx_returns_at_once),
        cmocka_unit_test(test_clock_ctx_deadline_before_sleep_deadline),
        cmocka_unit_test(test_clock_auto_mode_stops_at_ctx_deadline),
        cmocka_unit_test(test_clock_sleep_watches_deadline_on_other_clock),
        cmocka_unit_test(test_clock_sleep_mixes_real_and_fake),
        cmocka_unit_test(test_clock_real_is_monotonic_and_sleeps),
    };
    return cmocka_run_group_tests_name("runtime_clock", tests, NULL, NULL);
}
