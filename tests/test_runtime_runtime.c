/* tests/test_runtime_runtime.c — fx_runtime and the observe hooks. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <fluxus/fluxus.h>

#include "fx_test.h"

#define MS FX_TEST_MS

enum { SINGLETON_THREADS = 8 };

static void *get_default(void *arg)
{
    *(fx_runtime **)arg = fx_runtime_default();
    return NULL;
}

static void test_runtime_default_is_singleton_across_threads(void **state)
{
    (void)state;
    pthread_t threads[SINGLETON_THREADS];
    fx_runtime *got[SINGLETON_THREADS];
    for (int i = 0; i < SINGLETON_THREADS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, get_default, &got[i]), 0);
    for (int i = 0; i < SINGLETON_THREADS; i++) assert_int_equal(pthread_join(threads[i], NULL), 0);
    fx_runtime *rt = fx_runtime_default();
    assert_non_null(rt);
    for (int i = 0; i < SINGLETON_THREADS; i++) assert_ptr_equal(got[i], rt);
    fx_runtime_free(rt);                          /* no-op */
    assert_ptr_equal(fx_runtime_default(), rt);
    assert_ptr_equal(fx_runtime_clock(rt), fx_clock_real());
    assert_true(fx_runtime_threads(rt) >= 1);
    assert_false(fx_runtime_observed(rt));
}

static void test_runtime_threads_config(void **state)
{
    (void)state;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){ .threads = 0 });
    assert_non_null(rt);
    assert_int_equal(fx_runtime_threads(rt), cpus < 1 ? 1 : cpus);
    fx_runtime_free(rt);
    rt = fx_runtime_new(NULL);
    assert_int_equal(fx_runtime_threads(rt), cpus < 1 ? 1 : cpus);
    assert_ptr_equal(fx_runtime_clock(rt), fx_clock_real());
    fx_runtime_free(rt);
    rt = fx_runtime_new(&(fx_runtime_config){ .threads = 3 });
    assert_int_equal(fx_runtime_threads(rt), 3);
    fx_runtime_free(rt);
    assert_null(fx_runtime_new(&(fx_runtime_config){ .threads = -1 }));
    fx_runtime_free(NULL);
}

/* ---------------------------------------------------------------- metrics */

typedef struct event {
    char kind[24];
    const fx_component *c;
    int64_t duration;
    int code;
} event;

typedef struct recorder {
    event ev[32];
    int n;
} recorder;

static void rec(recorder *r, const char *kind, const fx_component *c, int64_t d, int code)
{
    assert_true(r->n < 32);
    event *e = &r->ev[r->n++];
    snprintf(e->kind, sizeof e->kind, "%s", kind);
    e->c = c;
    e->duration = d;
    e->code = code;
}

static void m_pipeline_started(void *u, const fx_component *c) { rec(u, "pipeline_started", c, -1, 0); }
static void m_pipeline_completed(void *u, const fx_component *c, int64_t d, int code) { rec(u, "pipeline_completed", c, d, code); }
static void m_stage_started(void *u, const fx_component *c) { rec(u, "stage_started", c, -1, 0); }
static void m_stage_completed(void *u, const fx_component *c, int64_t d) { rec(u, "stage_completed", c, d, 0); }
static void m_stage_error(void *u, const fx_component *c, int64_t d, int code) { rec(u, "stage_error", c, d, code); }

static const fx_component PIPE = { "process", "process", "orders", FX_COMPONENT_PIPELINE };
static const fx_component PARSE = { "process", "parse", "orders", FX_COMPONENT_STAGE };
static const fx_component RETRY = { "process", "retry", "orders", FX_COMPONENT_COMBINATOR };

static void expect_event(const recorder *r, int i, const char *kind, const fx_component *c,
                         int64_t duration, int code)
{
    assert_true(i < r->n);
    assert_string_equal(r->ev[i].kind, kind);
    assert_ptr_equal(r->ev[i].c, c);
    assert_int_equal(r->ev[i].duration, duration);
    assert_int_equal(r->ev[i].code, code);
}

