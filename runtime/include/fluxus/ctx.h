/* fluxus/ctx.h — context: cancellation, deadlines, arena, error record
 * (SPEC §5.1).
 *
 * Contexts form trees. A root (fx_ctx_new, fx_ctx_new_clock) owns an arena
 * and the lock that guards the tree; children (fx_ctx_with_*) share their
 * root's arena, so memory a stage allocates under a short-lived child
 * outlives the child, until the root is reset or freed.
 *
 * Ownership: whoever creates a context frees it with fx_ctx_free(). Children
 * must be freed before their parent (asserted in debug builds); no thread
 * may be sleeping on a context that is freed.
 *
 * Threads: fx_ctx_cancel, fx_ctx_done, fx_ctx_err, fx_ctx_clock and the
 * arena functions (fx_alloc, fx_strdup, fx_sprintf, fx_vsprintf) may be
 * called from any thread at any time. The error record (fx_fail,
 * fx_ctx_error, fx_ctx_reset and the gen.h functions) belongs to the one
 * thread running a component on that context; concurrent work gets its own
 * child context. Creating and freeing contexts is thread-safe.
 *
 * Cancellation is Go-like: cancelling a context cancels all its descendants,
 * never its ancestors, and is permanent (fx_ctx_reset does not undo it). */
#ifndef FLUXUS_CTX_H
#define FLUXUS_CTX_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <fluxus/version.h>
#include <fluxus/error.h>

typedef struct fx_ctx fx_ctx;
typedef struct fx_clock fx_clock;

/* A root context on the real clock, without deadline. NULL on OOM. */
fx_ctx *fx_ctx_new(void);

/* A root context whose deadlines (fx_ctx_with_timeout) use clock
 * (NULL = real). The clock must outlive the context. NULL on OOM. */
fx_ctx *fx_ctx_new_clock(const fx_clock *clock);

/* A child cancelled with its parent or by fx_ctx_cancel on itself. It has
 * its parent's clock and deadlines. Born cancelled when the parent is.
 * The parent must outlive it. NULL on OOM or when parent is NULL (child structs are recycled by the root: steady-state
 * creation does not call malloc). */
fx_ctx *fx_ctx_with_cancel(fx_ctx *parent);

/* A child whose deadline is fx_clock_now(parent's clock) + ns (saturating;
 * ns <= 0 is already due), never later than the parent's deadline on that
 * clock; cancelled with the parent. NULL on OOM. */
fx_ctx *fx_ctx_with_timeout(fx_ctx *parent, int64_t ns);

/* A child whose own deadline is deadline_ns on clock (NULL = real); the
 * child's clock (fx_ctx_clock) becomes that clock. When the parent's clock
 * is the same clock the deadline is clamped to the parent's; deadlines of
 * ancestors on other clocks still apply (each measured on its own clock).
 * Used by the timeout combinator with its runtime's clock. NULL on OOM. */
fx_ctx *fx_ctx_with_deadline(fx_ctx *parent, const fx_clock *clock, int64_t deadline_ns);

/* Cancels ctx and all its descendants and wakes every thread sleeping on
 * them (fx_clock_sleep*). Idempotent; any thread. NULL: no-op. */
void fx_ctx_cancel(fx_ctx *ctx);

/* True once ctx is cancelled or one of its deadlines has passed. Cheap: one
 * atomic load of a flag byte, inline; a clock read per deadline only when
 * the context has one. Long stages poll it. Any thread. */
#ifndef __cplusplus
inline bool fx_ctx_done(const fx_ctx *ctx);
#else
bool fx_ctx_done(const fx_ctx *ctx);   /* the out-of-line definition */
#endif

/* 0 while not done; FX_ECANCELED when ctx or an ancestor was cancelled;
 * otherwise FX_EDEADLINE when one of its deadlines has passed. Cancellation
 * wins when both apply, whichever happened first. Any thread. */
int fx_ctx_err(const fx_ctx *ctx);

/* The clock ctx's deadlines are measured on (never NULL). */
const fx_clock *fx_ctx_clock(const fx_ctx *ctx);

/* Frees ctx. Its children must have been freed (asserted); no thread may be
 * sleeping on it. Freeing a root frees its arena: every pointer from
 * fx_alloc & co and every error record of the tree dies with it. A child's
 * memory is kept by the root for reuse. NULL: no-op. */
