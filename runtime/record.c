/* record.c — each context's error record: fx_fail, fx_ctx_error and the
 * gen.h functions generated code uses to attribute failures (rules in
 * fluxus/gen.h). Records live in the root's arena; when the arena is out of
 * memory the record falls back to the struct inside the ctx. */
#include "internal.h"

#include <stdarg.h>
#include <string.h>

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

/* ---- flow combinators (fanout, parallel, map, router) */

/* A new claimed record {code, component, message from fmt} whose cause is
 * a copy of `cause` (NULL: none); code 0 is recorded as FX_EINVAL. The
 * shared body of fx__flow_fail and fx__error_record. */
static fx_error *record_caused(fx_ctx *ctx, int *code, const char *component, const fx_error *cause,
                               const char *fmt, va_list ap)
{
    fx_error *copy = NULL;
    if (cause != NULL) {
        copy = fx_alloc(ctx, sizeof *copy);
        if (copy != NULL) *copy = *cause;
    }
    const char *message = fmt != NULL ? fx_vsprintf(ctx, fmt, ap) : NULL;
    if (*code == 0) *code = FX_EINVAL;
    fx_error *e = record(ctx, *code, component, message, FX__REC_CLAIMED);
    if (e != &ctx->fallback) e->cause = copy;
    return e;
}

int fx__flow_fail(fx_ctx *ctx, int code, const char *component, int index, const fx_error *cause,
                  const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fx_error *e = record_caused(ctx, &code, component, cause, fmt, ap);
    va_end(ap);
    e->index = index;
    return code;
}

const fx_error *fx__flow_item_error(fx_ctx *ctx, int rc, int index)
{
    static const fx_error oom = { .code = FX_ENOMEM, .index = -1 };
    fx_error *copy = fx_alloc(ctx, sizeof *copy);
    const fx_error *e = ctx->error;
    if (copy == NULL) {
        fx__record_init(ctx);
        return &oom;
    }
    if (e != NULL && e->code == rc) *copy = *e;
    else *copy = (fx_error){ .code = rc != 0 ? rc : FX_EINVAL };
    copy->index = index;
    fx__record_init(ctx);
    return copy;
}

int fx__flow_multi(fx_ctx *ctx, const char *component, const fx_error *const *slots, size_t n)
{
    size_t failed = 0;
    for (size_t i = 0; i < n; i++) failed += slots[i] != NULL;
    if (failed == 0) return 0;
    fx_error *list = fx_alloc(ctx, failed * sizeof *list);
    if (list == NULL) return fx__flow_fail(ctx, FX_ENOMEM, component, -1, NULL, NULL);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (slots[i] != NULL) list[k++] = *slots[i];
    const char *message = fx_sprintf(ctx, "%zu of %zu items failed", failed, n);
    fx_error *e = record(ctx, FX_EMULTI, component, message, FX__REC_CLAIMED);
    if (e != &ctx->fallback) {
        e->count = failed;
        e->errors = list;
    }
    return FX_EMULTI;
}

/* ---- resilience combinators */

int fx__error_record(fx_ctx *ctx, int code, const char *component, int attempts, const fx_error *cause,
                     const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fx_error *e = record_caused(ctx, &code, component, cause, fmt, ap);
    va_end(ap);
    e->attempts = attempts;
    return code;
}

const fx_error *fx__error_current(fx_ctx *ctx, int rc, const char *component, fx_error *scratch)
{
    if (ctx->error != NULL && ctx->error->code == rc) return ctx->error;
    *scratch = (fx_error){ .code = rc, .stage = component, .index = -1 };
    return scratch;
}

void fx__error_adopt(fx_ctx *ctx, const fx_error *err)
{
    if (err == NULL) {
        fx__record_init(ctx);
        return;
    }
    fx_error *e = fx_alloc(ctx, sizeof *e);
    if (e == NULL) e = &ctx->fallback;
    *e = *err;
    ctx->error = e;
    ctx->rec_state = FX__REC_CLAIMED;
}
