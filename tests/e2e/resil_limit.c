/* End to end: rate_limit on the fake clock — 1/s burst 1 with a 10 ms
 * wait, the default (unbounded) wait, rate inf, set_rate / set_burst /
 * allow through the accessor, 50 threads x 10 calls, and set_rate from
 * one thread reaching the callers on others. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "resil_limit.h"
#include "fx_test.h"

#define MS FX_TEST_MS
#define SEC (1000 * MS)

static fx_clock *clock_;
static fx_runtime *rt;
static atomic_int calls;

int service(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    (void)ctx;
    atomic_fetch_add(&calls, 1);
    *out = *in + 1;
    return 0;
}

static int setup(void **state)
{
    (void)state;
    clock_ = fx_clock_fake_new(0);
    rt = fx_runtime_new(&(fx_runtime_config){ .clock = clock_, .threads = 1 });
    atomic_store(&calls, 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fx_runtime_free(rt);
    fx_clock_free(clock_);
    return 0;
}

static void test_resil_limit_one_per_second(void **state)
{
    (void)state;
    resil_limit_one *p = resil_limit_one_new(rt);
    fx_ctx *ctx = fx_ctx_new();
    int64_t in = 1, out = 0;
    assert_int_equal(resil_limit_one_process(p, ctx, &in, &out), 0);
    assert_int_equal(out, 2);
    out = -1;
    assert_int_equal(resil_limit_one_process(p, ctx, &in, &out), FX_ERATE_LIMITED);   /* at once */
    assert_int_equal(out, -1);
    assert_int_equal(atomic_load(&calls), 1);          /* the stage was not called */
    char text[128];
    fx_error_format(fx_ctx_error(ctx), text, sizeof text);
    assert_string_equal(text, "rl: no token within 10ms");
    fx_clock_fake_advance(clock_, 1100 * MS);
    fx_ctx_reset(ctx);
    assert_int_equal(resil_limit_one_process(p, ctx, &in, &out), 0);
    assert_int_equal(atomic_load(&calls), 2);
    fx_ctx_free(ctx);
    resil_limit_one_free(p);
}

static void test_resil_limit_set_rate_burst_allow(void **state)
{
    (void)state;
    resil_limit_one *p = resil_limit_one_new(rt);
    fx_rate_limiter *rl = resil_limit_one_rl(p);
    fx_ctx *ctx = fx_ctx_new();
    int64_t in = 1, out = 0;
    assert_true(fx_rate_limiter_allow(rl));            /* takes the only token */
    assert_false(fx_rate_limiter_allow(rl));
    assert_int_equal(resil_limit_one_process(p, ctx, &in, &out), FX_ERATE_LIMITED);
    fx_rate_limiter_set_rate(rl, 1000.0);              /* a token per ms: one within the 10ms wait */
    fx_clock_fake_set_auto(clock_, true);
    fx_ctx_reset(ctx);
    assert_int_equal(resil_limit_one_process(p, ctx, &in, &out), 0);
    assert_int_equal(fx_clock_now(clock_), 1 * MS);
    fx_rate_limiter_set_burst(rl, 3);
    fx_clock_fake_advance(clock_, SEC);
    for (int i = 0; i < 3; i++) assert_true(fx_rate_limiter_allow(rl));
    assert_false(fx_rate_limiter_allow(rl));
    fx_rate_limiter_set_rate(rl, FX_RATE_INF);
    for (int i = 0; i < 100; i++) {
        fx_ctx_reset(ctx);
        assert_int_equal(resil_limit_one_process(p, ctx, &in, &out), 0);
    }
    fx_rate_limiter_set_rate(rl, 0.0);
    fx_rate_limiter_set_burst(rl, 0);
    fx_ctx_reset(ctx);
    assert_int_equal(resil_limit_one_process(p, ctx, &in, &out), FX_ERATE_LIMITED);
    fx_ctx_free(ctx);
    resil_limit_one_free(p);
}

static void test_resil_limit_inf_never_waits(void **state)
{
    (void)state;
    resil_limit_unlimited *p = resil_limit_unlimited_new(rt);
    fx_ctx *ctx = fx_ctx_new();
    for (int64_t i = 0; i < 1000; i++) {
        int64_t out = 0;
        assert_int_equal(resil_limit_unlimited_process(p, ctx, &i, &out), 0);
        assert_int_equal(out, i + 1);
    }
    assert_int_equal(fx_clock_now(clock_), 0);
    fx_ctx_free(ctx);
    resil_limit_unlimited_free(p);
}

static void test_resil_limit_default_wait_waits_for_the_token(void **state)
{
    (void)state;
    fx_clock_fake_set_auto(clock_, true);
    resil_limit_paced *p = resil_limit_paced_new(rt);   /* 600/m = 10/s, burst 10 */
    fx_ctx *ctx = fx_ctx_new();
    int64_t in = 1, out = 0;
    for (int i = 0; i < 15; i++) assert_int_equal(resil_limit_paced_process(p, ctx, &in, &out), 0);
    assert_int_equal(fx_clock_now(clock_), 500 * MS);  /* 10 from the bucket, 5 at 100ms each */
    fx_ctx_free(ctx);
    resil_limit_paced_free(p);

    /* wait: 0s never waits */
    resil_limit_strict *s = resil_limit_strict_new(rt);
    ctx = fx_ctx_new();
    assert_int_equal(resil_limit_strict_process(s, ctx, &in, &out), 0);
    assert_int_equal(resil_limit_strict_process(s, ctx, &in, &out), FX_ERATE_LIMITED);
    assert_int_equal(fx_clock_now(clock_), 500 * MS);
    fx_ctx_free(ctx);
    resil_limit_strict_free(s);
}

