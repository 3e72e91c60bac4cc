/* tests/test_runtime_otlp.c — the OpenTelemetry exporter and W3C trace
 * context: spans written to a file and POSTed to a small OTLP/HTTP
 * receiver on 127.0.0.1, parsed back and checked for structure, ids,
 * parent links, attributes, status and events; a bounded queue that drops;
 * traceparent in and out. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fluxus/fluxus.h>

#include "fx_test.h"

#include "json.h"
#include "malloc_count.h"
#include "otlp_receiver.h"

#define MS FX_TEST_MS

/* ---------------------------------------------------------------- collected spans */

typedef struct spans {
    jv docs[32];
    size_t ndocs;
    const jv *v[64];       /* span objects */
    size_t n;
} spans;

/* Adds one ExportTraceServiceRequest, checking its envelope. */
static void add_request(spans *s, const char *text, const char *service)
{
    assert_true(s->ndocs < 32);
    jv *doc = &s->docs[s->ndocs++];
    *doc = parse_json(text);
    const jv *rs = jget(doc, "resourceSpans");
    assert_non_null(rs);
    assert_int_equal(rs->k, J_ARR);
    assert_int_equal(rs->n, 1);
    const jv *res_attrs = jget(jget(&rs->items[0], "resource"), "attributes");
    assert_string_equal(jstr(attr_value(res_attrs, "service.name"), "stringValue"), service);
    const jv *ss = jget(&rs->items[0], "scopeSpans");
    assert_int_equal(ss->n, 1);
    assert_string_equal(jstr(jget(&ss->items[0], "scope"), "name"), "fluxus");
    const jv *list = jget(&ss->items[0], "spans");
    assert_int_equal(list->k, J_ARR);
    for (size_t i = 0; i < list->n; i++) {
        const jv *sp = &list->items[i];
        assert_true(is_hex(jstr(sp, "traceId"), 32));
        assert_true(is_hex(jstr(sp, "spanId"), 16));
        const char *parent = jstr(sp, "parentSpanId");
        if (parent != NULL) assert_true(is_hex(parent, 16));
        assert_non_null(jstr(sp, "startTimeUnixNano"));
        assert_non_null(jstr(sp, "endTimeUnixNano"));
        assert_true(s->n < 64);
        s->v[s->n++] = sp;
    }
}

static void spans_free(spans *s)
{
    for (size_t i = 0; i < s->ndocs; i++) jfree(&s->docs[i]);
}

static const jv *by_name(const spans *s, const char *name)
{
    const jv *found = NULL;
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(jstr(s->v[i], "name"), name) == 0) {
            if (found != NULL) fail_msg("two spans named %s", name);
            found = s->v[i];
        }
    if (found == NULL) fail_msg("no span named %s", name);
    return found;
}

static void assert_parent(const jv *child, const jv *parent)
{
    assert_string_equal(jstr(child, "traceId"), jstr(parent, "traceId"));
    const char *pid = jstr(child, "parentSpanId");
    if (pid == NULL) fail_msg("span %s has no parent", jstr(child, "name"));
    assert_string_equal(pid, jstr(parent, "spanId"));
}

static long long int_attr(const jv *span, const char *key)
{
    const char *v = jstr(attr_value(jget(span, "attributes"), key), "intValue");
    if (v == NULL) fail_msg("span %s has no int attribute %s", jstr(span, "name"), key);
    return atoll(v);
}

static long long nanos(const jv *span, const char *key) { return atoll(jstr(span, key)); }

static int status_code(const jv *span) { return (int)jget(jget(span, "status"), "code")->num; }

/* ---------------------------------------------------------------- a traced run, by hand */

