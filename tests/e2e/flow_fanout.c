/* End to end: fanout (order, first error, cancellation, limit), fanin,
 * parallel, router (selection order, concurrency, no match, bad index,
 * route error), and a map inside a fanout inside a map on 2 threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "flow_fanout.h"

#define MS ((int64_t)1000000)

#define TIMES(k)                                                  \
    int times_##k(fx_ctx *ctx, const int64_t *in, int64_t *out)   \
    {                                                             \
        (void)ctx;                                                \
        *out = *in * k;                                           \
        return 0;                                                 \
    }
TIMES(1)
TIMES(2)
TIMES(3)
TIMES(4)
TIMES(5)

static atomic_int stopped_early, waiter_started;
static atomic_bool expect_waiter;   /* fail_12 first lets wait_for_cancel start */

int fail_12(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    (void)in;
    (void)out;
    int64_t until = fx_clock_now(NULL) + 2000 * MS;
    while (atomic_load(&expect_waiter) && !atomic_load(&waiter_started) && fx_clock_now(NULL) < until)
        sched_yield();
    return fx_fail(ctx, 12, "stage broke");
}

/* Runs "forever" (5 s) unless its context is cancelled. */
int wait_for_cancel(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    atomic_store(&waiter_started, 1);
    int rc = fx_clock_sleep(NULL, ctx, 5000 * MS);
    if (rc != 0) {
        atomic_fetch_add(&stopped_early, 1);
        return rc;
    }
    *out = *in;
    return 0;
}

static atomic_int in_flight, max_in_flight, hold_for;

int meet_others(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    int now = atomic_fetch_add(&in_flight, 1) + 1;
    int seen = atomic_load(&max_in_flight);
    while (now > seen && !atomic_compare_exchange_weak(&max_in_flight, &seen, now)) {
    }
    int64_t until = fx_clock_now(NULL) + 50 * MS;
    while (atomic_load(&in_flight) < atomic_load(&hold_for) && fx_clock_now(NULL) < until) sched_yield();
    fx_clock_sleep(NULL, ctx, 1 * MS);
    atomic_fetch_sub(&in_flight, 1);
    *out = *in;
    return 0;
}

int sum_all(fx_ctx *ctx, const fx_slice_i64 *in, int64_t *out)
{
    int64_t s = 0;
    for (size_t i = 0; i < in->len; i++) {
        if (in->ptr[i] < 0) return fx_fail(ctx, 13, "negative input %lld", (long long)in->ptr[i]);
        s += in->ptr[i];
    }
    *out = s;
    return 0;
}

int pick_routes(fx_ctx *ctx, const int64_t *in, fx_slice_u32 *out)
{
    static const uint32_t picks[][4] = {
        { 0 }, { 1 }, { 1, 0 }, { 0, 7 }, { 0, 2, 3 }, { 0, 1, 2, 3 },
    };
    static const size_t lens[] = { 0, 1, 2, 2, 3, 4 };
    uint32_t *p = fx_alloc(ctx, 4 * sizeof *p);
    memcpy(p, picks[*in], sizeof picks[0]);
    *out = (fx_slice_u32){ p, lens[*in] };
    return 0;
}

int expand_3(fx_ctx *ctx, const int64_t *in, fx_slice_i64 *out)
{
    int64_t *p = fx_alloc(ctx, 3 * sizeof *p);
    for (int i = 0; i < 3; i++) p[i] = *in + i;
    *out = (fx_slice_i64){ p, 3 };
    return 0;
}

static fx_runtime *rt4;

static int setup(void **state)
{
    (void)state;
    rt4 = fx_runtime_new(&(fx_runtime_config){ .threads = 4 });
    return rt4 == NULL;
}

static int teardown(void **state)
{
    (void)state;
    fx_runtime_free(rt4);
    return 0;
}

/* ------------------------------------------------------------ fanout */

