/* observe.c — fx_observe_*: component events to metrics and tracer
 * callbacks, child spans of combinators, span attributes, W3C traceparent.
 * Only reached when fx_runtime_observed() is true (or when called
 * directly, where unconfigured tables make them cheap no-ops).
 *
 * A ctx's current span (ctx->span) points at the fx_observation of the
 * component running on it (on that thread's stack), or at an observation
 * in the arena that holds an adopted traceparent, or is NULL. Child
 * contexts copy the pointer; the observation outlives them because a
 * combinator waits for its branches before its fx_observe_end. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------ helpers */

/* fx_observation.flags */
enum {
    OBS_ENTERED = 1u << 0,     /* this observation is ctx's current one (end restores) */
    OBS_LEND_START = 1u << 1,  /* fx_observe_begin_lending: the first part begun takes start_ns */
    OBS_LEND_END = 1u << 2,    /* fx_observe_begin_lending: takes the end its last part lends */
    OBS_HAS_END = 1u << 3,     /* end_ns was lent by that part */
    OBS_PENDING = 1u << 4,     /* trace() deferring to the observed component inside it */
    OBS_REMOTE = 1u << 5,      /* holds an adopted traceparent in `remote` */
};

static fx_observation *current(const fx_ctx *ctx)
{
    return ctx != NULL ? (fx_observation *)ctx->span : NULL;
}

static FX__NOINLINE const fx__runtime_obs *default_tables(void)
{
    return fx__runtime_obs_of(fx_runtime_default());
}

static inline const fx__runtime_obs *tables(fx_runtime *rt)
{
    return FX_LIKELY(rt != NULL) ? fx__runtime_obs_of(rt) : default_tables();
}

/* The tracer handle of the nearest real span at or above o for tracer t:
 * skips pending trace() observations and unsampled children (span NULL). */
static void *handle_of(const fx_observation *o, const fx_tracer *t)
{
    for (; o != NULL; o = o->up)
        if (o->span != NULL && o->tracer == t) return o->span;
    return NULL;
}

/* The adopted remote parent, when no local span of t lies in between. */
static const fx_span_context *remote_of(const fx_observation *o, const fx_tracer *t)
{
    for (; o != NULL; o = o->up) {
        if (o->span != NULL && o->tracer == t) return NULL;
        if (o->flags & OBS_REMOTE) return &o->remote;
    }
    return NULL;
}

static void attr_int(const fx_tracer *t, void *span, const char *key, int64_t v)
{
    if (t->set_attribute_int != NULL) {
        t->set_attribute_int(t->user, span, key, v);
    } else if (t->set_attribute != NULL) {
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", (long long)v);
        t->set_attribute(t->user, span, key, buf);
    }
}

static void attr_double(const fx_tracer *t, void *span, const char *key, double v)
{
    if (t->set_attribute_double != NULL) {
        t->set_attribute_double(t->user, span, key, v);
    } else if (t->set_attribute != NULL) {
        char buf[32];
        snprintf(buf, sizeof buf, "%.3f", v);
        t->set_attribute(t->user, span, key, buf);
    }
}

static void attr_bool(const fx_tracer *t, void *span, const char *key, bool v)
{
    if (t->set_attribute_bool != NULL)
        t->set_attribute_bool(t->user, span, key, v);
    else if (t->set_attribute != NULL)
        t->set_attribute(t->user, span, key, v ? "true" : "false");
}

/* What every observation needs before anything may read it. The fields
 * left out (end_ns, attrs, nattrs, remote, child) are read only under the
 * flag or kind that their writer sets. */
static void obs_init(fx_observation *obs, fx_ctx *ctx)
{
    obs->span = NULL;
    obs->parent_span = NULL;
    obs->tracer = NULL;
    obs->up = current(ctx);
    obs->flags = 0;
    obs->child_kind = -1;
}

/* Opens t's span for c under ctx's current span and makes obs current. A
 * pending trace() observation right above hands over its attributes. */