static const fx_component PIPE = {"checkout", "checkout", "shop", FX_COMPONENT_PIPELINE};
static const fx_component PARSE = {"checkout", "parse", "shop", FX_COMPONENT_STAGE};
static const fx_component RETRY = {"checkout", "retry", "shop", FX_COMPONENT_COMBINATOR};
static const fx_component FETCH = {"checkout", "fetch", "shop", FX_COMPONENT_STAGE};
static const fx_component FANOUT = {"checkout", "fanout", "shop", FX_COMPONENT_COMBINATOR};
static const fx_component PRICE = {"checkout", "price", "shop", FX_COMPONENT_STAGE};
static const fx_component TAGGED = {"checkout", "tagged", "shop", FX_COMPONENT_COMBINATOR};

typedef struct branch {
    fx_runtime *rt;
    fx_ctx *ctx;
    int index;
} branch;

static void *run_branch(void *arg)
{
    branch *b = arg;
    fx_observation bo, so;
    fx_observe_child_begin(b->rt, b->ctx, &FANOUT, FX_CHILD_BRANCH, b->index, &bo);
    fx_observe_begin(b->rt, b->ctx, &PRICE, &so);
    fx_observe_end(b->rt, b->ctx, &PRICE, &so, 0);
    fx_observe_child_end(b->rt, b->ctx, &bo, 0);
    return NULL;
}

/* checkout: parse, retry(fetch) failing once, fanout of two prices on
 * threads, trace "tagged" (not merged) around nothing in particular. */
static void traced_run_on(fx_runtime *rt, fx_clock *clk, fx_ctx *ctx, bool branch_threads)
{
    fx_observation po, o, ro, ao, fo, to;
    fx_observe_begin(rt, ctx, &PIPE, &po);

    fx_observe_begin(rt, ctx, &PARSE, &o);
    fx_clock_fake_advance(clk, 2 * MS);
    fx_observe_end(rt, ctx, &PARSE, &o, 0);

    fx_observe_begin(rt, ctx, &RETRY, &ro);
    fx_span_attr_int(ctx, "fluxus.stage.max_attempts", 3);
    for (int attempt = 1; attempt <= 2; attempt++) {
        if (attempt > 1) {
            fx_event ev = {.kind = FX_EVENT_RETRY_ATTEMPT, .component = &RETRY, .index = attempt, .code = 5};
            fx_observe_event(rt, ctx, &ev);
        }
        fx_observe_child_begin(rt, ctx, &RETRY, FX_CHILD_ATTEMPT, attempt, &ao);
        fx_observe_begin(rt, ctx, &FETCH, &o);
        fx_clock_fake_advance(clk, MS);
        int rc = attempt == 1 ? fx_fail(ctx, 5, "upstream said %d", 503) : 0;
        if (rc != 0) fx__stage_fail(ctx, rc, "fetch");
        fx_observe_end(rt, ctx, &FETCH, &o, rc);
        fx_observe_child_end(rt, ctx, &ao, rc);
    }
    fx_span_attr_int(ctx, "fluxus.stage.attempts", 2);
    fx_observe_end(rt, ctx, &RETRY, &ro, 0);

    fx_observe_begin(rt, ctx, &FANOUT, &fo);
    fx_span_attr_int(ctx, "fluxus.stage.num_stages", 2);
    branch b[2];
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        b[i] = (branch){rt, fx_ctx_with_cancel(ctx), i};
        if (branch_threads) assert_int_equal(pthread_create(&th[i], NULL, run_branch, &b[i]), 0);
        else run_branch(&b[i]);   /* the same spans, in a fixed order */
    }
    for (int i = 0; i < 2; i++) {
        if (branch_threads) assert_int_equal(pthread_join(th[i], NULL), 0);
        fx_ctx_free(b[i].ctx);
    }
    fx_span_attr_int(ctx, "fluxus.stage.num_results", 2);
    fx_observe_end(rt, ctx, &FANOUT, &fo, 0);

    static const fx_attr attrs[] = {{"team", "payments"}, {"tier", "gold"}};
    fx_observe_trace_begin(rt, ctx, &TAGGED, attrs, 2, false, &to);
    fx_observe_trace_end(rt, ctx, &to, 0);

    fx_observe_end(rt, ctx, &PIPE, &po, 0);
}