static void test_flow_fanout_results_in_stage_order(void **state)
{
    (void)state;
    flow_fanout_fan *p = flow_fanout_fan_new(rt4);
    fx_ctx *ctx = fx_ctx_new();
    for (int64_t x = 1; x < 50; x++) {
        int64_t in = x;
        fx_slice_i64 out = { 0 };
        assert_int_equal(flow_fanout_fan_process(p, ctx, &in, &out), 0);
        assert_int_equal(out.len, 3);
        assert_int_equal(out.ptr[0], x);
        assert_int_equal(out.ptr[1], 2 * x);
        assert_int_equal(out.ptr[2], 3 * x);
    }
    fx_ctx_free(ctx);
    flow_fanout_fan_free(p);
}

static void test_flow_fanout_error_names_failing_stage(void **state)
{
    (void)state;
    atomic_store(&stopped_early, 0);
    atomic_store(&waiter_started, 0);
    atomic_store(&expect_waiter, true);
    flow_fanout_fan_fail *p = flow_fanout_fan_fail_new(rt4);
    fx_ctx *ctx = fx_ctx_new();
    int64_t in = 1;
    fx_slice_i64 out = { 0 };
    int64_t t0 = fx_clock_now(NULL);
    assert_int_equal(flow_fanout_fan_fail_process(p, ctx, &in, &out), FX_EFANOUT);
    assert_true(fx_clock_now(NULL) - t0 < 2000 * MS);    /* `waits` was cancelled */
    assert_int_equal(atomic_load(&stopped_early), 1);
    assert_null(out.ptr);
    const fx_error *err = fx_ctx_error(ctx);
    assert_int_equal(err->code, FX_EFANOUT);
    assert_int_equal(err->index, 1);
    assert_true(fx_error_is(err, 12));
    assert_int_equal(err->cause->code, 12);
    assert_string_equal(err->cause->stage, "fails");
    char text[256];
    fx_error_format(err, text, sizeof text);
    assert_string_equal(text, "fanout: stage 1 failed: fails: stage broke");
    atomic_store(&expect_waiter, false);
    fx_ctx_free(ctx);
    flow_fanout_fan_fail_free(p);
}

static void test_flow_fanout_done_ctx_runs_no_stage(void **state)
{
    (void)state;
    atomic_store(&stopped_early, 0);
    flow_fanout_fan_fail *p = flow_fanout_fan_fail_new(rt4);
    fx_ctx *ctx = fx_ctx_new();
    fx_ctx_cancel(ctx);
    int64_t in = 1;
    fx_slice_i64 out = { 0 };
    assert_int_equal(flow_fanout_fan_fail_process(p, ctx, &in, &out), FX_ECANCELED);
    assert_int_equal(fx_ctx_error(ctx)->code, FX_ECANCELED);
    assert_int_equal(atomic_load(&stopped_early), 0);
    fx_ctx_free(ctx);
    flow_fanout_fan_fail_free(p);
}

static void test_flow_fanout_concurrency_limit(void **state)
{
    (void)state;
    atomic_store(&in_flight, 0);
    atomic_store(&max_in_flight, 0);
    atomic_store(&hold_for, 2);
    flow_fanout_fan_meet *p = flow_fanout_fan_meet_new(rt4);
    fx_ctx *ctx = fx_ctx_new();
    int64_t in = 7;
    fx_slice_i64 out = { 0 };
    assert_int_equal(flow_fanout_fan_meet_process(p, ctx, &in, &out), 0);
    assert_int_equal(out.len, 4);
    assert_int_equal(atomic_load(&max_in_flight), 2);
    fx_ctx_free(ctx);
    flow_fanout_fan_meet_free(p);
}

/* ------------------------------------------------------------ fanin, parallel */

static void test_flow_fanout_fanin_sums(void **state)
{
    (void)state;
    flow_fanout_summed *p = flow_fanout_summed_new(rt4);
    fx_ctx *ctx = fx_ctx_new();
    int64_t items[] = { 1, 2, 3, 4, 5 };
    fx_slice_i64 in = { items, 5 };
    int64_t out = -1;
    assert_int_equal(flow_fanout_summed_process(p, ctx, &in, &out), 0);
    assert_int_equal(out, 15);
    in.len = 0;                                     /* empty input */
    assert_int_equal(flow_fanout_summed_process(p, ctx, &in, &out), 0);
    assert_int_equal(out, 0);
    items[2] = -3;                                  /* the aggregator fails */
    in.len = 5;
    out = 99;
    assert_int_equal(flow_fanout_summed_process(p, ctx, &in, &out), 13);
    assert_int_equal(out, 99);
    assert_string_equal(fx_ctx_error(ctx)->message, "negative input -3");
    assert_string_equal(fx_ctx_error(ctx)->stage, "sum");
    fx_ctx_free(ctx);
    flow_fanout_summed_free(p);
}