static void test_resil_limit_cancel_while_waiting(void **state)
{
    (void)state;
    resil_limit_paced *p = resil_limit_paced_new(rt);
    fx_rate_limiter *pl = resil_limit_paced_pl(p);
    for (int i = 0; i < 10; i++) assert_true(fx_rate_limiter_allow(pl));
    fx_ctx *ctx = fx_ctx_new();
    fx_ctx_cancel(ctx);
    int64_t in = 1, out = 0;
    assert_int_equal(resil_limit_paced_process(p, ctx, &in, &out), FX_ECANCELED);
    assert_int_equal(fx_ctx_error(ctx)->code, FX_ECANCELED);
    assert_int_equal(atomic_load(&calls), 0);
    fx_ctx_free(ctx);
    resil_limit_paced_free(p);
}

/* ---- 50 threads x 10 calls */

enum { THREADS = 50, CALLS = 10 };

typedef struct shared {
    int (*process)(void *p, fx_ctx *ctx, const int64_t *in, int64_t *out);
    void *p;
    atomic_int ok, limited, wrong;
} shared;

static int one_process(void *p, fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    return resil_limit_one_process(p, ctx, in, out);
}

static int paced_process(void *p, fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    return resil_limit_paced_process(p, ctx, in, out);
}

static void *worker(void *arg)
{
    shared *s = arg;
    fx_ctx *ctx = fx_ctx_new();
    for (int64_t i = 0; i < CALLS; i++) {
        int64_t out = 0;
        int rc = s->process(s->p, ctx, &i, &out);
        if (rc == 0 && out == i + 1) atomic_fetch_add(&s->ok, 1);
        else if (rc == FX_ERATE_LIMITED) atomic_fetch_add(&s->limited, 1);
        else atomic_fetch_add(&s->wrong, 1);
        fx_ctx_reset(ctx);
    }
    fx_ctx_free(ctx);
    return NULL;
}

static void run_threads(shared *s)
{
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) assert_int_equal(pthread_create(&t[i], NULL, worker, s), 0);
    for (int i = 0; i < THREADS; i++) assert_int_equal(pthread_join(t[i], NULL), 0);
}

static void test_resil_limit_many_threads(void **state)
{
    (void)state;
    /* time stands still: exactly the one token of the bucket is used */
    resil_limit_one *one = resil_limit_one_new(rt);
    shared a = { .process = one_process, .p = one };
    run_threads(&a);
    assert_int_equal(atomic_load(&a.ok), 1);
    assert_int_equal(atomic_load(&a.limited), THREADS * CALLS - 1);
    assert_int_equal(atomic_load(&a.wrong), 0);
    assert_int_equal(atomic_load(&calls), 1);
    resil_limit_one_free(one);

    /* every call waits its turn; the clock jumps to each token */
    fx_clock_fake_set_auto(clock_, true);
    atomic_store(&calls, 0);
    resil_limit_paced *paced = resil_limit_paced_new(rt);
    shared b = { .process = paced_process, .p = paced };
    run_threads(&b);
    assert_int_equal(atomic_load(&b.ok), THREADS * CALLS);
    assert_int_equal(atomic_load(&b.wrong), 0);
    assert_int_equal(atomic_load(&calls), THREADS * CALLS);
    assert_true(fx_clock_now(clock_) >= 49 * SEC);     /* 490 tokens earned at 10/s */
    resil_limit_paced_free(paced);
}

/* set_rate from one thread reaches the inline "rate inf" test of callers
 * on others: rounds of rate 0 (burst 0: nothing admitted) and inf, each
 * announced after set_rate returned (fx_test_control_rounds,
 * docs/RESILIENCE.md). */
static void zero_or_inf(void *arg, int round)
{
    fx_rate_limiter_set_rate(resil_limit_flip_fl(arg), round % 2 == 1 ? 0.0 : FX_RATE_INF);
}

static bool flip_answer_right(void *arg, fx_ctx *ctx, int round)
{
    int64_t in = 1, out = 0;
    int rc = resil_limit_flip_process(arg, ctx, &in, &out);
    return rc == (round % 2 == 1 ? FX_ERATE_LIMITED : 0) && (rc != 0 || out == 2);
}

static void test_resil_limit_set_rate_reaches_other_threads(void **state)
{
    (void)state;
    resil_limit_flip *p = resil_limit_flip_new(rt);
    assert_int_equal(fx_test_control_rounds(4, 400, zero_or_inf, flip_answer_right, p), 0);
    resil_limit_flip_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_resil_limit_one_per_second, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_limit_set_rate_burst_allow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_limit_inf_never_waits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_limit_default_wait_waits_for_the_token, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_limit_cancel_while_waiting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_limit_many_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_limit_set_rate_reaches_other_threads, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