static void traced_run(fx_runtime *rt, fx_clock *clk, fx_ctx *ctx) { traced_run_on(rt, clk, ctx, true); }

static void check_traced_run(const spans *s, bool remote_parent)
{
    const jv *pipe = by_name(s, "checkout"), *parse = by_name(s, "parse"), *retry = by_name(s, "retry"),
             *a1 = by_name(s, "retry.attempt.1"), *a2 = by_name(s, "retry.attempt.2"),
             *fanout = by_name(s, "fanout"), *b0 = by_name(s, "fanout.branch.0"),
             *b1 = by_name(s, "fanout.branch.1"), *tagged = by_name(s, "tagged");
    assert_int_equal(s->n, 13);                 /* 9 above + 2 fetch + 2 price */
    if (!remote_parent) assert_null(jstr(pipe, "parentSpanId"));
    assert_parent(parse, pipe);
    assert_parent(retry, pipe);
    assert_parent(a1, retry);
    assert_parent(a2, retry);
    assert_parent(fanout, pipe);
    assert_parent(b0, fanout);
    assert_parent(b1, fanout);
    assert_parent(tagged, pipe);
    int fetches = 0, prices = 0;
    for (size_t i = 0; i < s->n; i++) {
        const char *name = jstr(s->v[i], "name");
        if (strcmp(name, "fetch") == 0) {
            const char *pid = jstr(s->v[i], "parentSpanId");
            bool under1 = strcmp(pid, jstr(a1, "spanId")) == 0, under2 = strcmp(pid, jstr(a2, "spanId")) == 0;
            assert_true(under1 || under2);
            fetches += under1 ? 1 : 10;
            /* the failed try carries error status and an exception event */
            if (under1) {
                assert_int_equal(status_code(s->v[i]), 2);
                assert_string_equal(jstr(jget(s->v[i], "status"), "message"), "fetch: upstream said 503");
                const jv *ev = jget(s->v[i], "events");
                assert_int_equal(ev->n, 1);
                assert_string_equal(jstr(&ev->items[0], "name"), "exception");
                assert_string_equal(jstr(attr_value(jget(&ev->items[0], "attributes"), "exception.type"),
                                         "stringValue"), "application_error");
            } else {
                assert_int_equal(status_code(s->v[i]), 1);
            }
        }
        if (strcmp(name, "price") == 0) {
            const char *pid = jstr(s->v[i], "parentSpanId");
            prices += strcmp(pid, jstr(b0, "spanId")) == 0 ? 1 : strcmp(pid, jstr(b1, "spanId")) == 0 ? 10 : 100;
        }
    }
    assert_int_equal(fetches, 11);
    assert_int_equal(prices, 11);
    /* go-fluxus attributes, typed */
    assert_int_equal(int_attr(retry, "fluxus.stage.max_attempts"), 3);
    assert_int_equal(int_attr(retry, "fluxus.stage.attempts"), 2);
    assert_int_equal(int_attr(a2, "attempt"), 2);
    assert_int_equal(int_attr(b1, "fluxus.stage.branch"), 1);
    assert_int_equal(int_attr(fanout, "fluxus.stage.num_stages"), 2);
    assert_int_equal(int_attr(fanout, "fluxus.stage.num_results"), 2);
    assert_true(jget(attr_value(jget(a1, "attributes"), "fluxus.stage.success"), "boolValue")->b == false);
    assert_true(jget(attr_value(jget(a2, "attributes"), "fluxus.stage.success"), "boolValue")->b == true);
    assert_string_equal(jstr(attr_value(jget(tagged, "attributes"), "team"), "stringValue"), "payments");
    assert_string_equal(jstr(attr_value(jget(tagged, "attributes"), "tier"), "stringValue"), "gold");
    double parse_ms = jget(attr_value(jget(parse, "attributes"), "fluxus.stage.duration_ms"), "doubleValue")->num;
    assert_true(parse_ms > 1.999 && parse_ms < 2.001);
    /* times: exact on the fake clock */
    assert_int_equal(nanos(parse, "endTimeUnixNano") - nanos(parse, "startTimeUnixNano"), 2 * MS);
    assert_int_equal(nanos(pipe, "endTimeUnixNano") - nanos(pipe, "startTimeUnixNano"), 4 * MS);
    assert_true(nanos(pipe, "startTimeUnixNano") > 1600000000LL * 1000000000LL);   /* unix time */
    /* the retry event is on the retry span */
    const jv *rev = jget(retry, "events");
    assert_int_equal(rev->n, 1);
    assert_string_equal(jstr(&rev->items[0], "name"), "retry_attempt");
    assert_int_equal(atoll(jstr(attr_value(jget(&rev->items[0], "attributes"), "fluxus.event.index"), "intValue")), 2);
    assert_int_equal(status_code(pipe), 1);
}

