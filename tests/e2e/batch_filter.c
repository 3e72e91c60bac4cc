/* End to end: filter keeps, drops (FX_EFILTERED, the input in the output,
 * an FX_EVENT_FILTERED event) and propagates predicate errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "batch_filter.h"

static int predicate_calls, bump_calls;

int is_even_number(fx_ctx *ctx, const int64_t *in, bool *out)
{
    predicate_calls++;
    if (*in < 0)
        return fx_fail(ctx, 13, "negative: %lld", (long long)*in);
    *out = *in % 2 == 0;
    return 0;
}

int is_big_order(fx_ctx *ctx, const Order *in, bool *out)
{
    (void)ctx;
    *out = in->id >= 100;
    return 0;
}

int bump_number(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    (void)ctx;
    bump_calls++;
    *out = *in + 1;
    return 0;
}

static void test_batch_filter_keeps_true_items(void **state)
{
    (void)state;
    batch_filter_evens *p = batch_filter_evens_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    int64_t in = 4, out = 0;
    assert_int_equal(batch_filter_evens_process(p, ctx, &in, &out), 0);
    assert_int_equal(out, 4);
    assert_null(fx_ctx_error(ctx));
    fx_ctx_free(ctx);
    batch_filter_evens_free(p);
}

/* A dropped item: FX_EFILTERED with the input in the output (SPEC 5.4),
 * through the pipeline whose body the filter is. */
static void test_batch_filter_drops_false_items_with_efiltered(void **state)
{
    (void)state;
    batch_filter_evens *p = batch_filter_evens_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    int64_t in = 3, out = -1;
    assert_int_equal(batch_filter_evens_process(p, ctx, &in, &out), FX_EFILTERED);
    assert_int_equal(out, 3);
    const fx_error *err = fx_ctx_error(ctx);
    assert_non_null(err);
    assert_int_equal(err->code, FX_EFILTERED);
    assert_string_equal(err->stage, "filter");
    assert_true(fx_error_is(err, FX_EFILTERED));
    fx_ctx_free(ctx);
    batch_filter_evens_free(p);
}

static void test_batch_filter_struct_items_and_names(void **state)
{
    (void)state;
    batch_filter_big *p = batch_filter_big_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    Order small = {7, "small"}, large = {700, "large"}, out = {0};
    assert_int_equal(batch_filter_big_process(p, ctx, &large, &out), 0);
    assert_int_equal(out.id, 700);
    assert_string_equal(out.note, "large");
    assert_int_equal(batch_filter_big_process(p, ctx, &small, &out), FX_EFILTERED);
    assert_int_equal(out.id, 7);   /* the input, also through `as` */
    assert_string_equal(out.note, "small");
    assert_string_equal(fx_ctx_error(ctx)->stage, "big_only");
    fx_ctx_free(ctx);
    batch_filter_big_free(p);
}

static void test_batch_filter_predicate_error_propagates(void **state)
{
    (void)state;
    batch_filter_evens *p = batch_filter_evens_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    int64_t in = -2, out = 99;
    assert_int_equal(batch_filter_evens_process(p, ctx, &in, &out), 13);
    assert_int_equal(out, 99);
    const fx_error *err = fx_ctx_error(ctx);
    assert_int_equal(err->code, 13);
    assert_string_equal(err->stage, "is_even");
    assert_string_equal(err->message, "negative: -2");
    assert_false(fx_error_is(err, FX_EFILTERED));
    fx_ctx_free(ctx);
    batch_filter_evens_free(p);
}

static void test_batch_filter_stops_a_chain(void **state)
{
    (void)state;
    batch_filter_evens_bumped *p = batch_filter_evens_bumped_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    int64_t in = 8, out = 0;
    bump_calls = 0;
    assert_int_equal(batch_filter_evens_bumped_process(p, ctx, &in, &out), 0);
    assert_int_equal(out, 9);
    in = 9;
    out = 0;
    assert_int_equal(batch_filter_evens_bumped_process(p, ctx, &in, &out), FX_EFILTERED);
    assert_int_equal(bump_calls, 1);
    assert_int_equal(out, 0);   /* mid-chain: the chain's output is not the filter's */
    fx_ctx_free(ctx);
    batch_filter_evens_bumped_free(p);
}

static void test_batch_filter_done_context_runs_no_predicate(void **state)
{
    (void)state;
    batch_filter_evens *p = batch_filter_evens_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    fx_ctx_cancel(ctx);
    predicate_calls = 0;
    int64_t in = 2, out = 0;
    assert_int_equal(batch_filter_evens_process(p, ctx, &in, &out), FX_ECANCELED);
    assert_int_equal(predicate_calls, 0);
    fx_ctx_free(ctx);
    batch_filter_evens_free(p);
}

static int filtered_events;

static void on_event(void *user, const fx_event *ev)
{
    (void)user;
    if (ev->kind == FX_EVENT_FILTERED) {
        assert_string_equal(ev->component->name, "filter");
        assert_int_equal(ev->code, FX_EFILTERED);
        filtered_events++;
    }
}

static void test_batch_filter_reports_filtered_events(void **state)
{
    (void)state;
    fx_metrics metrics = {.event = on_event};
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){.metrics = &metrics});
    batch_filter_evens *p = batch_filter_evens_new(rt);
    fx_ctx *ctx = fx_ctx_new();
    filtered_events = 0;
    for (int64_t i = 0; i < 10; i++) {
        int64_t out = 0;
        (void)batch_filter_evens_process(p, ctx, &i, &out);
        fx_ctx_reset(ctx);
    }
    assert_int_equal(filtered_events, 5);
    fx_ctx_free(ctx);
    batch_filter_evens_free(p);
    fx_runtime_free(rt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_filter_keeps_true_items),
        cmocka_unit_test(test_batch_filter_drops_false_items_with_efiltered),
        cmocka_unit_test(test_batch_filter_struct_items_and_names),
        cmocka_unit_test(test_batch_filter_predicate_error_propagates),
        cmocka_unit_test(test_batch_filter_stops_a_chain),
        cmocka_unit_test(test_batch_filter_done_context_runs_no_predicate),
        cmocka_unit_test(test_batch_filter_reports_filtered_events),
    };
    return cmocka_run_group_tests_name("batch_filter", tests, NULL, NULL);
}