static void test_flow_fanout_parallel_reduces(void **state)
{
    (void)state;
    flow_fanout_par *p = flow_fanout_par_new(rt4);
    flow_fanout_par_fail *f = flow_fanout_par_fail_new(rt4);
    flow_fanout_fan_sum *s = flow_fanout_fan_sum_new(rt4);
    fx_ctx *ctx = fx_ctx_new();
    int64_t in = 2, out = 0;
    assert_int_equal(flow_fanout_par_process(p, ctx, &in, &out), 0);
    assert_int_equal(out, 2 * (1 + 2 + 3 + 4 + 5));
    assert_int_equal(flow_fanout_fan_sum_process(s, ctx, &in, &out), 0);
    assert_int_equal(out, 6);
    assert_int_equal(flow_fanout_par_fail_process(f, ctx, &in, &out), FX_EFANOUT);
    assert_int_equal(fx_ctx_error(ctx)->index, 1);
    assert_true(fx_error_is(fx_ctx_error(ctx), 12));
    fx_ctx_free(ctx);
    flow_fanout_fan_sum_free(s);
    flow_fanout_par_fail_free(f);
    flow_fanout_par_free(p);
}

/* ------------------------------------------------------------ router */

static int route(flow_fanout_routed *p, fx_ctx *ctx, int64_t sel, fx_slice_i64 *out)
{
    return flow_fanout_routed_process(p, ctx, &sel, out);
}

static void test_flow_fanout_router_routes(void **state)
{
    (void)state;
    flow_fanout_routed *p = flow_fanout_routed_new(rt4);
    fx_ctx *ctx = fx_ctx_new();
    fx_slice_i64 out = { 0 };
    /* single route: times2 on 1 */
    assert_int_equal(route(p, ctx, 1, &out), 0);
    assert_int_equal(out.len, 1);
    assert_int_equal(out.ptr[0], 2);
    /* two routes, in selection order: times2 then times1 on 2 */
    assert_int_equal(route(p, ctx, 2, &out), 0);
    assert_int_equal(out.len, 2);
    assert_int_equal(out.ptr[0], 4);
    assert_int_equal(out.ptr[1], 2);
    fx_ctx_free(ctx);
    flow_fanout_routed_free(p);
}

static void test_flow_fanout_router_no_match_and_bad_index(void **state)
{
    (void)state;
    flow_fanout_routed *p = flow_fanout_routed_new(rt4);
    fx_ctx *ctx = fx_ctx_new();
    fx_slice_i64 out = { 0 };
    assert_int_equal(route(p, ctx, 0, &out), FX_ENOROUTE);
    assert_int_equal(fx_ctx_error(ctx)->code, FX_ENOROUTE);
    assert_null(out.ptr);
    assert_int_equal(route(p, ctx, 3, &out), FX_EINVAL);
    const fx_error *err = fx_ctx_error(ctx);
    assert_int_equal(err->index, 1);
    assert_string_equal(err->message, "selector returned route index 7, but there are 4 routes");
    assert_null(out.ptr);
    fx_ctx_free(ctx);
    flow_fanout_routed_free(p);
}