static FX__ALWAYS_INLINE void span_open(const fx_tracer *t, fx_ctx *ctx, const fx_component *c, fx_observation *obs)
{
    obs->tracer = t;
    obs->parent_span = handle_of(obs->up, t);
    if (t->start_span == NULL) return;
    const fx_span_context *remote = obs->parent_span == NULL ? remote_of(obs->up, t) : NULL;
    if (remote != NULL && t->start_remote_span != NULL)
        obs->span = t->start_remote_span(t->user, remote, c);
    else
        obs->span = t->start_span(t->user, obs->parent_span, c);
    if (obs->span != NULL && obs->up != NULL && (obs->up->flags & OBS_PENDING)) {
        for (size_t i = 0; i < obs->up->nattrs; i++)
            if (t->set_attribute != NULL)
                t->set_attribute(t->user, obs->span, obs->up->attrs[i].key, obs->up->attrs[i].value);
    }
    if (ctx != NULL) {
        ctx->span = obs;
        obs->flags |= OBS_ENTERED;
    }
}

static void record_error(const fx_tracer *t, fx_ctx *ctx, void *span, int rc)
{
    if (t->record_error == NULL) return;
    const fx_error *e = ctx != NULL ? fx_ctx_error(ctx) : NULL;
    if (e != NULL && e->code == rc) {
        char text[512];
        fx_error_format(e, text, sizeof text);
        t->record_error(t->user, span, rc, text);
    } else {
        t->record_error(t->user, span, rc, fx_strerror(rc));
    }
}

/* Sets duration and error on obs's span, ends it, restores ctx's span. */
static FX__ALWAYS_INLINE void span_close(const fx_tracer *t, fx_ctx *ctx, fx_observation *obs,
                       int64_t duration_ns, bool with_duration, int rc)
{
    if (obs->span != NULL) {
        if (with_duration)
            attr_double(t, obs->span, "fluxus.stage.duration_ms", (double)duration_ns / 1e6);
        if (rc != 0) record_error(t, ctx, obs->span, rc);
        if (t->end_span != NULL) t->end_span(t->user, obs->span);
    }
    if (ctx != NULL && (obs->flags & OBS_ENTERED)) ctx->span = obs->up;
}

/* ------------------------------------------------------------ components
 *
 * begin and end run for every observed component: they write only the
 * fields that the no-tracer path reads, read the runtime's tables inline,
 * and leave spans to functions of their own. */

/* The start of a component's observation: borrowed from a lending
 * observation right above it that has not lent it yet, else the clock. */
static inline int64_t start_time(fx_observation *up, const fx_clock *clock)
{
    if (up != NULL && (up->flags & OBS_LEND_START)) {
        up->flags &= ~(unsigned)OBS_LEND_START;   /* the first part begun borrows it */
        return up->start_ns;
    }
    return fx__clock_now(clock);
}

/* The metrics callback of a component's start, or NULL. */
static inline void (*started_of(const fx_metrics *m, const fx_component *c))(void *, const fx_component *)
{
    if (m == NULL) return NULL;
    return c->kind == FX_COMPONENT_PIPELINE ? m->pipeline_started : m->stage_started;
}

/* begin with a tracer: as below, and the span. Out of line, so that the
 * path without one keeps a small frame. */
static FX__NOINLINE void begin_traced(const fx__runtime_obs *r, fx_ctx *ctx, const fx_component *c,
                                      fx_observation *obs, unsigned lending)
{
    obs_init(obs, ctx);
    obs->metrics = r->metrics;
    obs->clock = r->clock;
    obs->start_ns = start_time(obs->up, r->clock);
    if (lending != 0 && ctx != NULL) obs->flags = lending;
    void (*started)(void *, const fx_component *) = started_of(r->metrics, c);
    if (started != NULL) started(r->metrics->user, c);
    span_open(r->tracer, ctx, c, obs);
}

/* begin without a tracer (lending is a constant in each of the two
 * functions below). */
static FX__ALWAYS_INLINE void begin_plain(const fx__runtime_obs *r, fx_ctx *ctx, const fx_component *c,
                                          fx_observation *obs, unsigned lending)
{
    fx_observation *up = current(ctx);
    obs->span = NULL;
    obs->parent_span = NULL;
    obs->tracer = NULL;
    obs->up = up;
    obs->metrics = r->metrics;
    obs->clock = r->clock;
    obs->flags = 0;
    obs->start_ns = start_time(up, r->clock);
    if (lending != 0 && ctx != NULL) {
        obs->flags = lending | OBS_ENTERED;
        obs->child_kind = -1;
        ctx->span = obs;          /* where the parts find it */
    }
    void (*started)(void *, const fx_component *) = started_of(r->metrics, c);
    if (started != NULL) started(r->metrics->user, c);   /* last: a tail call */
}