/* ---------------------------------------------------------------- tests */

static void test_runtime_otlp_traceparent_parse_and_format(void **state)
{
    (void)state;
    const char *good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    fx_span_context sc;
    assert_int_equal(fx_traceparent_parse(good, &sc), 0);
    assert_int_equal(sc.trace_id[0], 0x4b);
    assert_int_equal(sc.span_id[7], 0xb7);
    assert_int_equal(sc.flags, 1);
    char buf[56];
    assert_int_equal(fx_traceparent_format(&sc, buf, sizeof buf), 0);
    assert_string_equal(buf, good);
    assert_int_equal(fx_traceparent_format(&sc, buf, 55), FX_EINVAL);
    assert_string_equal(buf, "");
    const char *bad[] = {
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",   /* uppercase */
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",   /* zero trace id */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",   /* zero span id */
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",   /* version ff */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x", /* v00 is exactly 55 */
        "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(fx_traceparent_parse(bad[i], &sc), FX_EINVAL);
    assert_int_equal(fx_traceparent_parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-later", &sc), 0);

    fx_ctx *ctx = fx_ctx_new();
    assert_int_equal(fx_ctx_traceparent(ctx, buf, sizeof buf), FX_EINVAL);   /* nothing to propagate */
    assert_int_equal(fx_ctx_set_traceparent(ctx, "garbage"), FX_EINVAL);
    assert_int_equal(fx_ctx_set_traceparent(ctx, good), 0);
    assert_int_equal(fx_ctx_traceparent(ctx, buf, sizeof buf), 0);          /* passed through */
    assert_string_equal(buf, good);
    fx_ctx *child = fx_ctx_with_cancel(ctx);
    assert_int_equal(fx_ctx_traceparent(child, buf, sizeof buf), 0);        /* children see it */
    assert_string_equal(buf, good);
    fx_ctx_free(child);
    assert_int_equal(fx_ctx_set_traceparent(ctx, NULL), 0);
    assert_int_equal(fx_ctx_traceparent(ctx, buf, sizeof buf), FX_EINVAL);
    assert_int_equal(fx_ctx_set_traceparent(ctx, good), 0);
    fx_ctx_reset(ctx);                                                       /* a reset forgets it */
    assert_int_equal(fx_ctx_traceparent(ctx, buf, sizeof buf), FX_EINVAL);
    fx_ctx_free(ctx);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

static void test_runtime_otlp_file_spans_nest_as_run(void **state)
{
    (void)state;
    char path[] = "/tmp/fx_otlp_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    fx_clock *clk = fx_clock_fake_new(5 * MS);
    assert_null(fx_otlp_new(&(fx_otlp_config){.service_name = "x"}));            /* no destination */
    assert_null(fx_otlp_new(&(fx_otlp_config){.file = path, .endpoint = "http://127.0.0.1:1"}));
    fx_otlp *otlp = fx_otlp_new(&(fx_otlp_config){.service_name = "shop", .file = path, .clock = clk,
                                                  .batch_size = 5});
    assert_non_null(otlp);
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){.clock = clk, .tracer = fx_otlp_tracer(otlp)});
    fx_ctx *ctx = fx_ctx_new_clock(clk);

    traced_run(rt, clk, ctx);
    assert_int_equal(fx_otlp_flush(otlp), 0);
    fx_otlp_stats st = fx_otlp_stats_get(otlp);
    assert_int_equal(st.spans_ended, 13);
    assert_int_equal(st.spans_exported, 13);
    assert_int_equal(st.spans_dropped, 0);
    assert_true(st.requests >= 3);                       /* batches of at most 5 */

    char *text = read_all(path);
    spans s = {0};
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) add_request(&s, line, "shop");
    assert_true(s.ndocs >= 3);
    check_traced_run(&s, false);
    spans_free(&s);
    free(text);

    fx_ctx_free(ctx);
    fx_runtime_free(rt);
    fx_otlp_free(otlp);
    fx_clock_free(clk);
    remove(path);
}

