/* End to end: the clock reads a pipeline shares with its first and last
 * parts. A fake clock that the stages and the collector's callbacks
 * advance by known amounts tells which reads were shared: the first part
 * starts at the pipeline's start (so its duration includes the
 * pipeline_started callback), the pipeline ends at the last part's end
 * (so it excludes that part's stage_completed callback), and a pipeline
 * whose body stops early, or whose last act is not an observed part,
 * reads its own end. With a tracer as well, the current span is restored
 * after every run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "obs_lending.h"

enum { PIPELINE_STARTED_NS = 1000, COMPLETED_NS = 100, ERROR_NS = 5000, MAXREC = 16 };

static fx_clock *clk;

/* ---------------------------------------------------------------- stages */

int lend_first(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    (void)ctx;
    fx_clock_fake_advance(clk, 10);
    *out = *in + 1;
    return 0;
}

int lend_second(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    fx_clock_fake_advance(clk, 20);
    if (*in == 0) return fx_fail(ctx, 7, "second refuses 0");   /* input -1 after first */
    *out = *in + 1;
    return 0;
}

int lend_third(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    (void)ctx;
    fx_clock_fake_advance(clk, 30);
    *out = *in + 1;
    return 0;
}

int lend_handler(fx_ctx *ctx, int code)
{
    (void)ctx;
    fx_clock_fake_advance(clk, 7);   /* after the last observed end: the pipeline must see it */
    return code;
}

/* ---------------------------------------------------------------- collector */

typedef struct rec {
    const char *name;
    int64_t ns;
    int code;
} rec;

static rec recs[MAXREC];
static int nrecs;

static void note(const fx_component *c, int64_t ns, int code)
{
    assert_true(nrecs < MAXREC);
    recs[nrecs++] = (rec){c->name, ns, code};
}

static void on_pipeline_started(void *user, const fx_component *c)
{
    (void)user, (void)c;
    fx_clock_fake_advance(clk, PIPELINE_STARTED_NS);
}

static void on_pipeline_completed(void *user, const fx_component *c, int64_t ns, int code)
{
    (void)user;
    note(c, ns, code);
}

static void on_stage_completed(void *user, const fx_component *c, int64_t ns)
{
    (void)user;
    note(c, ns, 0);
    fx_clock_fake_advance(clk, COMPLETED_NS);
}

static void on_stage_error(void *user, const fx_component *c, int64_t ns, int code)
{
    (void)user;
    note(c, ns, code);
    fx_clock_fake_advance(clk, ERROR_NS);
}

static const fx_metrics metrics = {
    .pipeline_started = on_pipeline_started,
    .pipeline_completed = on_pipeline_completed,
    .stage_completed = on_stage_completed,
    .stage_error = on_stage_error,
};

/* A tracer whose spans are counted: begun and ended must match. */
static int open_spans;
static char span_mark;

static void *start_span(void *user, void *parent, const fx_component *c)
{
    (void)user, (void)parent, (void)c;
    open_spans++;
    return &span_mark;
}

static void end_span(void *user, void *span)
{
    (void)user, (void)span;
    open_spans--;
}

static const fx_tracer tracer = {.start_span = start_span, .end_span = end_span};

static void expect(int i, const char *name, int64_t ns, int code)
{
    assert_true(i < nrecs);
    assert_string_equal(recs[i].name, name);
    assert_int_equal(recs[i].ns, ns);
    assert_int_equal(recs[i].code, code);
}

static fx_runtime *runtime_with(bool traced)
{
    clk = fx_clock_fake_new(0);
    assert_non_null(clk);
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){
        .threads = 1, .clock = clk, .metrics = &metrics, .tracer = traced ? &tracer : NULL});
    assert_non_null(rt);
    nrecs = 0;
    open_spans = 0;
    return rt;
}

static void runtime_done(fx_runtime *rt)
{
    fx_runtime_free(rt);
    fx_clock_free(clk);
    clk = NULL;
}

/* ---------------------------------------------------------------- tests */