static FX__NOINLINE void begin_plain_own(const fx__runtime_obs *r, fx_ctx *ctx, const fx_component *c,
                                         fx_observation *obs)
{
    begin_plain(r, ctx, c, obs, 0);
}

static FX__NOINLINE void begin_plain_lending(const fx__runtime_obs *r, fx_ctx *ctx, const fx_component *c,
                                             fx_observation *obs)
{
    begin_plain(r, ctx, c, obs, OBS_LEND_START | OBS_LEND_END);
}

/* The exported begins only pick the path: no frame of their own, so that
 * each path is a tail call (rt NULL, the default runtime, is the only
 * out-of-line call here). */
void fx_observe_begin(fx_runtime *rt, fx_ctx *ctx, const fx_component *c, fx_observation *obs)
{
    const fx__runtime_obs *r = tables(rt);
    if (FX_UNLIKELY(r->tracer != NULL)) begin_traced(r, ctx, c, obs, 0);
    else begin_plain_own(r, ctx, c, obs);
}

void fx_observe_begin_lending(fx_runtime *rt, fx_ctx *ctx, const fx_component *c, fx_observation *obs)
{
    const fx__runtime_obs *r = tables(rt);
    if (FX_UNLIKELY(r->tracer != NULL)) begin_traced(r, ctx, c, obs, OBS_LEND_START | OBS_LEND_END);
    else begin_plain_lending(r, ctx, c, obs);
}

/* The end of a component's observation: lent by its last part, or the clock. */
static inline int64_t end_time(const fx_observation *obs)
{
    return (obs->flags & OBS_HAS_END) ? obs->end_ns : fx__clock_now(obs->clock);
}

/* Lends `now` to the lending observation right above obs, if any. */
static inline void lend_end(fx_observation *obs, int64_t now)
{
    fx_observation *up = obs->up;
    if (up != NULL && (up->flags & OBS_LEND_END)) {
        up->end_ns = now;
        up->flags = (up->flags & ~(unsigned)OBS_LEND_END) | OBS_HAS_END;
    }
}

/* The component's metrics callback at its end. */
static inline void end_metrics(const fx_metrics *m, const fx_component *c, int64_t duration, int rc)
{
    if (m == NULL) return;
    if (c->kind == FX_COMPONENT_PIPELINE) {
        if (m->pipeline_completed != NULL) m->pipeline_completed(m->user, c, duration, rc);
    } else if (FX_LIKELY(rc == 0)) {
        if (m->stage_completed != NULL) m->stage_completed(m->user, c, duration);
    } else if (m->stage_error != NULL) {
        m->stage_error(m->user, c, duration, rc);
    }
}

/* end with a tracer (obs->tracer, set by begin's span_open): as below,
 * then the span. Out of line, like begin_traced. */
static FX__NOINLINE void end_traced(fx_ctx *ctx, const fx_component *c, fx_observation *obs, int rc,
                                    bool lends)
{
    int64_t now = end_time(obs);
    if (lends) lend_end(obs, now);
    int64_t duration = now - obs->start_ns;
    end_metrics(obs->metrics, c, duration, rc);
    span_close(obs->tracer, ctx, obs, duration, true, rc);
}

/* end without a tracer: the metrics callback comes last, so that it is
 * a tail call. */
static FX__ALWAYS_INLINE void end_plain(fx_ctx *ctx, const fx_component *c, fx_observation *obs, int rc,
                                        bool lends)
{
    int64_t now = end_time(obs);
    if (lends) lend_end(obs, now);
    if (obs->flags & OBS_ENTERED) ctx->span = obs->up;   /* a lending one */
    end_metrics(obs->metrics, c, now - obs->start_ns, rc);
}

static FX__NOINLINE void end_plain_own(fx_ctx *ctx, const fx_component *c, fx_observation *obs, int rc)
{
    end_plain(ctx, c, obs, rc, false);
}

static FX__NOINLINE void end_plain_lending(fx_ctx *ctx, const fx_component *c, fx_observation *obs, int rc)
{
    end_plain(ctx, c, obs, rc, true);
}

/* Like the begins, the exported ends only pick the path. */
void fx_observe_end(fx_runtime *rt, fx_ctx *ctx, const fx_component *c, fx_observation *obs, int rc)
{
    (void)rt;   /* begin kept what end needs of it in obs */
    if (FX_UNLIKELY(obs->tracer != NULL)) end_traced(ctx, c, obs, rc, false);
    else end_plain_own(ctx, c, obs, rc);
}

