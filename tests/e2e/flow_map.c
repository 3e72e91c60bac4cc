/* End to end: map keeps order, fails fast with the item index, collects
 * errors in index order, honours its concurrency exactly, and stops early
 * when a sibling fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow_map.h"

#define MS ((int64_t)1000000)

int show_i64(fx_ctx *ctx, const int64_t *in, const char **out)
{
    *out = fx_sprintf(ctx, "%lld", (long long)*in);
    return 0;
}

int fail_on_3(fx_ctx *ctx, const int64_t *in, const char **out)
{
    if (*in == 3) return fx_fail(ctx, 9, "three is bad");
    return show_i64(ctx, in, out);
}

int show_or_fail_even(fx_ctx *ctx, const int64_t *in, const char **out)
{
    if (*in % 2 == 0) return fx_fail(ctx, 7, "%lld is even", (long long)*in);
    return show_i64(ctx, in, out);
}

int add_one(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    (void)ctx;
    *out = *in + 1;
    return 0;
}

int copy_str(fx_ctx *ctx, const char *const *in, const char **out)
{
    *out = fx_strdup(ctx, *in);
    return 0;
}

/* ---- in-flight tracking */
static atomic_int in_flight, max_in_flight, hold_for;

int track_in_flight(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    int now = atomic_fetch_add(&in_flight, 1) + 1;
    int seen = atomic_load(&max_in_flight);
    while (now > seen && !atomic_compare_exchange_weak(&max_in_flight, &seen, now)) {
    }
    /* Hold the slot until `hold_for` are in flight (bounded), so the
     * maximum reaches the limit whenever the pool can get there. */
    int64_t until = fx_clock_now(NULL) + 50 * MS;
    while (atomic_load(&in_flight) < atomic_load(&hold_for) && fx_clock_now(NULL) < until) sched_yield();
    fx_clock_sleep(NULL, ctx, 1 * MS);
    atomic_fetch_sub(&in_flight, 1);
    *out = *in * 10;
    return 0;
}

/* ---- early stop: item 0 fails once the others are running; they poll */
static atomic_int pollers_started, pollers_stopped_early;

int poll_until_done(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    if (*in == 0) {
        int64_t until = fx_clock_now(NULL) + 2000 * MS;
        while (atomic_load(&pollers_started) < 3 && fx_clock_now(NULL) < until) sched_yield();
        return fx_fail(ctx, 5, "first item fails");
    }
    atomic_fetch_add(&pollers_started, 1);
    int64_t until = fx_clock_now(NULL) + 5000 * MS;   /* "forever" unless cancelled */
    while (fx_clock_now(NULL) < until) {
        if (fx_ctx_done(ctx)) {
            atomic_fetch_add(&pollers_stopped_early, 1);
            return fx_ctx_err(ctx);
        }
        fx_clock_sleep(NULL, ctx, 1 * MS);
    }
    *out = *in;
    return 0;
}

/* ---- helpers */

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

static const int64_t one_to_five[] = { 1, 2, 3, 4, 5 };

static void test_flow_map_keeps_order(void **state)
{
    (void)state;
    flow_map_shown *p = flow_map_shown_new(rt4);
    fx_ctx *ctx = fx_ctx_new();
    fx_slice_i64 in = { (int64_t *)one_to_five, 5 };
    fx_slice_str out = { 0 };
    assert_int_equal(flow_map_shown_process(p, ctx, &in, &out), 0);
    assert_int_equal(out.len, 5);
    const char *want[] = { "1", "2", "3", "4", "5" };
    for (int i = 0; i < 5; i++) assert_string_equal(out.ptr[i], want[i]);

    /* many items, default concurrency (the runtime's threads) */
    int64_t many[1000];
    for (int i = 0; i < 1000; i++) many[i] = i;
    in = (fx_slice_i64){ many, 1000 };
    assert_int_equal(flow_map_shown_process(p, ctx, &in, &out), 0);
    assert_int_equal(out.len, 1000);
    char buf[16];
    for (int i = 0; i < 1000; i++) {
        snprintf(buf, sizeof buf, "%d", i);
        assert_string_equal(out.ptr[i], buf);
    }
    fx_ctx_free(ctx);
    flow_map_shown_free(p);
}

static void test_flow_map_empty_input_gives_empty_slice(void **state)
{
    (void)state;
    flow_map_shown *p = flow_map_shown_new(rt4);
    flow_map_collected *c = flow_map_collected_new(rt4);
    fx_ctx *ctx = fx_ctx_new();
    fx_slice_i64 in = { NULL, 0 };
    fx_slice_str out = { (const char **)one_to_five, 3 };   /* overwritten */
    assert_int_equal(flow_map_shown_process(p, ctx, &in, &out), 0);
    assert_int_equal(out.len, 0);
    out.len = 3;
    assert_int_equal(flow_map_collected_process(c, ctx, &in, &out), 0);
    assert_int_equal(out.len, 0);
    fx_ctx_free(ctx);
    flow_map_collected_free(c);
    flow_map_shown_free(p);
}