/* Steady state: an exported span goes back to a pool with every buffer it
 * grew, and the export thread reuses its request buffer, so runs after the
 * first ones make no allocator call at all. The branches run in a fixed
 * order here: with threads, which pooled record gets which span varies,
 * and a record given a span with more events than it ever had still grows
 * (once). */
static void test_runtime_otlp_steady_state_allocates_nothing(void **state)
{
    (void)state;
    assert_true(fx_test_malloc_wrapped());
    char path[] = "/tmp/fx_otlp_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    fx_clock *clk = fx_clock_fake_new(5 * MS);
    fx_otlp *otlp = fx_otlp_new(&(fx_otlp_config){.service_name = "shop", .file = path, .clock = clk});
    assert_non_null(otlp);
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){.clock = clk, .tracer = fx_otlp_tracer(otlp)});
    fx_ctx *ctx = fx_ctx_new_clock(clk);
    for (int i = 0; i < 5; i++) {   /* warm-up: the pool, the buffers, the arena */
        traced_run_on(rt, clk, ctx, false);
        assert_int_equal(fx_otlp_flush(otlp), 0);   /* one run per request: same size each time */
        fx_ctx_reset(ctx);
    }
    size_t before = fx_test_malloc_calls();
    for (int i = 0; i < 50; i++) {
        traced_run_on(rt, clk, ctx, false);
        assert_int_equal(fx_otlp_flush(otlp), 0);
        fx_ctx_reset(ctx);
    }
    assert_int_equal(fx_test_malloc_calls() - before, 0);
    fx_otlp_stats st = fx_otlp_stats_get(otlp);
    assert_int_equal(st.spans_exported, 55 * 13);
    fx_ctx_free(ctx);
    fx_runtime_free(rt);
    fx_otlp_free(otlp);
    fx_clock_free(clk);
    remove(path);
}