void fx_observe_end_lending(fx_runtime *rt, fx_ctx *ctx, const fx_component *c, fx_observation *obs, int rc)
{
    (void)rt;
    if (FX_UNLIKELY(obs->tracer != NULL)) end_traced(ctx, c, obs, rc, true);
    else end_plain_lending(ctx, c, obs, rc);
}

/* ------------------------------------------------------------ child spans */

static const char *const child_word[] = {
    [FX_CHILD_ATTEMPT] = "attempt", [FX_CHILD_BRANCH] = "branch", [FX_CHILD_ITEM] = "item",
};

void fx_observe_child_begin(fx_runtime *rt, fx_ctx *ctx, const fx_component *parent,
                            fx_child_kind kind, int index, fx_observation *obs)
{
    if (rt == NULL) rt = fx_runtime_default();
    const fx_tracer *t = fx__runtime_tracer(rt);
    obs->start_ns = fx_clock_now(fx_runtime_clock(rt));
    obs_init(obs, ctx);
    if (t == NULL || (unsigned)kind > FX_CHILD_ITEM) return;
    if (kind == FX_CHILD_ITEM &&
        (t->item_span_every == 0 || (unsigned)(index < 0 ? -index : index) % t->item_span_every != 0))
        return;
    obs->child = *parent;
    obs->child.kind = FX_COMPONENT_COMBINATOR;
    snprintf(obs->child_name, sizeof obs->child_name, "%s.%s.%d",
             parent->name != NULL ? parent->name : "?", child_word[kind], index);
    obs->child.name = obs->child_name;
    span_open(t, ctx, &obs->child, obs);
    if (obs->span == NULL) return;
    static const char *const index_key[] = {
        [FX_CHILD_ATTEMPT] = "attempt", [FX_CHILD_BRANCH] = "fluxus.stage.branch",
        [FX_CHILD_ITEM] = "fluxus.stage.item",
    };
    attr_int(t, obs->span, index_key[kind], index);
    obs->child.name = NULL;   /* only valid during start_span */
    obs->child_kind = (signed char)kind;
}

void fx_observe_child_end(fx_runtime *rt, fx_ctx *ctx, fx_observation *obs, int rc)
{
    if (rt == NULL) rt = fx_runtime_default();
    const fx_tracer *t = obs->tracer;
    if (t == NULL) return;
    int64_t duration = fx_clock_now(fx_runtime_clock(rt)) - obs->start_ns;
    if (obs->span != NULL && obs->child_kind == FX_CHILD_ATTEMPT)
        attr_bool(t, obs->span, "fluxus.stage.success", rc == 0);
    span_close(t, ctx, obs, duration, true, rc);
}

/* ------------------------------------------------------------ trace() */

void fx_observe_trace_begin(fx_runtime *rt, fx_ctx *ctx, const fx_component *c,
                            const fx_attr *attrs, size_t nattrs, bool merge, fx_observation *obs)
{
    if (rt == NULL) rt = fx_runtime_default();
    const fx_tracer *t = fx__runtime_tracer(rt);
    obs->start_ns = fx_clock_now(fx_runtime_clock(rt));
    obs_init(obs, ctx);
    if (t == NULL) return;
    if (merge) {
        /* The observed component inside opens the one span and takes attrs. */
        obs->flags |= OBS_PENDING;
        obs->attrs = attrs;
        obs->nattrs = nattrs;
        if (ctx != NULL) {
            ctx->span = obs;
            obs->flags |= OBS_ENTERED;
        }
        return;
    }
    span_open(t, ctx, c, obs);
    if (obs->span != NULL && t->set_attribute != NULL)
        for (size_t i = 0; i < nattrs; i++)
            t->set_attribute(t->user, obs->span, attrs[i].key, attrs[i].value);
}

void fx_observe_trace_end(fx_runtime *rt, fx_ctx *ctx, fx_observation *obs, int rc)
{
    if (rt == NULL) rt = fx_runtime_default();
    const fx_tracer *t = fx__runtime_tracer(rt);
    if (t == NULL) return;
    int64_t duration = fx_clock_now(fx_runtime_clock(rt)) - obs->start_ns;
    span_close(t, ctx, obs, duration, true, rc);
}

