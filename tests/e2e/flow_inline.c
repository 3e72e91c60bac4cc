/* End to end: fanout and parallel run on the caller alone (concurrency: 1):
 * results in stage order, the first failure's index and cause with no
 * later stage run, a done context, the loop past the unrolling limit, the
 * events and branch spans of an observed instance, and parallel's results
 * on the stack or in the arena as the reducer's output type allows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "flow_inline.h"

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

int negate_it(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    (void)ctx;
    *out = -*in;
    return 0;
}

int fail_12(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    (void)in;
    (void)out;
    return fx_fail(ctx, 12, "stage broke");
}

static int calls;   /* of count_call */

int count_call(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    (void)ctx;
    calls++;
    *out = *in + 100;
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

int stats_of(fx_ctx *ctx, const fx_slice_i64 *in, Stats *out)
{
    (void)ctx;
    out->total = 0;
    for (size_t i = 0; i < in->len; i++) out->total += in->ptr[i];
    out->count = (int32_t)in->len;
    return 0;
}

int keep_all(fx_ctx *ctx, const fx_slice_i64 *in, fx_slice_i64 *out)
{
    (void)ctx;
    *out = *in;   /* the output is the input slice: its array must outlive the call */
    return 0;
}

/* Writes over the stack below the caller, where a returned frame was. */
static __attribute__((noinline)) void scribble_stack(void)
{
    volatile char junk[8192];
    for (size_t i = 0; i < sizeof junk; i++) junk[i] = (char)0xa5;
}

/* ------------------------------------------------------------ unobserved */

static void test_flow_inline_fanout_results_in_stage_order(void **state)
{
    (void)state;
    flow_inline_fan *p = flow_inline_fan_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    for (int64_t x = -3; x < 40; x++) {
        int64_t in = x;
        fx_slice_i64 out = { 0 };
        assert_int_equal(flow_inline_fan_process(p, ctx, &in, &out), 0);
        assert_int_equal(out.len, 3);
        assert_int_equal(out.ptr[0], x);
        assert_int_equal(out.ptr[1], 2 * x);
        assert_int_equal(out.ptr[2], 3 * x);
        fx_ctx_reset(ctx);
    }
    fx_ctx_free(ctx);
    flow_inline_fan_free(p);
}

static void test_flow_inline_fanout_failure_names_stage_and_stops(void **state)
{
    (void)state;
    flow_inline_fan_fail *p = flow_inline_fan_fail_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    for (int run = 0; run < 3; run++) {
        calls = 0;
        int64_t in = 1;
        fx_slice_i64 out = { 0 };
        assert_int_equal(flow_inline_fan_fail_process(p, ctx, &in, &out), FX_EFANOUT);
        assert_null(out.ptr);                   /* output untouched */
        assert_int_equal(calls, 1);             /* stage 1 ran, stage 3 did not */
        const fx_error *err = fx_ctx_error(ctx);
        assert_int_equal(err->code, FX_EFANOUT);
        assert_int_equal(err->index, 2);
        assert_non_null(err->cause);
        assert_int_equal(err->cause->code, 12);
        assert_string_equal(err->cause->stage, "fails");
        char text[256];
        fx_error_format(err, text, sizeof text);
        assert_string_equal(text, "fanout: stage 2 failed: fails: stage broke");
        fx_ctx_reset(ctx);
    }
    fx_ctx_free(ctx);
    flow_inline_fan_fail_free(p);
}

static void test_flow_inline_fanout_done_ctx_runs_no_stage(void **state)
{
    (void)state;
    flow_inline_fan_fail *p = flow_inline_fan_fail_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    fx_ctx_cancel(ctx);
    calls = 0;
    int64_t in = 1;
    fx_slice_i64 out = { 0 };
    assert_int_equal(flow_inline_fan_fail_process(p, ctx, &in, &out), FX_ECANCELED);
    assert_int_equal(fx_ctx_error(ctx)->code, FX_ECANCELED);
    assert_int_equal(calls, 0);
    fx_ctx_free(ctx);
    flow_inline_fan_fail_free(p);
}

/* 17 stages: past the unrolling, the loop over the dispatch switch. */
static void test_flow_inline_fanout_past_unrolling(void **state)
{
    (void)state;
    flow_inline_fan17 *p = flow_inline_fan17_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    calls = 0;
    int64_t in = 5;
    fx_slice_i64 out = { 0 };
    assert_int_equal(flow_inline_fan17_process(p, ctx, &in, &out), FX_EFANOUT);
    assert_null(out.ptr);
    assert_int_equal(calls, 1);
    assert_int_equal(fx_ctx_error(ctx)->index, 16);
    assert_string_equal(fx_ctx_error(ctx)->cause->stage, "fails");
    fx_ctx_free(ctx);
    flow_inline_fan17_free(p);
}

static void test_flow_inline_parallel_reduces(void **state)
{
    (void)state;
    flow_inline_par *p = flow_inline_par_new(NULL);
    flow_inline_par_stats *s = flow_inline_par_stats_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    for (int64_t x = 0; x < 20; x++) {
        int64_t in = x, out = -1;
        assert_int_equal(flow_inline_par_process(p, ctx, &in, &out), 0);
        assert_int_equal(out, 6 * x);
        Stats st = { -1, -1 };
        assert_int_equal(flow_inline_par_stats_process(s, ctx, &in, &st), 0);
        assert_int_equal(st.total, 6 * x);
        assert_int_equal(st.count, 3);
        fx_ctx_reset(ctx);
    }
    fx_ctx_free(ctx);
    flow_inline_par_stats_free(s);
    flow_inline_par_free(p);
}

static void test_flow_inline_parallel_failures(void **state)
{
    (void)state;
    flow_inline_par_fail *f = flow_inline_par_fail_new(NULL);
    flow_inline_par_reduce_fail *r = flow_inline_par_reduce_fail_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    calls = 0;
    int64_t in = 2, out = 99;
    assert_int_equal(flow_inline_par_fail_process(f, ctx, &in, &out), FX_EFANOUT);
    assert_int_equal(out, 99);
    assert_int_equal(calls, 0);
    assert_int_equal(fx_ctx_error(ctx)->index, 1);
    assert_int_equal(fx_ctx_error(ctx)->cause->code, 12);
    fx_ctx_reset(ctx);
    assert_int_equal(flow_inline_par_reduce_fail_process(r, ctx, &in, &out), 13);   /* the reducer's own */
    assert_int_equal(out, 99);
    assert_string_equal(fx_ctx_error(ctx)->stage, "sum");
    assert_string_equal(fx_ctx_error(ctx)->message, "negative input -2");
    fx_ctx_free(ctx);
    flow_inline_par_reduce_fail_free(r);
    flow_inline_par_fail_free(f);
}

/* A reducer that hands its input slice on: the results array must live as
 * long as the context's arena, not the component's frame. */
static void test_flow_inline_parallel_results_outlive_the_call(void **state)
{
    (void)state;
    flow_inline_par_keep *p = flow_inline_par_keep_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    int64_t in = 7;
    fx_slice_i64 out = { 0 };
    assert_int_equal(flow_inline_par_keep_process(p, ctx, &in, &out), 0);
    scribble_stack();
    assert_int_equal(out.len, 3);
    assert_int_equal(out.ptr[0], 7);
    assert_int_equal(out.ptr[1], 14);
    assert_int_equal(out.ptr[2], 21);
    fx_ctx_free(ctx);
    flow_inline_par_keep_free(p);
}

/* ------------------------------------------------------------ learnt sites */

/* Default concurrency: after its first runs the site finds the caller
 * faster and most runs start inline from the header. Over many runs (all
 * ways: the workers, the full choice, the header's) every result is exact,
 * a success leaves the caller's earlier record as it was, and every
 * failure names its stage with the stage's own record as the cause. */
static void test_flow_inline_learnt_site_keeps_records(void **state)
{
    (void)state;
    flow_inline_par_site *p = flow_inline_par_site_new(NULL);
    flow_inline_fan_site *f = flow_inline_fan_site_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    for (int64_t x = 0; x < 3000; x++) {
        assert_int_equal(fx_fail(ctx, 77, "earlier %d", (int)x), 77);
        const fx_error *earlier = fx_ctx_error(ctx);
        int64_t in = x, out = -1;
        assert_int_equal(flow_inline_par_site_process(p, ctx, &in, &out), 0);
        assert_int_equal(out, 6 * x);
        assert_ptr_equal(fx_ctx_error(ctx), earlier);
        calls = 0;
        fx_slice_i64 res = { 0 };
        assert_int_equal(flow_inline_fan_site_process(f, ctx, &in, &res), FX_EFANOUT);
        assert_int_equal(res.len, 0);
        const fx_error *e = fx_ctx_error(ctx);
        assert_int_equal(e->index, 2);
        assert_non_null(e->cause);
        assert_int_equal(e->cause->code, 12);
        assert_string_equal(e->cause->stage, "fails");
        assert_true(calls <= 1);
        fx_ctx_reset(ctx);
    }
    fx_ctx_free(ctx);
    flow_inline_fan_site_free(f);
    flow_inline_par_site_free(p);
}

/* ------------------------------------------------------------ observed */

static char spans[1024];   /* names of the spans started, comma-separated */
static char started[256];  /* names of the components that reported stage_started */
static int fanouts_started, fanouts_completed, last_fanout_code;

static void *start_span(void *user, void *parent, const fx_component *c)
{
    (void)user;
    (void)parent;
    size_t n = strlen(spans);
    snprintf(spans + n, sizeof spans - n, "%s%s", n > 0 ? "," : "", c->name != NULL ? c->name : "?");
    return &spans;   /* any non-NULL span */
}

static void end_span(void *user, void *span)
{
    (void)user;
    (void)span;
}

static void on_fanout_started(void *user, const fx_component *c, int64_t branches)
{
    (void)user;
    (void)c;
    assert_int_equal(branches, 4);
    fanouts_started++;
}

static void on_fanout_completed(void *user, const fx_component *c, int64_t branches, int code)
{
    (void)user;
    (void)c;
    (void)branches;
    fanouts_completed++;
    last_fanout_code = code;
}

static void on_stage_started(void *user, const fx_component *c)
{
    (void)user;
    (void)c;
    size_t n = strlen(started);
    snprintf(started + n, sizeof started - n, "%s%s", n > 0 ? "," : "", c->name != NULL ? c->name : "?");
}

static void test_flow_inline_observed_instance_reports(void **state)
{
    (void)state;
    static const fx_tracer tracer = { .start_span = start_span, .end_span = end_span };
    static const fx_metrics metrics = {
        .fanout_started = on_fanout_started,
        .fanout_completed = on_fanout_completed,
        .stage_started = on_stage_started,
    };
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){ .threads = 2, .metrics = &metrics, .tracer = &tracer });
    assert_non_null(rt);
    flow_inline_fan_fail *p = flow_inline_fan_fail_new(rt);
    fx_ctx *ctx = fx_ctx_new();
    spans[0] = started[0] = '\0';
    calls = 0;
    int64_t in = 1;
    fx_slice_i64 out = { 0 };
    assert_int_equal(flow_inline_fan_fail_process(p, ctx, &in, &out), FX_EFANOUT);
    assert_int_equal(fx_ctx_error(ctx)->index, 2);
    assert_int_equal(calls, 1);
    assert_int_equal(fanouts_started, 1);
    assert_int_equal(fanouts_completed, 1);
    assert_int_equal(last_fanout_code, FX_EFANOUT);
    assert_string_equal(started, "fanout,times1,counted,fails");
    assert_string_equal(spans, "fan_fail,fanout,fanout.branch.0,times1,fanout.branch.1,counted,"
                               "fanout.branch.2,fails");
    fx_ctx_free(ctx);
    flow_inline_fan_fail_free(p);
    fx_runtime_free(rt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flow_inline_fanout_results_in_stage_order),
        cmocka_unit_test(test_flow_inline_fanout_failure_names_stage_and_stops),
        cmocka_unit_test(test_flow_inline_fanout_done_ctx_runs_no_stage),
        cmocka_unit_test(test_flow_inline_fanout_past_unrolling),
        cmocka_unit_test(test_flow_inline_parallel_reduces),
        cmocka_unit_test(test_flow_inline_parallel_failures),
        cmocka_unit_test(test_flow_inline_parallel_results_outlive_the_call),
        cmocka_unit_test(test_flow_inline_learnt_site_keeps_records),
        cmocka_unit_test(test_flow_inline_observed_instance_reports),
    };
    return cmocka_run_group_tests_name("flow_inline", tests, NULL, NULL);
}
