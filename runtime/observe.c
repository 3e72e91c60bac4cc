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
