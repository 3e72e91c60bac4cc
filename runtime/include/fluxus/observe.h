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

/* Metrics callbacks; every one optional (NULL).
 *
 * Component events (fx_observe_begin/end): pipeline_* for kind PIPELINE,
 * stage_* for every other kind (stages, and combinators made observable by
 * `metrics(…)`). Events inside combinators (fx_observe_event) go to their
 * specific callback below and then, when set, to `event`, a catch-all tap
 * that sees every fx_event (kept for tools that want one entry point).
 * `c` is the component that reports: a stage, or the combinator. */
struct fx_metrics {
    void *user;
    void (*pipeline_started)(void *user, const fx_component *c);
    void (*pipeline_completed)(void *user, const fx_component *c, int64_t duration_ns, int code);
    void (*stage_started)(void *user, const fx_component *c);
    void (*stage_completed)(void *user, const fx_component *c, int64_t duration_ns);
    void (*stage_error)(void *user, const fx_component *c, int64_t duration_ns, int code);
    void (*event)(void *user, const fx_event *ev);   /* every fx_event, after its specific callback */

    /* One per fx_event_kind; arguments are the fx_event's fields. */
    void (*retry_attempt)(void *user, const fx_component *c, int attempt, int previous_code);
    void (*buffer_batch)(void *user, const fx_component *c, int offset, int64_t size);
    void (*fanout_started)(void *user, const fx_component *c, int64_t branches);
    void (*fanout_completed)(void *user, const fx_component *c, int64_t branches, int code);
    void (*fanin_started)(void *user, const fx_component *c, int64_t inputs);
    void (*fanin_completed)(void *user, const fx_component *c, int code);
    void (*breaker_state)(void *user, const fx_component *c, int from_state, int to_state);
    void (*limiter_wait)(void *user, const fx_component *c, int64_t waited_ns);
    void (*limiter_reject)(void *user, const fx_component *c);
    void (*dlq)(void *user, const fx_component *c, int code);
    void (*filtered)(void *user, const fx_component *c);
    void (*route_selected)(void *user, const fx_component *c, int route);
};

/* The W3C trace context of a span: what a `traceparent` header carries. */
typedef struct fx_span_context {
    uint8_t trace_id[16];
    uint8_t span_id[8];
    uint8_t flags;             /* bit 0: sampled */
} fx_span_context;

/* Tracing callbacks; every one optional (NULL). A span is the tracer's own
 * handle; the runtime only passes it back. start_span may return NULL (no
 * span: nothing else is called for it). `c` stays valid only during the
 * call for child spans (fx_observe_child_begin): copy what you keep.
 * Parents end after their children (spans nest as components do). */
struct fx_tracer {
    void *user;
    void *(*start_span)(void *user, void *parent_span, const fx_component *c);
    void  (*set_attribute)(void *user, void *span, const char *key, const char *value);
    void  (*record_error)(void *user, void *span, int code, const char *message);
    void  (*end_span)(void *user, void *span);
    void  (*add_event)(void *user, void *span, const fx_event *ev);

    /* Typed attributes; when NULL the value is formatted and passed to
     * set_attribute ("%lld", "%.3f", "true"/"false"). */
    void  (*set_attribute_int)(void *user, void *span, const char *key, int64_t value);
    void  (*set_attribute_double)(void *user, void *span, const char *key, double value);
    void  (*set_attribute_bool)(void *user, void *span, const char *key, bool value);
    /* A span whose parent is remote (a context that adopted a traceparent
     * and has no local span yet). NULL: start_span(user, NULL, c). */
    void *(*start_remote_span)(void *user, const fx_span_context *remote_parent, const fx_component *c);
    /* The W3C ids of one of this tracer's spans, for fx_ctx_traceparent.
     * Returns false when it has none. */
    bool  (*span_context)(void *user, void *span, fx_span_context *out);
    /* Per-item spans of map (fx_observe_child_begin with FX_CHILD_ITEM):
     * 0 = none, 1 = every item, N = items 0, N, 2N, … */
    unsigned item_span_every;
};

/* True iff rt has metrics or a tracer. rt NULL -> false. Inline: one load
 * and one branch. Any thread. */
