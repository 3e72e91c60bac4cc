/* End to end: circuit_breaker on the fake clock — threshold, rejection
 * without calling the stage, half-open after reset, success threshold,
 * half-open failure, in-flight limit, window mode, run-time control through
 * the accessor, 50 threads x 10 calls, and force_open/reset from one
 * thread reaching the callers on others. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "resil_breaker.h"
#include "fx_test.h"

#define MS FX_TEST_MS
#define SEC (1000 * MS)

enum { DOWN = 3, GATED = 1000 };

static fx_clock *clock_, *gate;
static fx_runtime *rt;
static atomic_int calls;

int service(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    atomic_fetch_add(&calls, 1);
    if (*in == GATED)
        (void)fx_clock_sleep(gate, NULL, SEC);     /* held until the test opens the gate */
    if (*in < 0)
        return fx_fail(ctx, DOWN, "service down");
    *out = *in * 2;
    return 0;
}

static int setup(void **state)
{
    (void)state;
    clock_ = fx_clock_fake_new(0);
    gate = fx_clock_fake_new(0);
    rt = fx_runtime_new(&(fx_runtime_config){ .clock = clock_, .threads = 1 });
    atomic_store(&calls, 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fx_runtime_free(rt);
    fx_clock_free(gate);
    fx_clock_free(clock_);
    return 0;
}

static int run_guarded(resil_breaker_guarded *p, int64_t in)
{
    fx_ctx *ctx = fx_ctx_new();
    int64_t out = 0;
    int rc = resil_breaker_guarded_process(p, ctx, &in, &out);
    if (rc == 0)
        assert_int_equal(out, in * 2);
    fx_ctx_free(ctx);
    return rc;
}

static void test_resil_breaker_two_failures_stay_closed(void **state)
{
    (void)state;
    resil_breaker_guarded *p = resil_breaker_guarded_new(rt);
    fx_circuit_breaker *cb = resil_breaker_guarded_cb(p);
    assert_int_equal(run_guarded(p, -1), DOWN);
    assert_int_equal(run_guarded(p, -1), DOWN);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_CLOSED);
    assert_int_equal(run_guarded(p, 5), 0);
    assert_int_equal(atomic_load(&calls), 3);
    resil_breaker_guarded_free(p);
}

static void test_resil_breaker_opens_and_rejects_without_calling(void **state)
{
    (void)state;
    resil_breaker_guarded *p = resil_breaker_guarded_new(rt);
    for (int i = 0; i < 3; i++) assert_int_equal(run_guarded(p, -1), DOWN);
    assert_int_equal(fx_circuit_breaker_state(resil_breaker_guarded_cb(p)), FX_CIRCUIT_OPEN);
    fx_ctx *ctx = fx_ctx_new();
    int64_t in = 5, out = -1;
    for (int i = 0; i < 10; i++) assert_int_equal(resil_breaker_guarded_process(p, ctx, &in, &out), FX_ECIRCUIT_OPEN);
    assert_int_equal(atomic_load(&calls), 3);          /* the stage was not called */
    assert_int_equal(out, -1);
    char text[128];
    fx_error_format(fx_ctx_error(ctx), text, sizeof text);
    assert_string_equal(text, "cb: circuit breaker is open");
    fx_ctx_free(ctx);
    resil_breaker_guarded_free(p);
}

static void test_resil_breaker_half_open_then_closed(void **state)
{
    (void)state;
    resil_breaker_guarded *p = resil_breaker_guarded_new(rt);
    fx_circuit_breaker *cb = resil_breaker_guarded_cb(p);
    for (int i = 0; i < 3; i++) run_guarded(p, -1);
    fx_clock_fake_advance(clock_, SEC - 1);
    assert_int_equal(run_guarded(p, 5), FX_ECIRCUIT_OPEN);
    fx_clock_fake_advance(clock_, 1);                   /* the reset time has passed */
    assert_int_equal(run_guarded(p, 5), 0);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_HALF_OPEN);
    assert_int_equal(run_guarded(p, 6), 0);             /* the second success closes it */
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_CLOSED);
    resil_breaker_guarded_free(p);
}

static void test_resil_breaker_half_open_failure_reopens(void **state)
{
    (void)state;
    resil_breaker_guarded *p = resil_breaker_guarded_new(rt);
    fx_circuit_breaker *cb = resil_breaker_guarded_cb(p);
    for (int i = 0; i < 3; i++) run_guarded(p, -1);
    fx_clock_fake_advance(clock_, SEC);
    assert_int_equal(run_guarded(p, 5), 0);
    assert_int_equal(run_guarded(p, -1), DOWN);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_OPEN);
    assert_int_equal(run_guarded(p, 5), FX_ECIRCUIT_OPEN);
    assert_int_equal(atomic_load(&calls), 5);
    resil_breaker_guarded_free(p);
}

typedef struct runner {
    resil_breaker_gated *p;
    int64_t in;
    int rc;
    pthread_t thread;
} runner;

