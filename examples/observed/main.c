/* examples/observed — runs the `quote` pipeline for about two seconds with
 * the Prometheus collector serving /metrics and the OTLP exporter writing
 * traces to a file, then writes the final metrics to a file too.
 *
 *   observed OUTDIR [PORT]     (PORT 0 or absent: an ephemeral port) */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "observed.h"

static atomic_int calls;

int parse_amount(fx_ctx *ctx, const char *const *in, int64_t *out)
{
    char *end;
    long long v = strtoll(*in, &end, 10);
    if (end == *in || *end) return fx_fail(ctx, 1, "'%s' is not an amount", *in);
    *out = v;
    return 0;
}

int fetch_rate(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    if (atomic_fetch_add(&calls, 1) % 5 == 0) return fx_fail(ctx, 2, "rate service busy");   /* retried */
    *out = *in * 3;
    return 0;
}

int add_tax(fx_ctx *ctx, const int64_t *in, int64_t *out) { (void)ctx; *out = *in / 5; return 0; }
int add_fee(fx_ctx *ctx, const int64_t *in, int64_t *out) { (void)ctx; *out = *in > 500 ? 0 : 25; return 0; }

int sum_parts(fx_ctx *ctx, const fx_slice_i64 *in, int64_t *out)
{
    (void)ctx;
    *out = 0;
    for (size_t i = 0; i < in->len; i++) *out += in->ptr[i];
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: observed OUTDIR [PORT]\n");
        return 2;
    }
    char traces[512], metrics[512];
    snprintf(traces, sizeof traces, "%s/traces.jsonl", argv[1]);
    snprintf(metrics, sizeof metrics, "%s/metrics.prom", argv[1]);
    remove(traces);

    fx_prometheus *prom = fx_prometheus_new(NULL);
    fx_otlp *otlp = fx_otlp_new(&(fx_otlp_config){.service_name = "observed-example", .file = traces});
    if (prom == NULL || otlp == NULL) return 1;
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){.metrics = fx_prometheus_metrics(prom),
                                                         .tracer = fx_otlp_tracer(otlp)});
    fx_prometheus_server *srv;
    if (fx_prometheus_serve(prom, "127.0.0.1", argc > 2 ? atoi(argv[2]) : 0, &srv) != 0) {
        fprintf(stderr, "observed: cannot serve /metrics\n");
        return 1;
    }
    printf("serving http://127.0.0.1:%d/metrics for about 2 s\n", fx_prometheus_server_port(srv));
    fflush(stdout);

    observed_quote *q = observed_quote_new(rt);
    fx_ctx *ctx = fx_ctx_new();
    const fx_clock *clk = fx_clock_real();
    int64_t end = fx_clock_now(clk) + 2000000000LL;
    int runs = 0, failures = 0;
    const char *inputs[] = {"100", "250", "oops", "40"};
    while (fx_clock_now(clk) < end) {
        int64_t out;
        if (observed_quote_process(q, ctx, &inputs[runs % 4], &out) != 0) failures++;
        runs++;
        fx_ctx_reset(ctx);
        fx_clock_sleep(clk, NULL, 10000000);   /* 10 ms between requests */
    }
    fx_ctx_free(ctx);
    observed_quote_free(q);
    fx_prometheus_server_stop(srv);
    fx_runtime_free(rt);
    fx_otlp_flush(otlp);
    fx_otlp_stats st = fx_otlp_stats_get(otlp);
    fx_otlp_free(otlp);
    int rc = fx_prometheus_write_file(prom, metrics);
    fx_prometheus_free(prom);
    printf("%d runs, %d failed; %llu spans in %s; metrics in %s\n", runs, failures,
           (unsigned long long)st.spans_exported, traces, metrics);
    return rc == 0 && runs > 0 ? 0 : 1;
}