static void test_runtime_observe_calls_metrics_with_fake_durations(void **state)
{
    (void)state;
    recorder r = { .n = 0 };
    fx_metrics m = {
        .user = &r,
        .pipeline_started = m_pipeline_started, .pipeline_completed = m_pipeline_completed,
        .stage_started = m_stage_started, .stage_completed = m_stage_completed,
        .stage_error = m_stage_error,
    };
    fx_clock *c = fx_clock_fake_new(1000);
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){ .threads = 1, .clock = c, .metrics = &m });
    assert_true(fx_runtime_observed(rt));
    assert_ptr_equal(fx_runtime_clock(rt), c);
    fx_ctx *ctx = fx_ctx_new();

    fx_observation po, so, ro;
    fx_observe_begin(rt, ctx, &PIPE, &po);
    fx_observe_begin(rt, ctx, &PARSE, &so);
    fx_clock_fake_advance(c, 3 * MS);
    fx_observe_end(rt, ctx, &PARSE, &so, 0);
    fx_observe_begin(rt, ctx, &RETRY, &ro);
    fx_clock_fake_advance(c, 5 * MS);
    fx_observe_end(rt, ctx, &RETRY, &ro, FX_ERETRY_EXHAUSTED);
    fx_observe_end(rt, ctx, &PIPE, &po, FX_ERETRY_EXHAUSTED);

    assert_int_equal(r.n, 6);
    expect_event(&r, 0, "pipeline_started", &PIPE, -1, 0);
    expect_event(&r, 1, "stage_started", &PARSE, -1, 0);
    expect_event(&r, 2, "stage_completed", &PARSE, 3 * MS, 0);
    expect_event(&r, 3, "stage_started", &RETRY, -1, 0);
    expect_event(&r, 4, "stage_error", &RETRY, 5 * MS, FX_ERETRY_EXHAUSTED);
    expect_event(&r, 5, "pipeline_completed", &PIPE, 8 * MS, FX_ERETRY_EXHAUSTED);

    /* a table with only some callbacks set is fine */
    fx_metrics partial = { .user = &r, .stage_error = m_stage_error };
    fx_runtime *rt2 = fx_runtime_new(&(fx_runtime_config){ .clock = c, .metrics = &partial });
    r.n = 0;
    fx_observe_begin(rt2, ctx, &PIPE, &po);
    fx_observe_begin(rt2, NULL, &PARSE, &so);
    fx_observe_end(rt2, NULL, &PARSE, &so, 4);
    fx_observe_end(rt2, ctx, &PIPE, &po, 4);
    assert_int_equal(r.n, 1);
    expect_event(&r, 0, "stage_error", &PARSE, 0, 4);

    fx_runtime_free(rt2);
    fx_runtime_free(rt);
    fx_ctx_free(ctx);
    fx_clock_free(c);
}

/* ---------------------------------------------------------------- tracer */

typedef struct span {
    const fx_component *c;
    struct span *parent;
    bool ended;
    int error_code;
    char error[128];
    char duration_ms[32];
} span;

typedef struct tracer_state {
    span spans[16];
    int n;
} tracer_state;

static void *t_start(void *u, void *parent, const fx_component *c)
{
    tracer_state *t = u;
    assert_true(t->n < 16);
    span *s = &t->spans[t->n++];
    *s = (span){ .c = c, .parent = parent };
    return s;
}

static void t_attr(void *u, void *sp, const char *key, const char *value)
{
    (void)u;
    span *s = sp;
    assert_false(s->ended);
    if (strcmp(key, "fluxus.stage.duration_ms") == 0)
        snprintf(s->duration_ms, sizeof s->duration_ms, "%s", value);
}

static void t_error(void *u, void *sp, int code, const char *message)
{
    (void)u;
    span *s = sp;
    s->error_code = code;
    snprintf(s->error, sizeof s->error, "%s", message);
}

static void t_end(void *u, void *sp)
{
    (void)u;
    span *s = sp;
    assert_false(s->ended);
    s->ended = true;
}

static void test_runtime_tracer_spans_nest(void **state)
{
    (void)state;
    tracer_state ts = { .n = 0 };
    fx_tracer tr = { .user = &ts, .start_span = t_start, .set_attribute = t_attr,
                     .record_error = t_error, .end_span = t_end };
    fx_clock *c = fx_clock_fake_new(0);
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){ .clock = c, .tracer = &tr });
    assert_true(fx_runtime_observed(rt));
    fx_ctx *ctx = fx_ctx_new();

    fx_observation po, ro, so1, so2;
    fx_observe_begin(rt, ctx, &PIPE, &po);
    assert_null(po.parent_span);
    fx_observe_begin(rt, ctx, &RETRY, &ro);
    fx_observe_begin(rt, ctx, &PARSE, &so1);
    fx_clock_fake_advance(c, 2500000);             /* 2.5 ms */
    fx_observe_end(rt, ctx, &PARSE, &so1, 0);
    fx_observe_begin(rt, ctx, &PARSE, &so2);       /* sibling of the first */
    fx_ctx *child = fx_ctx_with_timeout(ctx, 1000 * MS);   /* child starts under the current span */
    fx_observation inner;
    fx_observe_begin(rt, child, &PARSE, &inner);
    fx_observe_end(rt, child, &PARSE, &inner, 0);
    fx_ctx_free(child);
    fx_fail(ctx, 9, "bad row %d", 4);
    fx__stage_fail(ctx, 9, "parse");
    fx_observe_end(rt, ctx, &PARSE, &so2, 9);
    fx_observe_end(rt, ctx, &RETRY, &ro, FX_ECANCELED);
    fx_observe_end(rt, ctx, &PIPE, &po, 0);

    assert_int_equal(ts.n, 5);
    span *pipe = &ts.spans[0], *retry = &ts.spans[1], *p1 = &ts.spans[2], *p2 = &ts.spans[3],
         *in = &ts.spans[4];
    assert_null(pipe->parent);
    assert_ptr_equal(retry->parent, pipe);
    assert_ptr_equal(p1->parent, retry);
    assert_ptr_equal(p2->parent, retry);
    assert_ptr_equal(in->parent, p2);
    for (int i = 0; i < ts.n; i++) assert_true(ts.spans[i].ended);
    assert_string_equal(p1->duration_ms, "2.500");
    assert_int_equal(p1->error_code, 0);
    assert_int_equal(p2->error_code, 9);
    assert_string_equal(p2->error, "parse: bad row 4");
    assert_int_equal(retry->error_code, FX_ECANCELED);    /* record is for 9: generic text */
    assert_string_equal(retry->error, "context canceled");
    assert_int_equal(pipe->error_code, 0);

    /* after the pipeline, the ctx has no current span again */
    fx_observation again;
    fx_observe_begin(rt, ctx, &PIPE, &again);
    assert_null(again.parent_span);
    fx_observe_end(rt, ctx, &PIPE, &again, 0);

    fx_runtime_free(rt);
    fx_ctx_free(ctx);
    fx_clock_free(c);
}

