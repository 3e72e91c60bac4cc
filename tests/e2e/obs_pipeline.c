/* End to end: a generated pipeline (metrics(), trace(), retry, fanout,
 * fanin) run with the Prometheus collector serving on 127.0.0.1 and the
 * OTLP exporter POSTing to a small receiver on 127.0.0.1. The scrape is
 * checked by promtool and for exact counts; the spans for structure, ids,
 * parent links and attributes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/wait.h>

#include "obs_pipeline.h"

#include "json.h"
#include "otlp_receiver.h"

enum { RUNS = 4, UPSTREAM_DOWN = 17 };

/* ---------------------------------------------------------------- stages */

static atomic_int fetch_calls;

int parse_num(fx_ctx *ctx, const char *const *in, int64_t *out)
{
    char *end;
    long long v = strtoll(*in, &end, 10);
    if (end == *in || *end) return fx_fail(ctx, 3, "'%s' is not a number", *in);
    *out = v;
    return 0;
}

/* Every other call fails: each run retries once. */
int fetch_base(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    if (atomic_fetch_add(&fetch_calls, 1) % 2 == 0) return fx_fail(ctx, UPSTREAM_DOWN, "upstream down");
    *out = *in * 10;
    return 0;
}

int add_price(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    (void)ctx;
    *out = *in + 1;
    return 0;
}

int add_stock(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    (void)ctx;
    *out = *in + 2;
    return 0;
}

int sum_all(fx_ctx *ctx, const fx_slice_i64 *in, int64_t *out)
{
    (void)ctx;
    *out = 0;
    for (size_t i = 0; i < in->len; i++) *out += in->ptr[i];
    return 0;
}

/* ---------------------------------------------------------------- scrape */

typedef struct body {
    char *data;
    size_t len;
} body;

static size_t collect(char *ptr, size_t size, size_t n, void *userdata)
{
    body *b = userdata;
    b->data = realloc(b->data, b->len + size * n + 1);
    memcpy(b->data + b->len, ptr, size * n);
    b->len += size * n;
    b->data[b->len] = '\0';
    return size * n;
}

static void assert_has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *s = text; (s = strstr(s, line)) != NULL; s++)
        if ((s == text || s[-1] == '\n') && (s[n] == '\n' || s[n] == '\0')) return;
    fail_msg("missing line: %s\n--- in:\n%s", line, text);
}

static void check_with_promtool(const char *text)
{
    if (system("command -v promtool >/dev/null 2>&1") != 0) {
        print_message("SKIP promtool check: promtool not installed (Debian 'prometheus'; tools/bootstrap.sh)\n");
        return;
    }
    char path[] = "/tmp/fx_e2e_prom_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "promtool check metrics < %s", path);
    int st = system(cmd);
    remove(path);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) fail_msg("promtool rejected:\n%s", text);
}

/* ---------------------------------------------------------------- spans */

typedef struct spans {
    jv docs[16];
    size_t ndocs;
    const jv *v[128];
    size_t n;
} spans;

static const jv *span_by_id(const spans *s, const char *id)
{
    for (size_t i = 0; id != NULL && i < s->n; i++)
        if (strcmp(jstr(s->v[i], "spanId"), id) == 0) return s->v[i];
    return NULL;
}

static const char *parent_name(const spans *s, const jv *span)
{
    const jv *p = span_by_id(s, jstr(span, "parentSpanId"));
    return p != NULL ? jstr(p, "name") : "";
}

static int count_named(const spans *s, const char *name, const char *parent)
{
    int n = 0;
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(jstr(s->v[i], "name"), name) == 0 && strcmp(parent_name(s, s->v[i]), parent) == 0) n++;
    return n;
}