static void *run_gated(void *arg)
{
    runner *r = arg;
    fx_ctx *ctx = fx_ctx_new();
    int64_t out = 0;
    r->rc = resil_breaker_gated_process(r->p, ctx, &r->in, &out);
    fx_ctx_free(ctx);
    return NULL;
}

static void test_resil_breaker_half_open_admits_limit_in_flight(void **state)
{
    (void)state;
    resil_breaker_gated *p = resil_breaker_gated_new(rt);
    fx_ctx *ctx = fx_ctx_new();
    int64_t in = -1, out = 0;
    assert_int_equal(resil_breaker_gated_process(p, ctx, &in, &out), DOWN);   /* open; reset 0s */
    runner r[2];
    for (int i = 0; i < 2; i++) {
        r[i] = (runner){ .p = p, .in = GATED, .rc = 1 };
        assert_int_equal(pthread_create(&r[i].thread, NULL, run_gated, &r[i]), 0);
    }
    assert_true(fx_test_wait_waiters(gate, 2));        /* both half-open calls are in flight */
    assert_int_equal(fx_circuit_breaker_state(resil_breaker_gated_hb(p)), FX_CIRCUIT_HALF_OPEN);
    in = 7;
    fx_ctx_reset(ctx);
    assert_int_equal(resil_breaker_gated_process(p, ctx, &in, &out), FX_ECIRCUIT_OPEN);   /* a third: no */
    assert_int_equal(atomic_load(&calls), 3);
    fx_clock_fake_advance(gate, SEC);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pthread_join(r[i].thread, NULL), 0);
        assert_int_equal(r[i].rc, 0);
    }
    fx_ctx_reset(ctx);
    assert_int_equal(resil_breaker_gated_process(p, ctx, &in, &out), 0);     /* a slot is free again */
    fx_ctx_free(ctx);
    resil_breaker_gated_free(p);
}

static void test_resil_breaker_window_trips_after_min_calls(void **state)
{
    (void)state;
    resil_breaker_windowed *p = resil_breaker_windowed_new(rt);
    fx_circuit_breaker *wb = resil_breaker_windowed_wb(p);
    fx_ctx *ctx = fx_ctx_new();
    int64_t out;
    /* 9 failing calls: 100% but only 9 of the 10 needed */
    for (int i = 0; i < 9; i++) {
        int64_t in = -1;
        assert_int_equal(resil_breaker_windowed_process(p, ctx, &in, &out), DOWN);
        fx_ctx_reset(ctx);
        fx_clock_fake_advance(clock_, 100 * MS);
    }
    assert_int_equal(fx_circuit_breaker_state(wb), FX_CIRCUIT_CLOSED);
    fx_circuit_breaker_reset(wb);
    /* 4 failures, 5 successes: 4/9; then a success, 4/10 = 40%: closed */
    for (int i = 0; i < 10; i++) {
        int64_t in = i < 4 ? -1 : 1;
        resil_breaker_windowed_process(p, ctx, &in, &out);
        fx_ctx_reset(ctx);
    }
    assert_int_equal(fx_circuit_breaker_state(wb), FX_CIRCUIT_CLOSED);
    int64_t bad = -1;
    resil_breaker_windowed_process(p, ctx, &bad, &out);   /* 5/11 */
    assert_int_equal(fx_circuit_breaker_state(wb), FX_CIRCUIT_CLOSED);
    resil_breaker_windowed_process(p, ctx, &bad, &out);   /* 6/12 = 50% */
    assert_int_equal(fx_circuit_breaker_state(wb), FX_CIRCUIT_OPEN);
    fx_ctx_free(ctx);
    resil_breaker_windowed_free(p);
}

static void test_resil_breaker_run_time_control(void **state)
{
    (void)state;
    resil_breaker_guarded *p = resil_breaker_guarded_new(rt);
    fx_circuit_breaker *cb = resil_breaker_guarded_cb(p);
    fx_circuit_breaker_force_open(cb);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_OPEN);
    assert_int_equal(run_guarded(p, 5), FX_ECIRCUIT_OPEN);
    fx_clock_fake_advance(clock_, 60 * SEC);
    assert_int_equal(run_guarded(p, 5), FX_ECIRCUIT_OPEN);   /* held open */
    fx_circuit_breaker_reset(cb);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_CLOSED);
    assert_int_equal(run_guarded(p, 5), 0);
    assert_int_equal(atomic_load(&calls), 1);
    resil_breaker_guarded_free(p);
}