static int unexpected_calls;
static void *u_start(void *u, void *p, const fx_component *c) { (void)u; (void)p; (void)c; unexpected_calls++; return NULL; }
static void u_started(void *u, const fx_component *c) { (void)u; (void)c; unexpected_calls++; }

static void test_runtime_unobserved_calls_nothing(void **state)
{
    (void)state;
    fx_metrics m = { .stage_started = u_started, .pipeline_started = u_started };
    fx_tracer t = { .start_span = u_start };
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){ .threads = 1 });
    assert_false(fx_runtime_observed(rt));
    assert_false(fx_runtime_observed(NULL));
    fx_ctx *ctx = fx_ctx_new();
    fx_observation o;
    fx_observe_begin(rt, ctx, &PARSE, &o);         /* nothing configured: no-ops */
    fx_observe_end(rt, ctx, &PARSE, &o, 3);
    fx_observe_begin(NULL, ctx, &PIPE, &o);        /* NULL = the default runtime */
    fx_observe_end(NULL, ctx, &PIPE, &o, 0);
    assert_int_equal(unexpected_calls, 0);
    /* the same callbacks do fire once configured (so the check above can fail) */
    fx_runtime *obs = fx_runtime_new(&(fx_runtime_config){ .metrics = &m, .tracer = &t });
    fx_observe_begin(obs, ctx, &PARSE, &o);
    fx_observe_end(obs, ctx, &PARSE, &o, 0);
    assert_int_equal(unexpected_calls, 2);
    fx_runtime_free(obs);
    fx_runtime_free(rt);
    fx_ctx_free(ctx);
}

static fx_event seen_events[4];
static int nseen_events, nspan_events;
static void m_event(void *u, const fx_event *ev) { (void)u; seen_events[nseen_events++] = *ev; }
static void *e_start(void *u, void *p, const fx_component *c) { (void)u; (void)p; (void)c; return &nspan_events; }
static void e_add(void *u, void *sp, const fx_event *ev)
{
    (void)u;
    assert_ptr_equal(sp, &nspan_events);
    assert_int_equal(ev->kind, FX_EVENT_RETRY_ATTEMPT);
    nspan_events++;
}

static void test_runtime_event_reaches_metrics_and_span(void **state)
{
    (void)state;
    fx_metrics m = { .event = m_event };
    fx_tracer t = { .start_span = e_start, .add_event = e_add };
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){ .metrics = &m, .tracer = &t });
    fx_ctx *ctx = fx_ctx_new();
    fx_event ev = { .kind = FX_EVENT_RETRY_ATTEMPT, .component = &RETRY, .index = 2, .code = 7 };
    fx_observe_event(rt, ctx, &ev);                /* no current span: metrics only */
    assert_int_equal(nseen_events, 1);
    assert_int_equal(nspan_events, 0);
    fx_observation o;
    fx_observe_begin(rt, ctx, &RETRY, &o);
    fx_observe_event(rt, ctx, &ev);
    fx_observe_end(rt, ctx, &RETRY, &o, 0);
    assert_int_equal(nseen_events, 2);
    assert_int_equal(nspan_events, 1);
    assert_int_equal(seen_events[1].index, 2);
    assert_int_equal(seen_events[1].code, 7);
    assert_ptr_equal(seen_events[1].component, &RETRY);
    assert_string_equal(fx_event_name(FX_EVENT_ROUTE_SELECTED), "route_selected");
    assert_string_equal(fx_event_name(FX_EVENT__COUNT), "unknown");
    fx_ctx_free(ctx);
    fx_runtime_free(rt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runtime_default_is_singleton_across_threads),
        cmocka_unit_test(test_runtime_threads_config),
        cmocka_unit_test(test_runtime_observe_calls_metrics_with_fake_durations),
        cmocka_unit_test(test_runtime_tracer_spans_nest),
        cmocka_unit_test(test_runtime_unobserved_calls_nothing),
        cmocka_unit_test(test_runtime_event_reaches_metrics_and_span),
    };
    return cmocka_run_group_tests_name("runtime_runtime", tests, NULL, NULL);
}
