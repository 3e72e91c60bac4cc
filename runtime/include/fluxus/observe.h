/* fluxus/observe.h — metrics and tracing hooks (SPEC §5.6).
 *
 * The one mechanism generated code uses to report what happens: around each
 * observed component it calls
 *
 *     fx_observation obs;
 *     if (fx_runtime_observed(rt)) fx_observe_begin(rt, ctx, &COMPONENT, &obs);
 *     rc = …run the component…;
 *     if (fx_runtime_observed(rt)) fx_observe_end(rt, ctx, &COMPONENT, &obs, rc);
 *
 * and fx_observe_* turn that into fx_metrics and fx_tracer callbacks.
 * Exporters (Prometheus, OTLP) are tables of callbacks plugged in through
 * fx_runtime_config; they never need changes in the generated code.
 *
 * Callbacks run on the thread that runs the component, possibly on many
 * threads at once: they must be thread-safe. The tables and their `user`
 * pointers are owned by the application and must outlive every runtime
 * configured with them. Unconfigured observability costs one predictable
 * branch per component. */
#ifndef FLUXUS_OBSERVE_H
#define FLUXUS_OBSERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <fluxus/runtime.h>

typedef struct fx_ctx fx_ctx;

typedef enum fx_component_kind {
    FX_COMPONENT_PIPELINE,
    FX_COMPONENT_STAGE,
    FX_COMPONENT_CHAIN,
    FX_COMPONENT_COMBINATOR
} fx_component_kind;

/* Static description of a component; generated code keeps these in static
 * const tables, so the pointers stay valid for the life of the program. */
typedef struct fx_component {
    const char *pipeline;      /* the top-level pipeline's name, e.g. "process" */
    const char *name;          /* stage name, `as` name, or combinator name */
    const char *module;        /* fx module name */
    fx_component_kind kind;
} fx_component;

/* What happens inside a combinator, beyond "a component started/ended".
 * Reported with fx_observe_event() by generated code and by the runtime's
 * stateful components (breakers, limiters). */
typedef enum fx_event_kind {
    FX_EVENT_RETRY_ATTEMPT,     /* index = attempt about to run (1-based), code = previous try's error */
    FX_EVENT_BUFFER_BATCH,      /* index = batch offset, value = batch size */
    FX_EVENT_FANOUT_STARTED,    /* value = number of branches */
    FX_EVENT_FANOUT_COMPLETED,  /* value = number of branches, code = result */
    FX_EVENT_FANIN_STARTED,     /* value = number of inputs */
    FX_EVENT_FANIN_COMPLETED,   /* code = result */
    FX_EVENT_BREAKER_STATE,     /* value = new fx_circuit_state, index = previous state */
    FX_EVENT_LIMITER_WAIT,      /* value = nanoseconds waited for a token */
    FX_EVENT_LIMITER_REJECT,    /* no token within the wait */
    FX_EVENT_DLQ,               /* code = the error of the item handed to the DLQ */
    FX_EVENT_FILTERED,          /* an item was filtered out */
    FX_EVENT_ROUTE_SELECTED,    /* index = route index */
    FX_EVENT__COUNT
} fx_event_kind;

typedef struct fx_event {
    fx_event_kind kind;
    const fx_component *component;   /* the combinator reporting it */
    int64_t value;
    int index;
    int code;
} fx_event;

/* The event's name, e.g. "retry_attempt". Static text. */
const char *fx_event_name(fx_event_kind kind);

/* Metrics callbacks; every one optional (NULL). */
struct fx_metrics {
    void *user;
    void (*pipeline_started)(void *user, const fx_component *c);
    void (*pipeline_completed)(void *user, const fx_component *c, int64_t duration_ns, int code);
    void (*stage_started)(void *user, const fx_component *c);
    void (*stage_completed)(void *user, const fx_component *c, int64_t duration_ns);
    void (*stage_error)(void *user, const fx_component *c, int64_t duration_ns, int code);
    void (*event)(void *user, const fx_event *ev);   /* everything of fx_event_kind */
};

/* Tracing callbacks; every one optional (NULL). A span is the tracer's own
 * handle; the runtime only passes it back. start_span may return NULL. */
struct fx_tracer {
    void *user;
    void *(*start_span)(void *user, void *parent_span, const fx_component *c);
    void  (*set_attribute)(void *user, void *span, const char *key, const char *value);
    void  (*record_error)(void *user, void *span, int code, const char *message);
    void  (*end_span)(void *user, void *span);
    void  (*add_event)(void *user, void *span, const fx_event *ev);
};

/* True iff rt has metrics or a tracer. rt NULL -> false. Inline: one load
 * and one branch. Any thread. */
inline bool fx_runtime_observed(const fx_runtime *rt)
{
    return rt != NULL && ((const struct fx__runtime_head *)(const void *)rt)->observed;
}

/* State of one observed run of a component; lives on the caller's stack
 * between fx_observe_begin and fx_observe_end. */
typedef struct fx_observation {
    int64_t start_ns;          /* fx_clock_now(runtime clock) at begin */
    void *span;                /* this component's span, or NULL */
    void *parent_span;         /* the ctx's current span at begin */
} fx_observation;

/* Starts observing component c running on ctx: records the start time on
 * rt's clock, calls pipeline_started (kind PIPELINE) or stage_started (any
 * other kind), and opens a span whose parent is ctx's current span; that
 * span becomes ctx's current span until fx_observe_end. rt NULL = the
 * default runtime; ctx may be NULL (no span nesting).
 *
 * The current span is one field of the ctx, swapped by begin/end: correct
 * for components that run one after another or nested on one ctx. Work that
 * runs concurrently must run on child contexts (which start with their
 * parent's current span); the concurrent combinators do that.
 * Called by the thread running c on ctx; never fails; allocates nothing
 * itself (callbacks may). */
void fx_observe_begin(fx_runtime *rt, fx_ctx *ctx, const fx_component *c, fx_observation *obs);

/* Ends the observation begun with the same obs: duration = now - start on
 * rt's clock; kind PIPELINE -> pipeline_completed(duration, rc); otherwise
 * rc == 0 -> stage_completed(duration), rc != 0 -> stage_error(duration,
 * rc). On the span: attribute "fluxus.stage.duration_ms", record_error(rc,
 * text) when rc != 0 (text = ctx's error record formatted when its code is
 * rc, else fx_strerror(rc)), then end_span; ctx's current span goes back to
 * obs->parent_span. Same thread as the matching begin; never fails. */
void fx_observe_end(fx_runtime *rt, fx_ctx *ctx, const fx_component *c, fx_observation *obs, int rc);

/* Reports ev: to the metrics' event callback, and as an event on ctx's
 * current span (add_event). rt NULL = the default runtime; ctx may be NULL.
 * Callers test fx_runtime_observed(rt) first, so that an unobserved
 * runtime pays one branch. Any thread (the one running on ctx); never
 * fails; allocates nothing itself. */
void fx_observe_event(fx_runtime *rt, fx_ctx *ctx, const fx_event *ev);

#endif /* FLUXUS_OBSERVE_H */
