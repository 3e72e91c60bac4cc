/* observe.c — fx_observe_begin/end: component events to metrics and tracer
 * callbacks. Only reached when fx_runtime_observed() is true (or when called
 * directly, where unconfigured tables make them cheap no-ops). */
#include "internal.h"

#include <stdio.h>

void fx_observe_begin(fx_runtime *rt, fx_ctx *ctx, const fx_component *c, fx_observation *obs)
{
    if (rt == NULL) rt = fx_runtime_default();
    const fx_metrics *m = fx__runtime_metrics(rt);
    const fx_tracer *t = fx__runtime_tracer(rt);
    obs->start_ns = fx_clock_now(fx_runtime_clock(rt));
    obs->parent_span = ctx != NULL ? ctx->span : NULL;
    obs->span = NULL;
    if (m != NULL) {
        if (c->kind == FX_COMPONENT_PIPELINE) {
            if (m->pipeline_started != NULL) m->pipeline_started(m->user, c);
        } else if (m->stage_started != NULL) {
            m->stage_started(m->user, c);
        }
    }
    if (t != NULL && t->start_span != NULL) {
        obs->span = t->start_span(t->user, obs->parent_span, c);
        if (ctx != NULL) ctx->span = obs->span;
    }
}

static void trace_end(const fx_tracer *t, fx_ctx *ctx, fx_observation *obs,
                      int64_t duration_ns, int rc)
{
    if (t->set_attribute != NULL) {
        char ms[32];
        snprintf(ms, sizeof ms, "%.3f", (double)duration_ns / 1e6);
        t->set_attribute(t->user, obs->span, "fluxus.stage.duration_ms", ms);
    }
    if (rc != 0 && t->record_error != NULL) {
        const fx_error *e = ctx != NULL ? fx_ctx_error(ctx) : NULL;
        char text[512];
        if (e != NULL && e->code == rc) {
            fx_error_format(e, text, sizeof text);
            t->record_error(t->user, obs->span, rc, text);
        } else {
            t->record_error(t->user, obs->span, rc, fx_strerror(rc));
        }
    }
    if (t->end_span != NULL) t->end_span(t->user, obs->span);
}

void fx_observe_end(fx_runtime *rt, fx_ctx *ctx, const fx_component *c, fx_observation *obs, int rc)
{
    if (rt == NULL) rt = fx_runtime_default();
    const fx_metrics *m = fx__runtime_metrics(rt);
    const fx_tracer *t = fx__runtime_tracer(rt);
    int64_t duration = fx_clock_now(fx_runtime_clock(rt)) - obs->start_ns;
    if (m != NULL) {
        if (c->kind == FX_COMPONENT_PIPELINE) {
            if (m->pipeline_completed != NULL) m->pipeline_completed(m->user, c, duration, rc);
        } else if (rc == 0) {
            if (m->stage_completed != NULL) m->stage_completed(m->user, c, duration);
        } else if (m->stage_error != NULL) {
            m->stage_error(m->user, c, duration, rc);
        }
    }
    if (t != NULL) {
        trace_end(t, ctx, obs, duration, rc);
        if (ctx != NULL && t->start_span != NULL) ctx->span = obs->parent_span;
    }
}

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

void fx_observe_event(fx_runtime *rt, fx_ctx *ctx, const fx_event *ev)
{
    if (rt == NULL) rt = fx_runtime_default();
    const fx_metrics *m = fx__runtime_metrics(rt);
    const fx_tracer *t = fx__runtime_tracer(rt);
    if (m != NULL && m->event != NULL)
        m->event(m->user, ev);
    if (t != NULL && t->add_event != NULL && ctx != NULL && ctx->span != NULL)
        t->add_event(t->user, ctx->span, ev);
}