static void test_runtime_otlp_posts_to_receiver_joining_a_trace(void **state)
{
    (void)state;
    otlp_receiver r;
    assert_true(otlp_receiver_start(&r, 200));
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", r.port);
    fx_clock *clk = fx_clock_fake_new(0);
    fx_otlp *otlp = fx_otlp_new(&(fx_otlp_config){.service_name = "shop-http", .endpoint = url, .clock = clk});
    assert_non_null(otlp);
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){.clock = clk, .tracer = fx_otlp_tracer(otlp)});
    fx_ctx *ctx = fx_ctx_new_clock(clk);

    /* an incoming request's traceparent: the whole run joins that trace */
    const char *incoming = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    assert_int_equal(fx_ctx_set_traceparent(ctx, incoming), 0);
    traced_run(rt, clk, ctx);
    /* and an outgoing call made from inside a stage carries the stage's ids */
    char inside[56] = "", outside[56] = "";
    fx_observation po, so;
    fx_observe_begin(rt, ctx, &PIPE, &po);
    fx_observe_begin(rt, ctx, &FETCH, &so);
    assert_int_equal(fx_ctx_traceparent(ctx, inside, sizeof inside), 0);
    fx_observe_end(rt, ctx, &FETCH, &so, 0);
    fx_observe_end(rt, ctx, &PIPE, &po, 0);
    assert_int_equal(fx_ctx_traceparent(ctx, outside, sizeof outside), 0);
    assert_string_equal(outside, incoming);             /* no local span: passed through */

    assert_int_equal(fx_otlp_flush(otlp), 0);
    assert_int_equal(r.bad, 0);
    assert_true(r.nbodies >= 1);
    spans s = {0};
    for (int i = 0; i < r.nbodies; i++) add_request(&s, r.bodies[i], "shop-http");
    /* drop the two spans of the second run from the checks of the first */
    const jv *second_pipe = NULL, *second_fetch = NULL;
    size_t keep = 0;
    for (size_t i = 0; i < s.n; i++) {
        const char *name = jstr(s.v[i], "name");
        bool later = nanos(s.v[i], "startTimeUnixNano") == nanos(s.v[s.n - 1], "startTimeUnixNano") &&
                     (strcmp(name, "checkout") == 0 || strcmp(name, "fetch") == 0);
        if (later && strcmp(name, "checkout") == 0 && second_pipe == NULL) second_pipe = s.v[i];
        else if (later && strcmp(name, "fetch") == 0 && second_fetch == NULL) second_fetch = s.v[i];
        else s.v[keep++] = s.v[i];
    }
    s.n = keep;
    assert_non_null(second_pipe);
    assert_non_null(second_fetch);
    check_traced_run(&s, true);
    const jv *pipe = by_name(&s, "checkout");
    assert_string_equal(jstr(pipe, "traceId"), "0af7651916cd43dd8448eb211c80319c");
    assert_string_equal(jstr(pipe, "parentSpanId"), "b7ad6b7169203331");
    char expect[56];
    snprintf(expect, sizeof expect, "00-%s-%s-01", jstr(second_fetch, "traceId"), jstr(second_fetch, "spanId"));
    assert_string_equal(inside, expect);
    assert_string_equal(jstr(second_fetch, "traceId"), "0af7651916cd43dd8448eb211c80319c");
    spans_free(&s);

    fx_ctx_free(ctx);
    fx_runtime_free(rt);
    fx_otlp_free(otlp);
    fx_clock_free(clk);
    otlp_receiver_stop(&r);
}

static void test_runtime_otlp_unsampled_parent_exports_nothing(void **state)
{
    (void)state;
    otlp_receiver r;
    assert_true(otlp_receiver_start(&r, 200));
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/traces", r.port);
    fx_otlp *otlp = fx_otlp_new(&(fx_otlp_config){.endpoint = url});
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){.tracer = fx_otlp_tracer(otlp)});
    fx_ctx *ctx = fx_ctx_new();
    assert_int_equal(fx_ctx_set_traceparent(ctx, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"), 0);
    fx_observation o;
    char tp[56];
    fx_observe_begin(rt, ctx, &PARSE, &o);
    assert_int_equal(fx_ctx_traceparent(ctx, tp, sizeof tp), 0);
    assert_memory_equal(tp, "00-0af7651916cd43dd8448eb211c80319c-", 36);   /* same trace … */
    assert_string_equal(tp + 52, "-00");                                     /* … still unsampled */
    fx_observe_end(rt, ctx, &PARSE, &o, 0);
    assert_int_equal(fx_otlp_flush(otlp), 0);
    assert_int_equal(fx_otlp_stats_get(otlp).spans_ended, 0);
    assert_int_equal(r.nbodies, 0);
    fx_ctx_free(ctx);
    fx_runtime_free(rt);
    fx_otlp_free(otlp);
    otlp_receiver_stop(&r);
}

static void test_runtime_otlp_full_queue_drops_and_counts(void **state)
{
    (void)state;
    otlp_receiver r;
    assert_true(otlp_receiver_start(&r, 503));              /* a collector that refuses everything */
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", r.port);
    /* batches only when full or after 60 s: the 10 spans below find a queue of 4 */
    fx_otlp *otlp = fx_otlp_new(&(fx_otlp_config){.endpoint = url, .queue_capacity = 4, .batch_size = 100,
                                                  .flush_interval_ns = 60000 * MS});
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){.tracer = fx_otlp_tracer(otlp)});
    for (int i = 0; i < 10; i++) {
        fx_observation o;
        fx_observe_begin(rt, NULL, &PARSE, &o);
        fx_observe_end(rt, NULL, &PARSE, &o, 0);
    }
    fx_otlp_stats st = fx_otlp_stats_get(otlp);
    assert_int_equal(st.spans_ended, 10);
    assert_int_equal(st.spans_dropped, 6);
    assert_int_equal(fx_otlp_flush(otlp), FX_EINVAL);    /* the 503 */
    st = fx_otlp_stats_get(otlp);
    assert_int_equal(st.spans_failed, 4);
    assert_int_equal(st.spans_exported, 0);
    assert_int_equal(r.nbodies, 1);
    spans s = {0};
    add_request(&s, r.bodies[0], "fluxus");
    assert_int_equal(s.n, 4);
    spans_free(&s);
    fx_runtime_free(rt);
    fx_otlp_free(otlp);
    otlp_receiver_stop(&r);
}