static void test_obs_pipeline_prometheus_and_otlp(void **state)
{
    (void)state;
    otlp_receiver r;
    assert_true(otlp_receiver_start(&r, 200));
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", r.port);

    fx_clock *clk = fx_clock_fake_new(0);
    fx_clock_fake_set_auto(clk, true);                 /* backoff sleeps jump the clock */
    fx_prometheus *prom = fx_prometheus_new(NULL);
    fx_otlp *otlp = fx_otlp_new(&(fx_otlp_config){.service_name = "checkout-svc", .endpoint = url, .clock = clk});
    assert_non_null(otlp);
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){.threads = 2, .clock = clk,
                                                         .metrics = fx_prometheus_metrics(prom),
                                                         .tracer = fx_otlp_tracer(otlp)});
    fx_prometheus_server *srv;
    assert_int_equal(fx_prometheus_serve(prom, "127.0.0.1", 0, &srv), 0);

    obs_pipeline_checkout *p = obs_pipeline_checkout_new(rt);
    assert_non_null(p);
    fx_ctx *ctx = fx_ctx_new_clock(clk);
    for (int i = 0; i < RUNS; i++) {
        const char *in = "4";
        int64_t out = 0;
        assert_int_equal(obs_pipeline_checkout_process(p, ctx, &in, &out), 0);
        assert_int_equal(out, 40 + 1 + 40 + 2);
        fx_ctx_reset(ctx);
    }
    const char *bad = "x";
    int64_t out;
    assert_int_equal(obs_pipeline_checkout_process(p, ctx, &bad, &out), 3);   /* parse fails */
    fx_ctx_reset(ctx);

    /* ---- Prometheus, scraped over HTTP */
    snprintf(url, sizeof url, "http://127.0.0.1:%d/metrics", fx_prometheus_server_port(srv));
    body b = {0};
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    curl_easy_cleanup(h);
    check_with_promtool(b.data);
    assert_has_line(b.data, "fluxus_pipeline_started_total{pipeline=\"checkout\"} 5");
    assert_has_line(b.data, "fluxus_pipeline_completed_total{pipeline=\"checkout\"} 4");
    assert_has_line(b.data, "fluxus_pipeline_errors_total{pipeline=\"checkout\",class=\"application\"} 1");
    assert_has_line(b.data, "fluxus_stage_started_total{pipeline=\"checkout\",stage=\"parsing\"} 5");
    assert_has_line(b.data, "fluxus_stage_errors_total{pipeline=\"checkout\",stage=\"parsing\",class=\"application\"} 1");
    assert_has_line(b.data, "fluxus_stage_started_total{pipeline=\"checkout\",stage=\"fetch\"} 8");
    assert_has_line(b.data, "fluxus_stage_completed_total{pipeline=\"checkout\",stage=\"fetch\"} 4");
    assert_has_line(b.data, "fluxus_stage_completed_total{pipeline=\"checkout\",stage=\"retry\"} 4");
    assert_has_line(b.data, "fluxus_retry_attempts_total{pipeline=\"checkout\",stage=\"retry\"} 4");
    assert_has_line(b.data, "fluxus_stage_completed_total{pipeline=\"checkout\",stage=\"price\"} 4");
    assert_has_line(b.data, "fluxus_stage_completed_total{pipeline=\"checkout\",stage=\"quote\"} 4");
    assert_has_line(b.data, "fluxus_stage_completed_total{pipeline=\"checkout\",stage=\"fanin\"} 4");
    free(b.data);

    /* ---- OTLP, as received */
    assert_int_equal(fx_otlp_flush(otlp), 0);
    assert_int_equal(r.bad, 0);
    spans s = {0};
    for (int i = 0; i < r.nbodies; i++) {
        jv *doc = &s.docs[s.ndocs++];
        *doc = parse_json(r.bodies[i]);
        const jv *rs = &jget(doc, "resourceSpans")->items[0];
        const jv *sv = attr_value(jget(jget(rs, "resource"), "attributes"), "service.name");
        assert_string_equal(jstr(sv, "stringValue"), "checkout-svc");
        const jv *ss = &jget(rs, "scopeSpans")->items[0];
        assert_string_equal(jstr(jget(ss, "scope"), "name"), "fluxus");
        const jv *list = jget(ss, "spans");
        for (size_t k = 0; k < list->n; k++) {
            assert_true(s.n < 128);
            s.v[s.n++] = &list->items[k];
            assert_true(is_hex(jstr(&list->items[k], "traceId"), 32));
            assert_true(is_hex(jstr(&list->items[k], "spanId"), 16));
        }
    }
    /* per successful run: checkout, parsing, retry, 2 attempts, 2 fetch,
     * quote, 2 branches, price, stock, fanin, total = 14; the failed run:
     * checkout, parsing. */
    assert_int_equal(s.n, RUNS * 14 + 2);
    assert_int_equal(count_named(&s, "checkout", ""), RUNS + 1);
    assert_int_equal(count_named(&s, "parsing", "checkout"), RUNS + 1);
    assert_int_equal(count_named(&s, "retry", "checkout"), RUNS);
    assert_int_equal(count_named(&s, "retry.attempt.1", "retry"), RUNS);
    assert_int_equal(count_named(&s, "retry.attempt.2", "retry"), RUNS);
    assert_int_equal(count_named(&s, "fetch", "retry.attempt.1"), RUNS);
    assert_int_equal(count_named(&s, "fetch", "retry.attempt.2"), RUNS);
    assert_int_equal(count_named(&s, "quote", "checkout"), RUNS);
    assert_int_equal(count_named(&s, "quote.branch.0", "quote"), RUNS);
    assert_int_equal(count_named(&s, "quote.branch.1", "quote"), RUNS);
    assert_int_equal(count_named(&s, "price", "quote.branch.0"), RUNS);
    assert_int_equal(count_named(&s, "stock", "quote.branch.1"), RUNS);
    assert_int_equal(count_named(&s, "fanin", "checkout"), RUNS);
    assert_int_equal(count_named(&s, "total", "fanin"), RUNS);
    int traces_checked = 0, errors = 0;
    for (size_t i = 0; i < s.n; i++) {
        const jv *sp = s.v[i];
        const jv *parent = span_by_id(&s, jstr(sp, "parentSpanId"));
        if (parent != NULL) assert_string_equal(jstr(sp, "traceId"), jstr(parent, "traceId"));
        const char *name = jstr(sp, "name");
        const jv *attrs = jget(sp, "attributes");
        assert_non_null(attr_value(attrs, "fluxus.stage.duration_ms"));
        if (strcmp(name, "quote") == 0) {
            assert_string_equal(jstr(attr_value(attrs, "team"), "stringValue"), "pricing");
            assert_string_equal(jstr(attr_value(attrs, "tier"), "stringValue"), "gold");
            assert_string_equal(jstr(attr_value(attrs, "fluxus.stage.num_stages"), "intValue"), "2");
            traces_checked++;
        }
        if (strcmp(name, "retry") == 0) {
            assert_string_equal(jstr(attr_value(attrs, "fluxus.stage.max_attempts"), "intValue"), "3");
            assert_string_equal(jstr(attr_value(attrs, "fluxus.stage.attempts"), "intValue"), "2");
            assert_string_equal(jstr(&jget(sp, "events")->items[0], "name"), "retry_attempt");
        }
        int code = (int)jget(jget(sp, "status"), "code")->num;
        if (code == 2) {
            errors++;
            assert_string_equal(jstr(&jget(sp, "events")->items[0], "name"), "exception");
        }
    }
    assert_int_equal(traces_checked, RUNS);
    assert_int_equal(errors, 2 * RUNS + 2);   /* the failed fetch tries and their attempts, the failed
                                                 parse and its pipeline */
    for (size_t i = 0; i < s.ndocs; i++) jfree(&s.docs[i]);

    fx_ctx_free(ctx);
    obs_pipeline_checkout_free(p);
    fx_prometheus_server_stop(srv);
    fx_runtime_free(rt);
    fx_otlp_free(otlp);
    fx_prometheus_free(prom);
    fx_clock_free(clk);
    otlp_receiver_stop(&r);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_obs_pipeline_prometheus_and_otlp),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
