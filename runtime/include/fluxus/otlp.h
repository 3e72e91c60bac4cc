/* fluxus/otlp.h — the built-in OpenTelemetry trace exporter (SPEC §5.6).
 *
 * An fx_otlp is an fx_tracer (fx_otlp_tracer) that records spans and
 * exports them as OTLP/JSON ExportTraceServiceRequest messages: resource
 * attribute service.name, scope "fluxus", 32-hex trace ids, 16-hex span
 * ids, parent span ids, start/end in unix nanoseconds, typed attributes,
 * events (an "exception" event per error, the fx_events of combinators)
 * and status. Either appended to a file, one request per line (as the
 * OpenTelemetry Collector's file exporter writes), or POSTed to an
 * OTLP/HTTP endpoint (…/v1/traces) with libcurl.
 *
 * Export happens off the hot path: ending a span moves it to a bounded
 * queue; a background thread takes batches from it. When the queue is full
 * (the collector is down or slow) the span is dropped and counted, never
 * waited for. Spans whose trace was adopted unsampled (traceparent flags
 * 00) are not exported.
 *
 * It also implements fx_tracer.span_context, so fx_ctx_traceparent works.
 *
 * Linking: a program that calls fx_otlp_* needs -lcurl.
 *
 * Threads: the tracer callbacks may be called from any thread at once;
 * fx_otlp_flush and fx_otlp_stats too. Time: span timestamps come from
 * cfg->clock (so they are exact under a fake clock), turned into unix time
 * by an offset taken once in fx_otlp_new. */
#ifndef FLUXUS_OTLP_H
#define FLUXUS_OTLP_H

#include <stddef.h>
#include <stdint.h>

#include <fluxus/observe.h>

typedef struct fx_otlp fx_otlp;

typedef struct fx_otlp_config {
    const char *service_name;    /* resource service.name; NULL = "fluxus" */
    /* Exactly one of: */
    const char *file;            /* append one JSON request per line to this path */
    const char *endpoint;        /* "http://host:4318" or the full ".../v1/traces" URL */
    size_t queue_capacity;       /* spans waiting for export; 0 = 4096 */
    size_t batch_size;           /* spans per request; 0 = 512 */
    int64_t flush_interval_ns;   /* a partial batch waits at most this long; 0 = 1 s */
    int64_t timeout_ns;          /* HTTP request timeout; 0 = 5 s */
    const fx_clock *clock;       /* span timestamps; NULL = the real clock */
    unsigned item_span_every;    /* fx_tracer.item_span_every: map item spans (0 = none) */
} fx_otlp_config;

/* Counters since fx_otlp_new. */
typedef struct fx_otlp_stats {
    uint64_t spans_ended;        /* ended and sampled */
    uint64_t spans_exported;     /* in a request the file took or the endpoint answered 2xx */
    uint64_t spans_dropped;      /* the queue was full */
    uint64_t spans_failed;       /* in a request that failed (write error, HTTP error or non-2xx) */
    uint64_t requests;           /* requests attempted */
} fx_otlp_stats;

/* A new exporter and its thread. NULL when cfg is NULL, names neither or
 * both of file and endpoint, the file cannot be opened for appending, or
 * on OOM. Free with fx_otlp_free. */
fx_otlp *fx_otlp_new(const fx_otlp_config *cfg);

/* The tracer to put in fx_runtime_config.tracer; owned by o. */
const fx_tracer *fx_otlp_tracer(fx_otlp *o);

/* Blocks until every span ended before the call has been exported or has
 * failed. 0, or FX_EINVAL when some of them failed since the last flush. */
int fx_otlp_flush(fx_otlp *o);

fx_otlp_stats fx_otlp_stats_get(fx_otlp *o);

/* Flushes, stops the thread, frees o. Every runtime using its tracer must be
 * freed first, and no span of it may still be open. NULL: no-op. */
void fx_otlp_free(fx_otlp *o);

#endif /* FLUXUS_OTLP_H */