static void test_runtime_otlp_trace_merges_into_observed_component(void **state)
{
    (void)state;
    char path[] = "/tmp/fx_otlp_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    fx_otlp *otlp = fx_otlp_new(&(fx_otlp_config){.file = path, .item_span_every = 2});
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){.tracer = fx_otlp_tracer(otlp)});
    fx_ctx *ctx = fx_ctx_new();
    static const fx_attr attrs[] = {{"owner", "team-a"}};
    fx_observation po, to, so, io[4];
    fx_observe_begin(rt, ctx, &PIPE, &po);
    fx_observe_trace_begin(rt, ctx, &PARSE, attrs, 1, true, &to);   /* parse is observed itself */
    fx_observe_begin(rt, ctx, &PARSE, &so);
    fx_observe_end(rt, ctx, &PARSE, &so, 0);
    fx_observe_trace_end(rt, ctx, &to, 0);
    for (int i = 0; i < 4; i++) {                                     /* items 0 and 2 sampled */
        fx_observe_child_begin(rt, ctx, &FANOUT, FX_CHILD_ITEM, i, &io[i]);
        fx_observe_child_end(rt, ctx, &io[i], 0);
    }
    fx_observe_end(rt, ctx, &PIPE, &po, 0);
    assert_int_equal(fx_otlp_flush(otlp), 0);
    char *text = read_all(path);
    spans s = {0};
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) add_request(&s, line, "fluxus");
    assert_int_equal(s.n, 4);                  /* checkout, one parse, fanout.item.0, fanout.item.2 */
    const jv *parse = by_name(&s, "parse");
    assert_parent(parse, by_name(&s, "checkout"));
    assert_string_equal(jstr(attr_value(jget(parse, "attributes"), "owner"), "stringValue"), "team-a");
    assert_parent(by_name(&s, "fanout.item.2"), by_name(&s, "checkout"));
    spans_free(&s);
    free(text);
    fx_ctx_free(ctx);
    fx_runtime_free(rt);
    fx_otlp_free(otlp);
    remove(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runtime_otlp_traceparent_parse_and_format),
        cmocka_unit_test(test_runtime_otlp_file_spans_nest_as_run),
        cmocka_unit_test(test_runtime_otlp_steady_state_allocates_nothing),
        cmocka_unit_test(test_runtime_otlp_posts_to_receiver_joining_a_trace),
        cmocka_unit_test(test_runtime_otlp_unsampled_parent_exports_nothing),
        cmocka_unit_test(test_runtime_otlp_full_queue_drops_and_counts),
        cmocka_unit_test(test_runtime_otlp_trace_merges_into_observed_component),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