static void test_flow_map_fail_fast_reports_item_index(void **state)
{
    (void)state;
    flow_map_fast *p = flow_map_fast_new(rt4);
    fx_ctx *ctx = fx_ctx_new();
    fx_slice_i64 in = { (int64_t *)one_to_five, 5 };
    fx_slice_str out = { 0 };
    assert_int_equal(flow_map_fast_process(p, ctx, &in, &out), FX_EMAP_ITEM);
    assert_null(out.ptr);                               /* no results */
    assert_int_equal(out.len, 0);
    const fx_error *err = fx_ctx_error(ctx);
    assert_non_null(err);
    assert_int_equal(err->code, FX_EMAP_ITEM);
    assert_int_equal(err->index, 2);                    /* the item 3 */
    assert_true(fx_error_is(err, 9));
    assert_non_null(err->cause);
    assert_string_equal(err->cause->message, "three is bad");
    assert_string_equal(err->cause->stage, "fail3");
    char text[256];
    fx_error_format(err, text, sizeof text);
    assert_string_equal(text, "map: item 2 failed: fail3: three is bad");
    assert_false(fx_ctx_done(ctx));
    fx_ctx_free(ctx);
    flow_map_fast_free(p);
}

static void test_flow_map_collect_errors_returns_all_results(void **state)
{
    (void)state;
    flow_map_collected *p = flow_map_collected_new(rt4);
    fx_ctx *ctx = fx_ctx_new();
    fx_slice_i64 in = { (int64_t *)one_to_five, 5 };
    fx_slice_str out = { 0 };
    assert_int_equal(flow_map_collected_process(p, ctx, &in, &out), FX_EMULTI);
    assert_int_equal(out.len, 5);
    assert_string_equal(out.ptr[0], "1");
    assert_null(out.ptr[1]);
    assert_string_equal(out.ptr[2], "3");
    assert_null(out.ptr[3]);
    assert_string_equal(out.ptr[4], "5");
    const fx_error *err = fx_ctx_error(ctx);
    assert_int_equal(err->code, FX_EMULTI);
    assert_int_equal(err->count, 2);
    assert_int_equal(err->errors[0].index, 1);
    assert_int_equal(err->errors[0].code, 7);
    assert_string_equal(err->errors[0].message, "2 is even");
    assert_int_equal(err->errors[1].index, 3);
    assert_string_equal(err->errors[1].message, "4 is even");
    assert_true(fx_error_is(err, 7));
    char text[256];
    fx_error_format(err, text, sizeof text);
    assert_string_equal(text, "map: 2 of 5 items failed (2 errors: [1] even_fails: 2 is even; [3] even_fails: 4 is even)");

    /* no failure: no error */
    int64_t odd[] = { 1, 3, 5 };
    in = (fx_slice_i64){ odd, 3 };
    assert_int_equal(flow_map_collected_process(p, ctx, &in, &out), 0);
    assert_int_equal(out.len, 3);
    assert_string_equal(out.ptr[2], "5");
    fx_ctx_free(ctx);
    flow_map_collected_free(p);
}

/* The partial results of collect_errors travel through the chain it ends;
 * a chain it does not end stops there and leaves the output untouched. */
static void test_flow_map_collect_errors_through_chains(void **state)
{
    (void)state;
    flow_map_collected_tail *t = flow_map_collected_tail_new(rt4);
    flow_map_collected_head *h = flow_map_collected_head_new(rt4);
    fx_ctx *ctx = fx_ctx_new();
    fx_slice_i64 in = { (int64_t *)one_to_five, 5 };     /* +1: 2 3 4 5 6 */
    fx_slice_str out = { 0 };
    assert_int_equal(flow_map_collected_tail_process(t, ctx, &in, &out), FX_EMULTI);
    assert_int_equal(out.len, 5);
    assert_null(out.ptr[0]);
    assert_string_equal(out.ptr[1], "3");
    assert_int_equal(fx_ctx_error(ctx)->count, 3);
    fx_slice_str untouched = { (const char **)one_to_five, 42 };
    assert_int_equal(flow_map_collected_head_process(h, ctx, &in, &untouched), FX_EMULTI);
    assert_int_equal(untouched.len, 42);
    fx_ctx_free(ctx);
    flow_map_collected_head_free(h);
    flow_map_collected_tail_free(t);
}