/* ------------------------------------------------------------ attributes */

void fx_span_attr_str(fx_ctx *ctx, const char *key, const char *value)
{
    fx_observation *o = current(ctx);
    if (o == NULL || o->span == NULL || o->tracer->set_attribute == NULL) return;
    o->tracer->set_attribute(o->tracer->user, o->span, key, value != NULL ? value : "");
}

void fx_span_attr_int(fx_ctx *ctx, const char *key, int64_t value)
{
    fx_observation *o = current(ctx);
    if (o == NULL || o->span == NULL) return;
    attr_int(o->tracer, o->span, key, value);
}

void fx_span_attr_bool(fx_ctx *ctx, const char *key, bool value)
{
    fx_observation *o = current(ctx);
    if (o == NULL || o->span == NULL) return;
    attr_bool(o->tracer, o->span, key, value);
}

/* ------------------------------------------------------------ events */

const char *fx_event_name(fx_event_kind kind)
{
    static const char *const names[FX_EVENT__COUNT] = {
        [FX_EVENT_RETRY_ATTEMPT] = "retry_attempt",
        [FX_EVENT_BUFFER_BATCH] = "buffer_batch",
        [FX_EVENT_FANOUT_STARTED] = "fanout_started",
        [FX_EVENT_FANOUT_COMPLETED] = "fanout_completed",
        [FX_EVENT_FANIN_STARTED] = "fanin_started",
        [FX_EVENT_FANIN_COMPLETED] = "fanin_completed",
        [FX_EVENT_BREAKER_STATE] = "breaker_state",
        [FX_EVENT_LIMITER_WAIT] = "limiter_wait",
        [FX_EVENT_LIMITER_REJECT] = "limiter_reject",
        [FX_EVENT_DLQ] = "dlq",
        [FX_EVENT_FILTERED] = "filtered",
        [FX_EVENT_ROUTE_SELECTED] = "route_selected",
    };
    return (unsigned)kind < FX_EVENT__COUNT && names[kind] != NULL ? names[kind] : "unknown";
}

/* The event's specific metrics callback. */
static void dispatch(const fx_metrics *m, const fx_event *ev)
{
    void *u = m->user;
    const fx_component *c = ev->component;
    switch (ev->kind) {
    case FX_EVENT_RETRY_ATTEMPT:
        if (m->retry_attempt != NULL) m->retry_attempt(u, c, ev->index, ev->code);
        break;
    case FX_EVENT_BUFFER_BATCH:
        if (m->buffer_batch != NULL) m->buffer_batch(u, c, ev->index, ev->value);
        break;
    case FX_EVENT_FANOUT_STARTED:
        if (m->fanout_started != NULL) m->fanout_started(u, c, ev->value);
        break;
    case FX_EVENT_FANOUT_COMPLETED:
        if (m->fanout_completed != NULL) m->fanout_completed(u, c, ev->value, ev->code);
        break;
    case FX_EVENT_FANIN_STARTED:
        if (m->fanin_started != NULL) m->fanin_started(u, c, ev->value);
        break;
    case FX_EVENT_FANIN_COMPLETED:
        if (m->fanin_completed != NULL) m->fanin_completed(u, c, ev->code);
        break;
    case FX_EVENT_BREAKER_STATE:
        if (m->breaker_state != NULL) m->breaker_state(u, c, ev->index, (int)ev->value);
        break;
    case FX_EVENT_LIMITER_WAIT:
        if (m->limiter_wait != NULL) m->limiter_wait(u, c, ev->value);
        break;
    case FX_EVENT_LIMITER_REJECT:
        if (m->limiter_reject != NULL) m->limiter_reject(u, c);
        break;
    case FX_EVENT_DLQ:
        if (m->dlq != NULL) m->dlq(u, c, ev->code);
        break;
    case FX_EVENT_FILTERED:
        if (m->filtered != NULL) m->filtered(u, c);
        break;
    case FX_EVENT_ROUTE_SELECTED:
        if (m->route_selected != NULL) m->route_selected(u, c, ev->index);
        break;
    case FX_EVENT__COUNT:
        break;
    }
}