inline bool fx_runtime_observed(const fx_runtime *rt)
{
    return rt != NULL && ((const struct fx__runtime_head *)(const void *)rt)->observed;
}

/* State of one observed run of a component; lives on the caller's stack
 * between fx_observe_begin and fx_observe_end (or the _child_/_trace_
 * pairs below). While it runs, the ctx's current span may point here, so
 * child contexts, nested components and fx_span_* find the span through
 * it. Fields are private except parent_span and span (read-only). The
 * fields are in the order fx_observe_begin writes them for a component
 * with no tracer (the common case): the rest is written only where it is
 * read (a span, a trace(), an adopted traceparent, a child span). */
typedef struct fx_observation {
    int64_t start_ns;          /* fx_clock_now(runtime clock) at begin */
    void *span;                /* this component's span, or NULL */
    void *parent_span;         /* the tracer's handle of the parent span at begin, or NULL */
    /* private */
    const fx_tracer *tracer;   /* the tracer `span` belongs to, or NULL */
    struct fx_observation *up; /* the ctx's current observation at begin */
    const fx_metrics *metrics; /* fx_observe_begin: the runtime's table and clock, which */
    const fx_clock *clock;     /* never change, kept for fx_observe_end */
    unsigned flags;            /* FX__OBS_* (observe.c): entered, lending, pending, remote */
    signed char child_kind;    /* fx_child_kind of a child span, or -1 */
    int64_t end_ns;            /* lent by the last part (fx_observe_end_lending) */
    const struct fx_attr *attrs;   /* trace(): attributes handed to the next span begun */
    size_t nattrs;
    fx_span_context remote;    /* an adopted traceparent (fx_ctx_set_traceparent) */
    fx_component child;        /* fx_observe_child_begin: the span's name lives in child_name */
    char child_name[64];
} fx_observation;

/* One attribute of `trace(s, attrs: {key: "value"})`: static strings. */
typedef struct fx_attr {
    const char *key;
    const char *value;
} fx_attr;

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

/* fx_observe_begin for a component whose body begins with an observed
 * component, begun on ctx right after this returns (nothing in between
 * takes time), and ends with one whose fx_observe_end_lending returns
 * right before the matching fx_observe_end: a pipeline whose body is one
 * stage, or a chain whose first and last parts are observed. The first
 * component begun under this observation takes its start time instead of
 * reading the clock; the end that the last one lends becomes this one's
 * end. So a pipeline of one stage is timed with two clock reads instead of
 * four (their durations are then equal), a chain of n stages with 2n
 * instead of 2n + 2. When the body stops early (an error, a done context),
 * this observation's end reads the clock. The observation is ctx's current
 * one until its end, with or without a tracer (ctx must not be NULL for
 * the lending to happen). Same contract as fx_observe_begin otherwise. */
void fx_observe_begin_lending(fx_runtime *rt, fx_ctx *ctx, const fx_component *c, fx_observation *obs);

/* fx_observe_end for the last act of the body of an observation begun
 * with fx_observe_begin_lending (the one that was ctx's current at this
 * component's begin): its end time is lent to that observation's end.
 * Otherwise (no such observation above) the same as fx_observe_end. */
void fx_observe_end_lending(fx_runtime *rt, fx_ctx *ctx, const fx_component *c, fx_observation *obs, int rc);

/* Reports ev: to the metrics' event callback, and as an event on ctx's
 * current span (add_event). rt NULL = the default runtime; ctx may be NULL.
 * Callers test fx_runtime_observed(rt) first, so that an unobserved
 * runtime pays one branch. Any thread (the one running on ctx); never
 * fails; allocates nothing itself. */
void fx_observe_event(fx_runtime *rt, fx_ctx *ctx, const fx_event *ev);

/* ---------------------------------------------------------------- spans of combinators
 *
 * What the combinators' generated code calls beyond begin/end. All of
 * them are for the thread running on ctx, never fail, allocate nothing
 * themselves, and are meant to be called only when fx_runtime_observed(rt)
 * is true (they are correct, just slower, otherwise). See
 * docs/OBSERVABILITY.md for which combinator calls what. */

