/* fluxus/prometheus.h — the built-in Prometheus collector (SPEC §5.6).
 *
 * An fx_prometheus is an fx_metrics table (fx_prometheus_metrics) that
 * counts what the pipelines of a runtime report, per (pipeline, stage):
 * started / completed / errors by code class, duration histograms, retry
 * attempts, batches, fan-out/fan-in, breaker state, limiter waits and
 * rejects, DLQ hand-offs, filtered items, selected routes. It writes them
 * in the Prometheus text exposition format (0.0.4) to a FILE * or a file
 * (for node_exporter's textfile collector), or serves them over HTTP
 * (libmicrohttpd) at /metrics. The metric families are listed in
 * docs/OBSERVABILITY.md.
 *
 * Linking: a program that calls fx_prometheus_* needs -lmicrohttpd (the
 * object is in libfluxus.a; programs that do not call it do not pull it).
 *
 * Threads: the callbacks are lock-free after a thread's first event of a
 * component (the component events count into the thread's own block of
 * the series with plain stores, other events with relaxed atomic adds; a
 * new series takes a mutex once, and so does a thread's first event, to
 * take one of 64 thread slots, given back at its exit; threads beyond 64
 * count with atomic adds). Counts are exact. Every function may be called
 * from any thread, concurrently with the callbacks; a scrape sums the
 * threads' blocks. */
#ifndef FLUXUS_PROMETHEUS_H
#define FLUXUS_PROMETHEUS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <fluxus/observe.h>

typedef struct fx_prometheus fx_prometheus;
typedef struct fx_prometheus_server fx_prometheus_server;

#define FX_PROMETHEUS_MAX_BUCKETS 32

typedef struct fx_prometheus_config {
    /* Upper bounds of the duration histograms in seconds, ascending, at most
     * FX_PROMETHEUS_MAX_BUCKETS (+Inf is implied). NULL = the default
     * 100us, 500us, 1ms, 5ms, 10ms, 25ms, 50ms, 100ms, 250ms, 500ms, 1s,
     * 2.5s, 5s, 10s. Copied. */
    const double *buckets;
    size_t nbuckets;
} fx_prometheus_config;

/* A new, empty collector. cfg NULL = defaults. NULL on OOM or invalid
 * buckets (not ascending, too many). Free with fx_prometheus_free. */
fx_prometheus *fx_prometheus_new(const fx_prometheus_config *cfg);

/* Frees p. Stop its servers first, and free every runtime that uses its
 * metrics table. NULL: no-op. */
void fx_prometheus_free(fx_prometheus *p);

/* The fx_metrics table to put in fx_runtime_config.metrics. Owned by p,
 * valid until fx_prometheus_free. */
const fx_metrics *fx_prometheus_metrics(fx_prometheus *p);

/* Writes every metric family in the text exposition format to f (series in
 * order of first appearance). 0, or FX_EINVAL when writing failed. */
int fx_prometheus_write(fx_prometheus *p, FILE *f);

/* Writes to path atomically (path.tmp, then rename), as node_exporter's
 * textfile collector wants (path should end in ".prom"). 0 or FX_EINVAL. */
int fx_prometheus_write_file(fx_prometheus *p, const char *path);

/* Serves GET /metrics on host:port (IPv4 address, NULL = "127.0.0.1"; port
 * 0 = an ephemeral port, see fx_prometheus_server_port) from a thread of
 * its own. *out receives the server, stopped with
 * fx_prometheus_server_stop. FX_EINVAL on a bad address or when the server
 * cannot start (port in use), FX_ENOMEM on OOM. */
int fx_prometheus_serve(fx_prometheus *p, const char *host, int port, fx_prometheus_server **out);

/* The TCP port the server listens on. */
int fx_prometheus_server_port(const fx_prometheus_server *s);

/* Stops the server (waits for requests in flight) and frees it. NULL: no-op. */
void fx_prometheus_server_stop(fx_prometheus_server *s);

#endif /* FLUXUS_PROMETHEUS_H */