void fx_observe_event(fx_runtime *rt, fx_ctx *ctx, const fx_event *ev)
{
    if (rt == NULL) rt = fx_runtime_default();
    const fx_metrics *m = fx__runtime_metrics(rt);
    const fx_tracer *t = fx__runtime_tracer(rt);
    if (m != NULL) {
        dispatch(m, ev);
        if (m->event != NULL) m->event(m->user, ev);
    }
    if (t != NULL && t->add_event != NULL) {
        void *span = handle_of(current(ctx), t);
        if (span != NULL) t->add_event(t->user, span, ev);
    }
}

/* ------------------------------------------------------------ traceparent */

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    return -1;   /* W3C: lowercase only */
}

static bool hex_bytes(const char *s, uint8_t *out, size_t n)
{
    bool nonzero = false;
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        out[i] = (uint8_t)(hi << 4 | lo);
        nonzero |= out[i] != 0;
    }
    return nonzero;
}

int fx_traceparent_parse(const char *h, fx_span_context *out)
{
    fx_span_context sc;
    uint8_t version;
    if (h == NULL || strlen(h) < 55) return FX_EINVAL;
    /* the version may be all zeros; hex_bytes wants a non-zero value */
    if (hexval(h[0]) < 0 || hexval(h[1]) < 0) return FX_EINVAL;
    version = (uint8_t)(hexval(h[0]) << 4 | hexval(h[1]));
    if (version == 0xff || h[2] != '-' || h[35] != '-' || h[52] != '-') return FX_EINVAL;
    if (!hex_bytes(h + 3, sc.trace_id, 16) || !hex_bytes(h + 36, sc.span_id, 8)) return FX_EINVAL;
    if (hexval(h[53]) < 0 || hexval(h[54]) < 0) return FX_EINVAL;
    sc.flags = (uint8_t)(hexval(h[53]) << 4 | hexval(h[54]));
    /* version 00 is exactly 55 characters; later versions may append "-…" */
    if (h[55] != '\0' && (version == 0 || h[55] != '-')) return FX_EINVAL;
    *out = sc;
    return 0;
}

int fx_traceparent_format(const fx_span_context *sc, char *buf, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (buf != NULL && n > 0) buf[0] = '\0';
    if (sc == NULL || buf == NULL || n < 56) return FX_EINVAL;
    char *p = buf;
    *p++ = '0'; *p++ = '0'; *p++ = '-';
    for (int i = 0; i < 16; i++) { *p++ = hex[sc->trace_id[i] >> 4]; *p++ = hex[sc->trace_id[i] & 15]; }
    *p++ = '-';
    for (int i = 0; i < 8; i++) { *p++ = hex[sc->span_id[i] >> 4]; *p++ = hex[sc->span_id[i] & 15]; }
    *p++ = '-';
    *p++ = hex[sc->flags >> 4];
    *p++ = hex[sc->flags & 15];
    *p = '\0';
    return 0;
}

int fx_ctx_set_traceparent(fx_ctx *ctx, const char *header)
{
    if (ctx == NULL) return FX_EINVAL;
    fx_observation *o = current(ctx);
    if (header == NULL) {
        if (o != NULL && (o->flags & OBS_REMOTE) && o->span == NULL) ctx->span = o->up;
        return 0;
    }
    fx_span_context sc;
    if (fx_traceparent_parse(header, &sc) != 0) return FX_EINVAL;
    if (o != NULL && (o->flags & OBS_REMOTE) && o->span == NULL && !(o->flags & OBS_PENDING)) {
        o->remote = sc;     /* replace the one adopted before */
        return 0;
    }
    fx_observation *r = fx_alloc(ctx, sizeof *r);
    if (r == NULL) return FX_ENOMEM;
    memset(r, 0, sizeof *r);
    r->up = o;
    r->remote = sc;
    r->flags = OBS_REMOTE;
    r->child_kind = -1;
    ctx->span = r;
    return 0;
}

int fx_ctx_traceparent(const fx_ctx *ctx, char *buf, size_t n)
{
    if (buf != NULL && n > 0) buf[0] = '\0';
    for (const fx_observation *o = current(ctx); o != NULL; o = o->up) {
        if (o->span != NULL) {
            const fx_tracer *t = o->tracer;
            fx_span_context sc;
            if (t->span_context == NULL || !t->span_context(t->user, o->span, &sc))
                return FX_EINVAL;
            return fx_traceparent_format(&sc, buf, n);
        }
        if (o->flags & OBS_REMOTE) return fx_traceparent_format(&o->remote, buf, n);
    }
    return FX_EINVAL;
}