static void check_single(bool traced)
{
    fx_runtime *rt = runtime_with(traced);
    obs_lending_single *p = obs_lending_single_new(rt);
    fx_ctx *ctx = fx_ctx_new();
    assert_non_null(p);
    assert_non_null(ctx);
    for (int run = 0; run < 2; run++) {
        nrecs = 0;
        int64_t in = 1, out = 0;
        assert_int_equal(obs_lending_single_process(p, ctx, &in, &out), 0);
        assert_int_equal(out, 2);
        /* one start and one end read for both: equal durations */
        assert_int_equal(nrecs, 2);
        expect(0, "one", PIPELINE_STARTED_NS + 10, 0);
        expect(1, "single", PIPELINE_STARTED_NS + 10, 0);
        char tp[64];
        assert_int_equal(fx_ctx_traceparent(ctx, tp, sizeof tp), FX_EINVAL);   /* no span left current */
        assert_int_equal(open_spans, 0);
        fx_ctx_reset(ctx);
    }
    fx_ctx_free(ctx);
    obs_lending_single_free(p);
    runtime_done(rt);
}

static void test_obs_lending_single_stage(void **state)
{
    (void)state;
    check_single(false);
    check_single(true);
}

static void check_chain(bool traced)
{
    fx_runtime *rt = runtime_with(traced);
    obs_lending_chained *p = obs_lending_chained_new(rt);
    fx_ctx *ctx = fx_ctx_new();
    assert_non_null(p);
    assert_non_null(ctx);

    int64_t in = 1, out = 0;
    assert_int_equal(obs_lending_chained_process(p, ctx, &in, &out), 0);
    assert_int_equal(out, 4);
    assert_int_equal(nrecs, 4);
    expect(0, "first", PIPELINE_STARTED_NS + 10, 0);   /* started at the pipeline's start */
    expect(1, "second", 20, 0);
    expect(2, "third", 30, 0);
    /* ends at third's end: without third's stage_completed callback */
    expect(3, "chained", PIPELINE_STARTED_NS + 10 + COMPLETED_NS + 20 + COMPLETED_NS + 30, 0);
    assert_int_equal(open_spans, 0);
    fx_ctx_reset(ctx);

    /* second fails: third never runs, the pipeline reads its own end */
    nrecs = 0;
    in = -1;
    assert_int_equal(obs_lending_chained_process(p, ctx, &in, &out), 7);
    assert_int_equal(nrecs, 3);
    expect(0, "first", PIPELINE_STARTED_NS + 10, 0);
    expect(1, "second", 20, 7);
    expect(2, "chained", PIPELINE_STARTED_NS + 10 + COMPLETED_NS + 20 + ERROR_NS, 7);
    char tp[64];
    assert_int_equal(fx_ctx_traceparent(ctx, tp, sizeof tp), FX_EINVAL);
    assert_int_equal(open_spans, 0);
    fx_ctx_reset(ctx);

    /* and the next run lends again: nothing stale from the failed one */
    nrecs = 0;
    in = 5;
    assert_int_equal(obs_lending_chained_process(p, ctx, &in, &out), 0);
    assert_int_equal(nrecs, 4);
    expect(0, "first", PIPELINE_STARTED_NS + 10, 0);
    expect(3, "chained", PIPELINE_STARTED_NS + 10 + COMPLETED_NS + 20 + COMPLETED_NS + 30, 0);

    fx_ctx_free(ctx);
    obs_lending_chained_free(p);
    runtime_done(rt);
}

static void test_obs_lending_chain_first_and_last(void **state)
{
    (void)state;
    check_chain(false);
    check_chain(true);
}

/* The last act is on_error's handler, after third's end: no lending. */
static void test_obs_lending_not_when_last_act_unobserved(void **state)
{
    (void)state;
    fx_runtime *rt = runtime_with(false);
    obs_lending_guarded *p = obs_lending_guarded_new(rt);
    fx_ctx *ctx = fx_ctx_new();
    assert_non_null(p);
    assert_non_null(ctx);
    int64_t in = 1, out = 0;
    assert_int_equal(obs_lending_guarded_process(p, ctx, &in, &out), 0);
    assert_int_equal(out, 3);
    assert_int_equal(nrecs, 3);
    expect(0, "first", 10, 0);   /* its own start: the pipeline does not lend */
    expect(1, "third", 30, 0);
    expect(2, "guarded", PIPELINE_STARTED_NS + 10 + COMPLETED_NS + 30 + COMPLETED_NS, 0);
    fx_ctx_free(ctx);
    obs_lending_guarded_free(p);
    runtime_done(rt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_obs_lending_single_stage),
        cmocka_unit_test(test_obs_lending_chain_first_and_last),
        cmocka_unit_test(test_obs_lending_not_when_last_act_unobserved),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