static void test_resil_breaker_nested_accessor_and_defaults(void **state)
{
    (void)state;
    resil_breaker_outer *o = resil_breaker_outer_new(rt);
    resil_breaker_guarded *g = resil_breaker_guarded_new(rt);
    /* the nested pipeline's breaker belongs to the outer instance */
    assert_non_null(resil_breaker_outer_cb(o));
    assert_ptr_not_equal(resil_breaker_outer_cb(o), resil_breaker_guarded_cb(g));
    fx_circuit_breaker_force_open(resil_breaker_outer_cb(o));
    fx_ctx *ctx = fx_ctx_new();
    int64_t in = 1, out = 0;
    assert_int_equal(resil_breaker_outer_process(o, ctx, &in, &out), FX_ECIRCUIT_OPEN);
    fx_ctx_reset(ctx);
    assert_int_equal(run_guarded(g, 1), 0);
    /* plain: FX_CIRCUIT_DEFAULT_FAILURES consecutive failures open it */
    resil_breaker_plain *pl = resil_breaker_plain_new(rt);
    in = -1;
    for (int i = 0; i < FX_CIRCUIT_DEFAULT_FAILURES; i++) {
        assert_int_equal(resil_breaker_plain_process(pl, ctx, &in, &out), DOWN);
        fx_ctx_reset(ctx);
    }
    assert_int_equal(resil_breaker_plain_process(pl, ctx, &in, &out), FX_ECIRCUIT_OPEN);
    fx_ctx_free(ctx);
    resil_breaker_plain_free(pl);
    resil_breaker_guarded_free(g);
    resil_breaker_outer_free(o);
}

/* ---- 50 threads x 10 calls */

enum { THREADS = 50, CALLS = 10 };

typedef struct shared {
    resil_breaker_guarded *p;
    int64_t in;
    atomic_int ok, down, open, wrong;
} shared;

static void *worker(void *arg)
{
    shared *s = arg;
    fx_ctx *ctx = fx_ctx_new();
    for (int i = 0; i < CALLS; i++) {
        int64_t in = s->in < 0 ? s->in : s->in + i, out = 0;
        int rc = resil_breaker_guarded_process(s->p, ctx, &in, &out);
        if (rc == 0 && out == in * 2) atomic_fetch_add(&s->ok, 1);
        else if (rc == DOWN) atomic_fetch_add(&s->down, 1);
        else if (rc == FX_ECIRCUIT_OPEN) atomic_fetch_add(&s->open, 1);
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

static void test_resil_breaker_many_threads(void **state)
{
    (void)state;
    resil_breaker_guarded *p = resil_breaker_guarded_new(rt);
    shared ok = { .p = p, .in = 1 };
    run_threads(&ok);
    assert_int_equal(atomic_load(&ok.ok), THREADS * CALLS);
    assert_int_equal(atomic_load(&calls), THREADS * CALLS);
    assert_int_equal(fx_circuit_breaker_state(resil_breaker_guarded_cb(p)), FX_CIRCUIT_CLOSED);

    atomic_store(&calls, 0);
    shared bad = { .p = p, .in = -1 };
    run_threads(&bad);
    int down = atomic_load(&bad.down), open = atomic_load(&bad.open);
    assert_int_equal(down + open, THREADS * CALLS);
    assert_int_equal(atomic_load(&bad.wrong), 0);
    assert_int_equal(down, atomic_load(&calls));        /* every call that ran failed, no other did */
    assert_true(down >= 3);
    assert_true(open > 0);
    assert_int_equal(fx_circuit_breaker_state(resil_breaker_guarded_cb(p)), FX_CIRCUIT_OPEN);
    resil_breaker_guarded_free(p);
}

/* force_open and reset from one thread reach the inline closed path of
 * callers on others: in rounds announced after the control call returned,
 * a call that started after it is rejected (forced open) or runs (reset)
 * (fx_test_control_rounds). */
static void force_open_or_reset(void *arg, int round)
{
    fx_circuit_breaker *cb = resil_breaker_guarded_cb(arg);
    if (round % 2 == 1)
        fx_circuit_breaker_force_open(cb);
    else
        fx_circuit_breaker_reset(cb);
}

static bool guarded_answer_right(void *arg, fx_ctx *ctx, int round)
{
    int64_t in = 4, out = 0;
    int rc = resil_breaker_guarded_process(arg, ctx, &in, &out);
    return rc == (round % 2 == 1 ? FX_ECIRCUIT_OPEN : 0) && (rc != 0 || out == 8);
}

static void test_resil_breaker_control_reaches_other_threads(void **state)
{
    (void)state;
    resil_breaker_guarded *p = resil_breaker_guarded_new(rt);
    assert_int_equal(fx_test_control_rounds(4, 400, force_open_or_reset, guarded_answer_right, p), 0);
    assert_int_equal(fx_circuit_breaker_state(resil_breaker_guarded_cb(p)), FX_CIRCUIT_CLOSED);
    resil_breaker_guarded_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_resil_breaker_two_failures_stay_closed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_breaker_opens_and_rejects_without_calling, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_breaker_half_open_then_closed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_breaker_half_open_failure_reopens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_breaker_half_open_admits_limit_in_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_breaker_window_trips_after_min_calls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_breaker_run_time_control, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_breaker_nested_accessor_and_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_breaker_many_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_breaker_control_reaches_other_threads, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
