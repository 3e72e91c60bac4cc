/* fluxus/gen.h — support for fluxc's output, NOT for hand-written code.
 *
 * These functions keep a context's error record (fx_ctx_error) meaningful
 * while a failure travels up through nested components. Like the rest of
 * the error record they are called by the thread running on ctx. Stage and
 * component names are stored as given: pass static strings.
 *
 * Record states. Each context's record is
 *   - none     (new ctx, after fx_ctx_reset or fx__ctx_clear_error),
 *   - fresh    (written by fx_fail, not yet attributed to a stage), or
 *   - claimed  (attributed: written or adopted by the functions below).
 *
 * fx__stage_fail(ctx, rc, stage) — a stage or nested component returned rc:
 *   1. fresh with code rc      -> the stage's own fx_fail: set its stage
 *                                 (if NULL) and mark it claimed;
 *   2. claimed with code rc    -> an inner component already attributed this
 *                                 failure: leave it (the innermost name wins);
 *   3. anything else           -> record a new claimed {rc, stage, message
 *                                 NULL, index -1}. A fresh record with another
 *                                 code is stale (the stage called fx_fail and
 *                                 then returned something else): replaced.
 *   A fresh record is consumed by the first fx__stage_fail, so a stale
 *   fx_fail record can never be attributed to a later failure. A claimed
 *   record stays claimed until it is replaced, cleared or reset: between runs
 *   on one ctx call fx_ctx_reset(), or a stage that returns (without fx_fail)
 *   the same code as the previous, unreset failure is reported under the
 *   previous failure's stage.
 *
 * All return the code they recorded. On arena OOM the record is kept inside
 * the ctx without its message/cause. */
#ifndef FLUXUS_GEN_H
#define FLUXUS_GEN_H

#include <fluxus/ctx.h>

/* The variants of a generated component (gen/codegen.c). The function that
 * picks one by the instance's flag is FX__MAYBE_UNUSED: where every caller
 * knows the flag (a chain's parts, say) nobody calls it. The plain one
 * (an unobserved instance) is always inlined into its caller: a chain
 * becomes straight-line code even where the C compiler would first fold
 * its identical stage functions into one called fifty times. The observed
 * one is called out of line where the instance's flag is tested, so that
 * its events and their fx_observation do not weigh on the frame of the
 * plain path. */
#if defined(__GNUC__) || defined(__clang__)
#define FX__ALWAYS_INLINE inline __attribute__((always_inline))
#define FX__NOINLINE __attribute__((noinline))
#define FX__MAYBE_UNUSED __attribute__((unused))
#else
#define FX__ALWAYS_INLINE inline
#define FX__NOINLINE
#define FX__MAYBE_UNUSED
#endif

/* fx_ctx_done (ctx.h), always inlined: the check every component makes
 * before it runs (SPEC §5.4). A chain of fifty stages makes fifty of them
 * in one function, past the point where the C compiler stops inlining a
 * plain `inline` on its own. */
#ifndef __cplusplus
/* The byte fx__ctx_done tests first: 0 when ctx is neither cancelled nor
 * under a deadline, so certainly not done. A plain stage tests it alone
 * and leaves the rest of the check to an out-of-line copy of itself. */
static FX__ALWAYS_INLINE unsigned fx__ctx_flags(const fx_ctx *ctx)
{
    return atomic_load_explicit(&((const struct fx__ctx_head *)(const void *)ctx)->flags, memory_order_acquire);
}

static FX__ALWAYS_INLINE bool fx__ctx_done(const fx_ctx *ctx)
{
    unsigned flags = fx__ctx_flags(ctx);
    return FX_UNLIKELY(flags != 0) && fx__ctx_done_slow(ctx, flags);
}
#endif

/* A stage returned rc != 0 (rules above). rc 0 is a caller bug: recorded as
 * FX_EINVAL. Returns rc. */
int fx__stage_fail(fx_ctx *ctx, int rc, const char *stage);

/* ctx is done: records a new claimed {fx_ctx_err(ctx), stage, message NULL}
 * and returns that code (FX_EINVAL, recorded, if ctx is not done). */