void fx_ctx_free(fx_ctx *ctx);

/* n bytes from the root's arena, aligned to max_align_t, valid until the
 * root is reset or freed; never free them yourself. n == 0 returns a valid,
 * distinct pointer. NULL on OOM. Thread-safe: the thread that made the
 * root or last reset it allocates without locking, any other thread under
 * one mutex per tree. */
void *fx_alloc(fx_ctx *ctx, size_t n);

/* Copy of s in the arena (as fx_alloc). s NULL -> NULL. NULL on OOM. */
char *fx_strdup(fx_ctx *ctx, const char *s);

/* printf into the arena (as fx_alloc): the NUL-terminated text, of any
 * length. It is formatted once, straight into the calling thread's free
 * space (the owner's chunk, or the region of a context the calling thread
 * made), when it fits there; otherwise (no such space, or too little of
 * it) it is formatted a second time into a block of its exact size, which
 * the arena reuses after a reset. NULL on OOM or a format error (vsnprintf
 * < 0). Thread-safe as fx_alloc. fx_vsprintf leaves ap for the caller to
 * va_end. */
char *fx_sprintf(fx_ctx *ctx, const char *fmt, ...) FX__PRINTF(2, 3);
char *fx_vsprintf(fx_ctx *ctx, const char *fmt, va_list ap);

/* Clears ctx's error record. On a root it also frees all the arena's items
 * at once while keeping its memory, so the next run of the same shape calls
 * no malloc at all; the root must then have no children (asserted).
 * Cancellation and deadlines are not reset. Call between runs, when no
 * other thread uses the tree; the calling thread then allocates from the
 * arena without locking. */
void fx_ctx_reset(fx_ctx *ctx);

/* The last failure recorded in this ctx (each context has its own record;
 * children do not share their parent's), NULL if none. The record and its
 * strings live in the arena: valid until the ctx is reset or freed, or the
 * root is reset. */
const fx_error *fx_ctx_error(const fx_ctx *ctx);

/* Records {code, stage NULL, message = fmt formatted in the arena, index -1,
 * attempts 0, no cause, no children} as ctx's error and returns code, so a
 * stage can `return fx_fail(ctx, 42, "bad order %d", id);`. fmt NULL ->
 * message NULL (the code's default text). code 0 is a caller bug: it is
 * recorded and returned as FX_EINVAL. If the arena is out of memory the
 * record is kept inside the ctx, without its message. */
int fx_fail(fx_ctx *ctx, int code, const char *fmt, ...) FX__PRINTF(3, 4);

/* ---- private: what the inline fx_ctx_done and fluxus/sched.h read. Not API.
 *
 * Every fx_ctx starts with this head (the rest of the struct is private to
 * libfluxus, runtime/internal.h). `flags` is FX__CTX_CANCELED once ctx is
 * cancelled (permanent) | FX__CTX_DEADLINE when ctx or an ancestor has a
 * deadline (immutable), so a context with neither is not done after one
 * load and one branch; fx__ctx_done_slow looks at the deadlines. The error
 * record's pointer and state and the current span follow: owned by the
 * thread running on the ctx, set aside and put back by a group that runs
 * on its caller (fx__group_init_fast). */
#ifndef __cplusplus
#include <stdatomic.h>

#define FX__CTX_CANCELED 1u
#define FX__CTX_DEADLINE 2u

struct fx__ctx_head {
    _Atomic unsigned char flags;
    void *fx__error;            /* fx_error *: the record, or NULL */
    int fx__rec_state;          /* how far it is attributed (internal.h) */
    void *fx__span;             /* the current span (observe.h) */
};

bool fx__ctx_done_slow(const fx_ctx *ctx, unsigned flags);

inline bool fx_ctx_done(const fx_ctx *ctx)
{
    unsigned flags = atomic_load_explicit(&((const struct fx__ctx_head *)(const void *)ctx)->flags,
                                          memory_order_acquire);
    return FX_UNLIKELY(flags != 0) && fx__ctx_done_slow(ctx, flags);
}
#endif

#endif /* FLUXUS_CTX_H */