/* Kinds of trace-only child spans a combinator opens inside its own. */
typedef enum fx_child_kind {
    FX_CHILD_ATTEMPT,          /* retry: one per try, index = attempt (1-based) */
    FX_CHILD_BRANCH,           /* fanout/parallel/router: one per branch, index = branch */
    FX_CHILD_ITEM              /* map: one per item, index = item; sampled by item_span_every */
} fx_child_kind;

/* Opens a span named "<parent->name>.attempt.<index>" (".branch.", ".item.")
 * under ctx's current span, with attribute "attempt" (ATTEMPT, as
 * go-fluxus), "fluxus.stage.branch" or "fluxus.stage.item" = index, and
 * makes it ctx's current span. Concurrent branches and items each run on
 * their own child context (fx_ctx_with_cancel of the combinator's ctx,
 * made after the combinator's fx_observe_begin) and call this on it. Trace
 * only: no metrics callback. An unsampled item opens nothing. */
void fx_observe_child_begin(fx_runtime *rt, fx_ctx *ctx, const fx_component *parent,
                            fx_child_kind kind, int index, fx_observation *obs);

/* Ends it: attribute "fluxus.stage.success" (ATTEMPT), error status and an
 * `exception` event when rc != 0, end_span; ctx's current span goes back. */
void fx_observe_child_end(fx_runtime *rt, fx_ctx *ctx, fx_observation *obs, int rc);

/* trace(s, name: "…", attrs: {…}): one span named c->name, carrying attrs
 * (nattrs static pairs), around s. merge = true when s is itself observed
 * (a stage, a nested pipeline, an observed combinator): then no span is
 * opened here; s's own span (sema gives s the trace's name) takes the
 * attributes, so there is one span, as in go-fluxus. merge = false opens a
 * trace-only span here (no metrics callback). */
void fx_observe_trace_begin(fx_runtime *rt, fx_ctx *ctx, const fx_component *c,
                            const fx_attr *attrs, size_t nattrs, bool merge, fx_observation *obs);
void fx_observe_trace_end(fx_runtime *rt, fx_ctx *ctx, fx_observation *obs, int rc);

/* Attributes on ctx's current span (no-op when it has none): combinators
 * set go-fluxus's names (fluxus.stage.num_stages, …); a stage may set its
 * own. key and string values are copied by the tracer. Any thread running
 * on ctx. */
void fx_span_attr_str(fx_ctx *ctx, const char *key, const char *value);
void fx_span_attr_int(fx_ctx *ctx, const char *key, int64_t value);
void fx_span_attr_bool(fx_ctx *ctx, const char *key, bool value);

/* ---------------------------------------------------------------- W3C trace context */

/* Makes ctx adopt an incoming `traceparent` header value
 * ("00-<32 hex trace id>-<16 hex span id>-<2 hex flags>"): the next span
 * begun on ctx with no local parent joins that trace as a child of that
 * span. Call it on a ctx that runs no component, after fx_ctx_reset (a
 * reset forgets it; the copy lives in the ctx's arena). header NULL
 * forgets it now. FX_EINVAL on a malformed header (all-zero ids, version
 * ff, wrong length or characters), FX_ENOMEM when the arena is out of
 * memory; ctx is then unchanged. Thread running on ctx. */
int fx_ctx_set_traceparent(fx_ctx *ctx, const char *header);

/* Writes the traceparent for an outgoing call made from ctx (55 characters
 * and a NUL, so n >= 56): the current span's ids when the tracer reports
 * them (span_context), else the adopted one unchanged. FX_EINVAL when
 * there is neither, or n is too small (buf is then ""). Thread running on
 * ctx, typically inside a stage. */
int fx_ctx_traceparent(const fx_ctx *ctx, char *buf, size_t n);

/* Parses / formats a traceparent value (as above). 0 or FX_EINVAL. Pure. */
int fx_traceparent_parse(const char *header, fx_span_context *out);
int fx_traceparent_format(const fx_span_context *sc, char *buf, size_t n);

#endif /* FLUXUS_OBSERVE_H */