int fx__ctx_fail(fx_ctx *ctx, const char *stage);

/* An on_error handler swallowed the error, or a retry tries again: the
 * record goes back to none (two stores into the context's head, ctx.h). */
#ifndef __cplusplus
static inline void fx__ctx_clear_error(fx_ctx *ctx)
{
    struct fx__ctx_head *h = (struct fx__ctx_head *)(void *)ctx;
    h->fx__error = NULL;
    h->fx__rec_state = 0;   /* FX__REC_NONE */
}
#endif

/* Records a new claimed {code, component, message (copied into the arena;
 * NULL = default text)} whose cause is a copy of the current record (none ->
 * no cause); used when on_error replaces a code. Returns code. */
int fx__error_wrap(fx_ctx *ctx, int code, const char *component, const char *message);

/* ---- flow combinators (fanout, parallel, map, router: gen/cg_flow.c) */

/* Records a new claimed {code, component, message = fmt formatted into the
 * arena (fmt NULL = the code's default text), index, cause = a copy of
 * *cause (NULL = none)} and returns code (0 is recorded as FX_EINVAL).
 * cause is usually a failed task's error (fx_task.error, sched.h): only
 * that record is copied; what it points to lives in the shared arena. */
int fx__flow_fail(fx_ctx *ctx, int code, const char *component, int index, const fx_error *cause,
                  const char *fmt, ...) FX__PRINTF(6, 7);

/* Item `index` of a map with collect_errors failed with rc on ctx (its
 * task's context): returns a copy, in the arena, of ctx's record (a bare
 * {rc} when the record does not describe rc) with that index, and clears
 * ctx's record for the next item. Never NULL: on arena OOM a static
 * {FX_ENOMEM} record. */
const fx_error *fx__flow_item_error(fx_ctx *ctx, int rc, int index);

/* The result of a map with collect_errors: slots[i] is item i's error
 * (fx__flow_item_error) or NULL. When any is set, records {FX_EMULTI,
 * component, "K of N items failed", count = K, errors = those K errors in
 * index order} and returns FX_EMULTI; otherwise records nothing, returns 0.
 * FX_ENOMEM (recorded) when the arena cannot hold the list. */
int fx__flow_multi(fx_ctx *ctx, const char *component, const fx_error *const *slots, size_t n);

/* ---- resilience combinators (retry, timeout, circuit_breaker, rate_limit,
 * dlq: gen/cg_resilience.c) */

/* Records a new claimed {code, component, message = fmt formatted into the
 * arena (fmt NULL = the code's default text), index -1, attempts} whose
 * cause is a copy of *cause (NULL = no cause; it may be ctx's own current
 * record), and returns code. code 0 is recorded as FX_EINVAL. Used for
 * FX_ERETRY_EXHAUSTED (attempts, cause = the last try's error), "retry
 * giving up after N attempts", FX_ETIMEOUT, FX_ECIRCUIT_OPEN and
 * FX_ERATE_LIMITED. */
int fx__error_record(fx_ctx *ctx, int code, const char *component, int attempts, const fx_error *cause,
                     const char *fmt, ...) FX__PRINTF(6, 7);

/* The error a component that returned rc failed with: ctx's record when its
 * code is rc, else *scratch filled with {rc, component, index -1}. Never
 * NULL; valid as long as ctx's record (or scratch). */
const fx_error *fx__error_current(fx_ctx *ctx, int rc, const char *component, fx_error *scratch);

/* Makes a copy of *err ctx's claimed record (err NULL: none). For a record
 * of another context of the same tree (a timeout's child) or one saved
 * before a dlq handler ran on ctx. */
void fx__error_adopt(fx_ctx *ctx, const fx_error *err);

/* The default on_handler_error of dlq: one line on stderr,
 *   "fluxus: dlq COMPONENT: handler failed (code H), dead letter lost: ERROR"
 * Any thread (one fprintf). */
void fx__dlq_report(const char *component, const fx_error *err, int handler_code);

#endif /* FLUXUS_GEN_H */
