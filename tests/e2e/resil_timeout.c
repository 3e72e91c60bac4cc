/* End to end: timeout on the fake clock — a slow stage, a fast stage, a
 * parent cancelled first or while the stage runs, a parent deadline that
 * comes first, and a stage that ignores its context. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "resil_timeout.h"
#include "fx_test.h"

#define MS FX_TEST_MS

static fx_clock *clock_;
static fx_runtime *rt;
static int calls;

int nap_ms(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    calls++;
    int rc = fx_clock_sleep(fx_ctx_clock(ctx), ctx, *in * MS);
    if (rc != 0)
        return rc;
    *out = *in + 1;
    return 0;
}

int ignore_ctx(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    (void)ctx;
    calls++;
    fx_clock_fake_advance(clock_, *in * MS);
    *out = *in;
    return 0;
}

static int setup(void **state)
{
    (void)state;
    clock_ = fx_clock_fake_new(0);
    fx_clock_fake_set_auto(clock_, true);
    rt = fx_runtime_new(&(fx_runtime_config){ .clock = clock_, .threads = 1 });
    calls = 0;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fx_runtime_free(rt);
    fx_clock_free(clock_);
    return 0;
}

static void test_resil_timeout_slow_stage(void **state)
{
    (void)state;
    resil_timeout_guarded *p = resil_timeout_guarded_new(rt);
    fx_ctx *ctx = fx_ctx_new();
    int64_t in = 100, out = -1;
    assert_int_equal(resil_timeout_guarded_process(p, ctx, &in, &out), FX_ETIMEOUT);
    assert_int_equal(out, -1);
    assert_int_equal(fx_clock_now(clock_), 30 * MS);   /* the sleep ended at the deadline */
    const fx_error *err = fx_ctx_error(ctx);
    assert_int_equal(err->code, FX_ETIMEOUT);
    assert_string_equal(err->message, "stage timed out after 30ms");
    assert_non_null(err->cause);
    assert_int_equal(err->cause->code, FX_EDEADLINE);
    char text[256];
    fx_error_format(err, text, sizeof text);
    assert_string_equal(text, "timeout: stage timed out after 30ms: nap: context deadline exceeded");
    assert_int_equal(fx_ctx_err(ctx), 0);              /* the caller's context is untouched */
    fx_ctx_free(ctx);
    resil_timeout_guarded_free(p);
}

static void test_resil_timeout_fast_stage(void **state)
{
    (void)state;
    resil_timeout_guarded *p = resil_timeout_guarded_new(rt);
    fx_ctx *ctx = fx_ctx_new();
    int64_t in = 29, out = 0;
    assert_int_equal(resil_timeout_guarded_process(p, ctx, &in, &out), 0);
    assert_int_equal(out, 30);
    assert_null(fx_ctx_error(ctx));
    fx_ctx_free(ctx);
    resil_timeout_guarded_free(p);
}

static void test_resil_timeout_parent_cancelled_first(void **state)
{
    (void)state;
    resil_timeout_guarded *p = resil_timeout_guarded_new(rt);
    fx_ctx *ctx = fx_ctx_new();
    fx_ctx_cancel(ctx);
    int64_t in = 100, out = 0;
    assert_int_equal(resil_timeout_guarded_process(p, ctx, &in, &out), FX_ECANCELED);
    assert_int_equal(calls, 0);
    assert_int_equal(fx_ctx_error(ctx)->code, FX_ECANCELED);
    assert_int_equal(fx_clock_now(clock_), 0);
    fx_ctx_free(ctx);
    resil_timeout_guarded_free(p);
}

typedef struct runner {
    resil_timeout_guarded *p;
    fx_ctx *ctx;
    int rc;
    pthread_t thread;
} runner;

static void *run(void *arg)
{
    runner *r = arg;
    int64_t in = 100, out = 0;
    r->rc = resil_timeout_guarded_process(r->p, r->ctx, &in, &out);
    return NULL;
}

static void test_resil_timeout_parent_cancelled_while_running(void **state)
{
    (void)state;
    fx_clock_fake_set_auto(clock_, false);
    resil_timeout_guarded *p = resil_timeout_guarded_new(rt);
    runner r = { .p = p, .ctx = fx_ctx_new(), .rc = 1 };
    assert_int_equal(pthread_create(&r.thread, NULL, run, &r), 0);
    assert_true(fx_test_wait_waiters(clock_, 1));
    fx_ctx_cancel(r.ctx);
    assert_int_equal(pthread_join(r.thread, NULL), 0);
    assert_int_equal(r.rc, FX_ECANCELED);               /* not a timeout */
    assert_int_equal(fx_ctx_error(r.ctx)->code, FX_ECANCELED);
    assert_string_equal(fx_ctx_error(r.ctx)->stage, "nap");
    fx_ctx_free(r.ctx);
    resil_timeout_guarded_free(p);
}

static void test_resil_timeout_parent_deadline_first(void **state)
{
    (void)state;
    resil_timeout_guarded *p = resil_timeout_guarded_new(rt);
    fx_ctx *root = fx_ctx_new_clock(clock_);
    fx_ctx *ctx = fx_ctx_with_timeout(root, 10 * MS);   /* before the 30ms of the timeout */
    int64_t in = 100, out = 0;
    assert_int_equal(resil_timeout_guarded_process(p, ctx, &in, &out), FX_EDEADLINE);
    assert_int_equal(fx_ctx_error(ctx)->code, FX_EDEADLINE);
    assert_int_equal(fx_clock_now(clock_), 10 * MS);
    fx_ctx_free(ctx);
    fx_ctx_free(root);
    resil_timeout_guarded_free(p);
}

static void test_resil_timeout_late_success_is_a_timeout(void **state)
{
    (void)state;
    resil_timeout_careless *p = resil_timeout_careless_new(rt);
    fx_ctx *ctx = fx_ctx_new();
    int64_t in = 50, out = -1;
    assert_int_equal(resil_timeout_careless_process(p, ctx, &in, &out), FX_ETIMEOUT);
    assert_int_equal(out, -1);                          /* the late result is dropped */
    assert_null(fx_ctx_error(ctx)->cause);
    in = 10;
    fx_ctx_reset(ctx);
    assert_int_equal(resil_timeout_careless_process(p, ctx, &in, &out), 0);
    assert_int_equal(out, 10);
    fx_ctx_free(ctx);
    resil_timeout_careless_free(p);
}

static void test_resil_timeout_each_try_has_its_own(void **state)
{
    (void)state;
    resil_timeout_twice *p = resil_timeout_twice_new(rt);
    fx_ctx *ctx = fx_ctx_new();
    int64_t in = 100, out = 0;
    assert_int_equal(resil_timeout_twice_process(p, ctx, &in, &out), FX_ERETRY_EXHAUSTED);
    assert_int_equal(calls, 2);
    assert_int_equal(fx_clock_now(clock_), 60 * MS);
    assert_int_equal(fx_ctx_error(ctx)->cause->code, FX_ETIMEOUT);
    fx_ctx_free(ctx);
    resil_timeout_twice_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_resil_timeout_slow_stage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_timeout_fast_stage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_timeout_parent_cancelled_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_timeout_parent_cancelled_while_running, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_timeout_parent_deadline_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_timeout_late_success_is_a_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_timeout_each_try_has_its_own, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
