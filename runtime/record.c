/* record.c — each context's error record: fx_fail, fx_ctx_error and the
 * gen.h functions generated code uses to attribute failures (rules in
 * fluxus/gen.h). Records live in the root's arena; when the arena is out of
 * memory the record falls back to the struct inside the ctx. */
#include "internal.h"

#include <stdarg.h>
#include <string.h>

void fx__record_init(fx_ctx *ctx)
{
    ctx->error = NULL;
    ctx->rec_state = FX__REC_NONE;
}

/* Stores a new record {code, stage, message, index -1}, returns it. */
static fx_error *record(fx_ctx *ctx, int code, const char *stage, const char *message,
                        fx__rec_state state)
{
    fx_error *e = fx_alloc(ctx, sizeof *e);
    if (e == NULL) {
        e = &ctx->fallback;
        message = NULL;               /* it may live in the arena we could not use */
    }
    *e = (fx_error){ .code = code, .stage = stage, .message = message, .index = -1 };
    ctx->error = e;
    ctx->rec_state = state;
    return e;
}

const fx_error *fx_ctx_error(const fx_ctx *ctx) { return ctx->error; }

int fx_fail(fx_ctx *ctx, int code, const char *fmt, ...)
{
    const char *message = NULL;
    if (fmt != NULL) {
        va_list ap;
        va_start(ap, fmt);
        message = fx_vsprintf(ctx, fmt, ap);
        va_end(ap);
    }
    if (code == 0) code = FX_EINVAL;
    record(ctx, code, NULL, message, FX__REC_FRESH);
    return code;
}

int fx__stage_fail(fx_ctx *ctx, int rc, const char *stage)
{
    if (rc == 0) rc = FX_EINVAL;
    fx_error *e = ctx->error;
    if (e != NULL && e->code == rc) {
        if (ctx->rec_state == FX__REC_FRESH) {
            if (e->stage == NULL) e->stage = stage;
            ctx->rec_state = FX__REC_CLAIMED;
            return rc;
        }
        if (ctx->rec_state == FX__REC_CLAIMED && e->stage != NULL) return rc;
    }
    record(ctx, rc, stage, NULL, FX__REC_CLAIMED);
    return rc;
}

int fx__ctx_fail(fx_ctx *ctx, const char *stage)
{
    int code = fx_ctx_err(ctx);
    if (code == 0) code = FX_EINVAL;
    record(ctx, code, stage, NULL, FX__REC_CLAIMED);
    return code;
}

void fx__ctx_clear_error(fx_ctx *ctx) { fx__record_init(ctx); }

int fx__error_wrap(fx_ctx *ctx, int code, const char *component, const char *message)
{
    fx_error *cause = NULL;
    if (ctx->error != NULL) {
        cause = fx_alloc(ctx, sizeof *cause);
        if (cause != NULL) *cause = *ctx->error;
    }
    const char *copy = message != NULL ? fx_strdup(ctx, message) : NULL;
    if (code == 0) code = FX_EINVAL;
    fx_error *e = record(ctx, code, component, copy, FX__REC_CLAIMED);
    if (e != &ctx->fallback) e->cause = cause;
    return code;
}