static void run_limited(int limit, int n)
{
    atomic_store(&in_flight, 0);
    atomic_store(&max_in_flight, 0);
    atomic_store(&hold_for, limit);
    fx_ctx *ctx = fx_ctx_new();
    int64_t items[40];
    for (int i = 0; i < n; i++) items[i] = i;
    fx_slice_i64 in = { items, (size_t)n };
    fx_slice_i64 out = { 0 };
    if (limit == 2) {
        flow_map_limited *p = flow_map_limited_new(rt4);
        assert_int_equal(flow_map_limited_process(p, ctx, &in, &out), 0);
        flow_map_limited_free(p);
    } else {
        flow_map_limited3 *p = flow_map_limited3_new(rt4);
        assert_int_equal(flow_map_limited3_process(p, ctx, &in, &out), 0);
        flow_map_limited3_free(p);
    }
    assert_int_equal(out.len, n);
    for (int i = 0; i < n; i++) assert_int_equal(out.ptr[i], i * 10);
    assert_int_equal(atomic_load(&max_in_flight), limit);
    fx_ctx_free(ctx);
}

static void test_flow_map_concurrency_limit_is_exact(void **state)
{
    (void)state;
    run_limited(2, 20);
    run_limited(3, 30);
}

static void test_flow_map_siblings_stop_early_after_failure(void **state)
{
    (void)state;
    atomic_store(&pollers_started, 0);
    atomic_store(&pollers_stopped_early, 0);
    flow_map_polled *p = flow_map_polled_new(rt4);
    fx_ctx *ctx = fx_ctx_new();
    int64_t items[] = { 0, 1, 2, 3 };
    fx_slice_i64 in = { items, 4 };
    fx_slice_i64 out = { 0 };
    int64_t t0 = fx_clock_now(NULL);
    assert_int_equal(flow_map_polled_process(p, ctx, &in, &out), FX_EMAP_ITEM);
    assert_true(fx_clock_now(NULL) - t0 < 2000 * MS);  /* not the pollers' 5 s */
    assert_int_equal(fx_ctx_error(ctx)->index, 0);
    assert_true(fx_error_is(fx_ctx_error(ctx), 5));
    assert_int_equal(atomic_load(&pollers_stopped_early), 3);
    fx_ctx_free(ctx);
    flow_map_polled_free(p);
}

static void test_flow_map_done_ctx_runs_nothing(void **state)
{
    (void)state;
    flow_map_shown *p = flow_map_shown_new(rt4);
    fx_ctx *ctx = fx_ctx_new();
    fx_ctx_cancel(ctx);
    fx_slice_i64 in = { (int64_t *)one_to_five, 5 };
    fx_slice_str out = { 0 };
    assert_int_equal(flow_map_shown_process(p, ctx, &in, &out), FX_ECANCELED);
    assert_null(out.ptr);
    assert_int_equal(fx_ctx_error(ctx)->code, FX_ECANCELED);
    fx_ctx_free(ctx);
    flow_map_shown_free(p);
}

/* The instance on the default runtime, called from several threads at once. */
typedef struct caller {
    flow_map_collected *p;
    int bad;
    pthread_t thread;
} caller;

static void *call_many(void *arg)
{
    caller *c = arg;
    fx_ctx *ctx = fx_ctx_new();
    int64_t items[64];
    for (int i = 0; i < 64; i++) items[i] = i;
    fx_slice_i64 in = { items, 64 };
    for (int round = 0; round < 50; round++) {
        fx_slice_str out = { 0 };
        if (flow_map_collected_process(c->p, ctx, &in, &out) != FX_EMULTI) c->bad++;
        if (out.len != 64 || fx_ctx_error(ctx)->count != 32) c->bad++;
        for (int i = 1; i < 64; i += 2)
            if (out.ptr[i] == NULL || atoi(out.ptr[i]) != i) c->bad++;
        fx_ctx_reset(ctx);
    }
    fx_ctx_free(ctx);
    return NULL;
}

static void test_flow_map_instance_is_thread_safe(void **state)
{
    (void)state;
    flow_map_collected *p = flow_map_collected_new(NULL);
    caller callers[4];
    for (int i = 0; i < 4; i++) {
        callers[i] = (caller){ .p = p };
        assert_int_equal(pthread_create(&callers[i].thread, NULL, call_many, &callers[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(callers[i].thread, NULL), 0);
        assert_int_equal(callers[i].bad, 0);
    }
    flow_map_collected_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flow_map_keeps_order),
        cmocka_unit_test(test_flow_map_empty_input_gives_empty_slice),
        cmocka_unit_test(test_flow_map_fail_fast_reports_item_index),
        cmocka_unit_test(test_flow_map_collect_errors_returns_all_results),
        cmocka_unit_test(test_flow_map_collect_errors_through_chains),
        cmocka_unit_test(test_flow_map_concurrency_limit_is_exact),
        cmocka_unit_test(test_flow_map_siblings_stop_early_after_failure),
        cmocka_unit_test(test_flow_map_done_ctx_runs_nothing),
        cmocka_unit_test(test_flow_map_instance_is_thread_safe),
    };
    return cmocka_run_group_tests_name("flow_map", tests, setup, teardown);
}