static void test_flow_fanout_router_route_error_names_selection(void **state)
{
    (void)state;
    atomic_store(&stopped_early, 0);
    atomic_store(&waiter_started, 0);
    atomic_store(&expect_waiter, true);
    flow_fanout_routed *p = flow_fanout_routed_new(rt4);
    fx_ctx *ctx = fx_ctx_new();
    fx_slice_i64 out = { 0 };
    int64_t t0 = fx_clock_now(NULL);
    assert_int_equal(route(p, ctx, 4, &out), FX_EFANOUT);     /* [0, 2, 3]: route 2 fails */
    assert_true(fx_clock_now(NULL) - t0 < 2000 * MS);
    assert_int_equal(atomic_load(&stopped_early), 1);         /* route 3 was cancelled */
    const fx_error *err = fx_ctx_error(ctx);
    assert_int_equal(err->index, 1);
    assert_true(fx_error_is(err, 12));
    char text[256];
    fx_error_format(err, text, sizeof text);
    assert_string_equal(text, "router: route 2 (selection 1) failed: fails: stage broke");
    atomic_store(&expect_waiter, false);
    fx_ctx_free(ctx);
    flow_fanout_routed_free(p);
}

static void test_flow_fanout_router_concurrency(void **state)
{
    (void)state;
    flow_fanout_routed_meet *p = flow_fanout_routed_meet_new(rt4);
    fx_ctx *ctx = fx_ctx_new();
    fx_slice_i64 out = { 0 };
    /* [1, 0]: both routes run at once */
    atomic_store(&in_flight, 0);
    atomic_store(&max_in_flight, 0);
    atomic_store(&hold_for, 2);
    int64_t sel = 2;
    assert_int_equal(flow_fanout_routed_meet_process(p, ctx, &sel, &out), 0);
    assert_int_equal(out.len, 2);
    assert_int_equal(atomic_load(&max_in_flight), 2);
    /* [0, 1, 2, 3] with concurrency 2: never more than 2 */
    atomic_store(&max_in_flight, 0);
    atomic_store(&hold_for, 3);                  /* would go past 2 if allowed */
    sel = 5;
    assert_int_equal(flow_fanout_routed_meet_process(p, ctx, &sel, &out), 0);
    assert_int_equal(out.len, 4);
    assert_int_equal(atomic_load(&max_in_flight), 2);
    fx_ctx_free(ctx);
    flow_fanout_routed_meet_free(p);
}

/* ------------------------------------------------------------ nesting */

static void test_flow_fanout_nested_map_fanout_map_on_two_threads(void **state)
{
    (void)state;
    fx_runtime *rt2 = fx_runtime_new(&(fx_runtime_config){ .threads = 2 });
    flow_fanout_nested *p = flow_fanout_nested_new(rt2);
    fx_ctx *ctx = fx_ctx_new();
    int64_t items[16];
    for (int i = 0; i < 16; i++) items[i] = i * 10;
    fx_slice_i64 in = { items, 16 };
    for (int round = 0; round < 20; round++) {
        fx_slice_slice_slice_i64 out = { 0 };
        assert_int_equal(flow_fanout_nested_process(p, ctx, &in, &out), 0);
        assert_int_equal(out.len, 16);
        for (int i = 0; i < 16; i++) {
            assert_int_equal(out.ptr[i].len, 2);
            for (int b = 0; b < 2; b++) {
                assert_int_equal(out.ptr[i].ptr[b].len, 3);
                for (int j = 0; j < 3; j++) assert_int_equal(out.ptr[i].ptr[b].ptr[j], (i * 10 + j) * (b + 2));
            }
        }
        fx_ctx_reset(ctx);
    }
    fx_ctx_free(ctx);
    flow_fanout_nested_free(p);
    fx_runtime_free(rt2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flow_fanout_results_in_stage_order),
        cmocka_unit_test(test_flow_fanout_error_names_failing_stage),
        cmocka_unit_test(test_flow_fanout_done_ctx_runs_no_stage),
        cmocka_unit_test(test_flow_fanout_concurrency_limit),
        cmocka_unit_test(test_flow_fanout_fanin_sums),
        cmocka_unit_test(test_flow_fanout_parallel_reduces),
        cmocka_unit_test(test_flow_fanout_router_routes),
        cmocka_unit_test(test_flow_fanout_router_no_match_and_bad_index),
        cmocka_unit_test(test_flow_fanout_router_route_error_names_selection),
        cmocka_unit_test(test_flow_fanout_router_concurrency),
        cmocka_unit_test(test_flow_fanout_nested_map_fanout_map_on_two_threads),
    };
    return cmocka_run_group_tests_name("flow_fanout", tests, setup, teardown);
}
