/* ctx.c — context trees: creation, cancellation, deadlines, arena access.
 *
 * One mutex per tree (root->tree_mu) guards every link, waiter list and the
 * recycled-struct free list; the cancelled flag is written under it and read
 * lock-free. Deadlines are immutable once a ctx exists, so fx_ctx_done reads
 * them without locking. */
#include "internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fx__check(int rc, const char *what)
{
    if (FX_UNLIKELY(rc != 0)) {
        fprintf(stderr, "fluxus: %s failed: %s\n", what, strerror(rc));
        abort();
    }
}

static void ctx_init(fx_ctx *ctx, fx__root *root, fx_ctx *parent, const fx_clock *clock)
{
    /* Field by field: a memset of the whole struct (its pads and fallback
     * record included) compiles to `rep stos`, which costs more than the
     * rest of a parallel group's start. The pads are never read, the
     * fallback record is written whole before it is used. */
    atomic_init(&ctx->head.flags, 0);
    fx__record_init(ctx);
    ctx->span = NULL;
    ctx->root = root;
    ctx->parent = parent;
    ctx->children = ctx->prev_sibling = ctx->next_sibling = NULL;
    ctx->waiters = NULL;
    atomic_init(&ctx->canceled, false);
    ctx->clock = clock;
    ctx->has_deadline = false;
    ctx->dl_clock = NULL;
    ctx->deadline = 0;
    ctx->dl_head = ctx->dl_next = NULL;
    /* A child's allocations by the thread making it (a worker, for a task
     * context) bump through a region of its own; the root's owner keeps
     * its lock-free chunk either way. */
    ctx->local.owner = parent != NULL ? &fx__thread_token : NULL;
    ctx->local.space.cur = ctx->local.space.end = NULL;
    ctx->next_free = NULL;
}

fx_ctx *fx_ctx_new_clock(const fx_clock *clock)
{
    fx__root *root = malloc(sizeof *root);
    if (root == NULL) return NULL;
    ctx_init(&root->ctx, root, NULL, clock != NULL ? clock : fx_clock_real());
    FX__MUST(pthread_mutex_init(&root->tree_mu, NULL));
    fx__arena_init(&root->arena);
    root->free_ctx = NULL;
    root->nfree = 0;
    return &root->ctx;
}

fx_ctx *fx_ctx_new(void) { return fx_ctx_new_clock(NULL); }

/* Makes a child linked under parent, with its clock, deadline chain and
 * cancellation state inherited; the caller then sets its own deadline. */
static fx_ctx *child_new_span(fx_ctx *parent, const fx_clock *clock, bool has_deadline,
                              int64_t deadline, bool given_span, void *span);

static fx_ctx *child_new(fx_ctx *parent, const fx_clock *clock,
                         bool has_deadline, int64_t deadline)
{
    return child_new_span(parent, clock, has_deadline, deadline, false, NULL);
}

/* A worker task's context: its current span is `span` (the concurrent
 * combinator's own, captured when its group started), never the parent's
 * current span, which the parent's owner thread may be changing while it
 * runs tasks of its own. */
fx_ctx *fx__ctx_task_child(fx_ctx *parent, void *span)
{
    return parent != NULL ? child_new_span(parent, parent->clock, false, 0, true, span) : NULL;
}

/* child_new_span's work, tree_mu held: a struct from the free list (or
 * malloc), initialized and linked under parent. NULL on OOM. */
static fx_ctx *child_new_locked(fx_ctx *parent, const fx_clock *clock, bool has_deadline,
                                int64_t deadline, bool given_span, void *span)
{
    fx__root *root = parent->root;
    fx_ctx *ctx = root->free_ctx;
    if (ctx != NULL) {
        root->free_ctx = ctx->next_free;
        root->nfree--;
    }
    else ctx = malloc(sizeof *ctx);
    if (ctx == NULL) return NULL;
    ctx_init(ctx, root, parent, clock);
    ctx->span = given_span ? span : parent->span;
    ctx->dl_head = parent->dl_head;
    if (has_deadline) {
        const fx_ctx *up = parent->dl_head;
        if (up != NULL && up->dl_clock == clock) {
            /* Same clock: the parent's deadline folds into ours. */
            if (up->deadline < deadline) deadline = up->deadline;
            ctx->dl_next = up->dl_next;
        } else {
            ctx->dl_next = up;
        }
        ctx->has_deadline = true;
        ctx->dl_clock = clock;
        ctx->deadline = deadline;
        ctx->dl_head = ctx;
    }
    bool canceled = atomic_load_explicit(&parent->canceled, memory_order_relaxed);
    atomic_store_explicit(&ctx->canceled, canceled, memory_order_release);
    atomic_store_explicit(&ctx->head.flags,
                          (unsigned char)((canceled ? FX__CTX_CANCELED : 0u) |
                                          (ctx->dl_head != NULL ? FX__CTX_DEADLINE : 0u)),
                          memory_order_release);
    ctx->next_sibling = parent->children;
    if (parent->children != NULL) parent->children->prev_sibling = ctx;
    parent->children = ctx;
    return ctx;
}

static fx_ctx *child_new_span(fx_ctx *parent, const fx_clock *clock, bool has_deadline,
                              int64_t deadline, bool given_span, void *span)
{
    if (parent == NULL) return NULL;
    fx__root *root = parent->root;
    FX__MUST(pthread_mutex_lock(&root->tree_mu));
    fx_ctx *ctx = child_new_locked(parent, clock, has_deadline, deadline, given_span, span);
    FX__MUST(pthread_mutex_unlock(&root->tree_mu));
    return ctx;
}

/* Keeps at least n recycled structs in root's free list (tree_mu held). */
static void reserve_locked(fx__root *root, size_t n)
{
    while (root->nfree < n) {
        fx_ctx *spare = malloc(sizeof *spare);
        if (spare == NULL) break;
        spare->next_free = root->free_ctx;
        root->free_ctx = spare;
        root->nfree++;
    }
}

fx_ctx *fx__ctx_group_contexts(fx_ctx *parent, fx_ctx **tasks, int *ntasks, size_t reserve)
{
    int want = *ntasks;
    *ntasks = 0;
    fx__root *root = parent->root;
    FX__MUST(pthread_mutex_lock(&root->tree_mu));
    fx_ctx *group = child_new_locked(parent, parent->clock, false, 0, false, NULL);
    if (group != NULL) {
        for (int i = 0; i < want; i++) {
            tasks[i] = child_new_locked(group, group->clock, false, 0, true, group->span);
            if (tasks[i] == NULL) break;
            *ntasks = i + 1;
        }
        if (reserve > 0) reserve_locked(root, reserve);
    }
    FX__MUST(pthread_mutex_unlock(&root->tree_mu));
    return group;
}

/* fx_ctx_free's unlinking and recycling of a child (tree_mu held). */
static void child_free_locked(fx__root *root, fx_ctx *ctx)
{
    assert(ctx->children == NULL && "fx_ctx_free: free the children first");
    assert(ctx->waiters == NULL && "fx_ctx_free: a thread still sleeps on it");
    if (ctx->prev_sibling != NULL) ctx->prev_sibling->next_sibling = ctx->next_sibling;
    else ctx->parent->children = ctx->next_sibling;
    if (ctx->next_sibling != NULL) ctx->next_sibling->prev_sibling = ctx->prev_sibling;
    ctx->next_free = root->free_ctx;
    root->free_ctx = ctx;
    root->nfree++;
}

void fx__ctx_free_group(fx_ctx *group, fx_ctx *const *tasks, int ntasks)
{
    if (group == NULL) return;
    fx__root *root = group->root;
    FX__MUST(pthread_mutex_lock(&root->tree_mu));
    for (int i = 0; i < ntasks; i++) child_free_locked(root, tasks[i]);
    child_free_locked(root, group);
    FX__MUST(pthread_mutex_unlock(&root->tree_mu));
}

fx_ctx *fx_ctx_with_cancel(fx_ctx *parent)
{
    return parent != NULL ? child_new(parent, parent->clock, false, 0) : NULL;
}

fx_ctx *fx_ctx_with_timeout(fx_ctx *parent, int64_t ns)
{
    if (parent == NULL) return NULL;
    int64_t deadline = fx__add_sat(fx_clock_now(parent->clock), ns);
    return child_new(parent, parent->clock, true, deadline);
}

fx_ctx *fx_ctx_with_deadline(fx_ctx *parent, const fx_clock *clock, int64_t deadline_ns)
{
    if (parent == NULL) return NULL;
    return child_new(parent, clock != NULL ? clock : fx_clock_real(), true, deadline_ns);
}

/* tree_mu held. */
static void cancel_locked(fx_ctx *ctx)
{
    if (atomic_load_explicit(&ctx->canceled, memory_order_relaxed)) return;  /* subtree already is */
    atomic_store_explicit(&ctx->canceled, true, memory_order_release);
    atomic_fetch_or_explicit(&ctx->head.flags, (unsigned char)FX__CTX_CANCELED, memory_order_release);
    for (fx__waiter *w = ctx->waiters; w != NULL; w = w->next) fx__waiter_wake(w);
    for (fx_ctx *c = ctx->children; c != NULL; c = c->next_sibling) cancel_locked(c);
}

void fx_ctx_cancel(fx_ctx *ctx)
{
    if (ctx == NULL) return;
    FX__MUST(pthread_mutex_lock(&ctx->root->tree_mu));
    cancel_locked(ctx);
    FX__MUST(pthread_mutex_unlock(&ctx->root->tree_mu));
}

static bool past_deadline(const fx_ctx *ctx)
{
    for (const fx_ctx *d = ctx->dl_head; d != NULL; d = d->dl_next)
        if (fx_clock_now(d->dl_clock) >= d->deadline) return true;
    return false;
}

/* The external definition of the inline function in ctx.h. */
extern inline bool fx_ctx_done(const fx_ctx *ctx);

bool fx__ctx_done_slow(const fx_ctx *ctx, unsigned flags)
{
    if (flags & FX__CTX_CANCELED) return true;
    return ctx->dl_head != NULL && past_deadline(ctx);
}

int fx_ctx_err(const fx_ctx *ctx)
{
    if (atomic_load_explicit(&ctx->canceled, memory_order_acquire)) return FX_ECANCELED;
    if (ctx->dl_head != NULL && past_deadline(ctx)) return FX_EDEADLINE;
    return 0;
}

const fx_clock *fx_ctx_clock(const fx_ctx *ctx) { return ctx->clock; }

void fx_ctx_free(fx_ctx *ctx)
{
    if (ctx == NULL) return;
    fx__root *root = ctx->root;
    if (ctx->parent == NULL) {
        assert(ctx->children == NULL && "fx_ctx_free: free the children first");
        assert(ctx->waiters == NULL && "fx_ctx_free: a thread still sleeps on it");
        while (root->free_ctx != NULL) {
            fx_ctx *next = root->free_ctx->next_free;
            free(root->free_ctx);
            root->free_ctx = next;
        }
        fx__arena_destroy(&root->arena);
        FX__MUST(pthread_mutex_destroy(&root->tree_mu));
        free(root);
        return;
    }
    FX__MUST(pthread_mutex_lock(&root->tree_mu));
    child_free_locked(root, ctx);
    FX__MUST(pthread_mutex_unlock(&root->tree_mu));
}

void fx__ctx_adopt(fx_ctx *ctx)
{
    /* The rest of its region stays: the thread that had the context last
     * is done with it, and the scheduler's lock it gave the context back
     * under orders that thread's bumps before ours. */
    ctx->local.owner = &fx__thread_token;
}

void fx__ctx_reserve(fx_ctx *ctx, size_t n)
{
    fx__root *root = ctx->root;
    FX__MUST(pthread_mutex_lock(&root->tree_mu));
    reserve_locked(root, n);
    FX__MUST(pthread_mutex_unlock(&root->tree_mu));
}

bool fx__ctx_add_waiter(fx_ctx *ctx, fx__waiter *w)
{
    FX__MUST(pthread_mutex_lock(&ctx->root->tree_mu));
    bool ok = !atomic_load_explicit(&ctx->canceled, memory_order_relaxed);
    if (ok) {
        w->prev = NULL;
        w->next = ctx->waiters;
        if (ctx->waiters != NULL) ctx->waiters->prev = w;
        ctx->waiters = w;
    }
    FX__MUST(pthread_mutex_unlock(&ctx->root->tree_mu));
    return ok;
}

void fx__ctx_remove_waiter(fx_ctx *ctx, fx__waiter *w)
{
    FX__MUST(pthread_mutex_lock(&ctx->root->tree_mu));
    if (w->prev != NULL) w->prev->next = w->next;
    else ctx->waiters = w->next;
    if (w->next != NULL) w->next->prev = w->prev;
    FX__MUST(pthread_mutex_unlock(&ctx->root->tree_mu));
}

/* ------------------------------------------------------------ arena API */

void *fx_alloc(fx_ctx *ctx, size_t n)
{
    return fx__arena_alloc(&ctx->root->arena, &ctx->local, n);
}

char *fx_strdup(fx_ctx *ctx, const char *s)
{
    if (s == NULL) return NULL;
    size_t n = strlen(s) + 1;
    char *p = fx_alloc(ctx, n);
    if (p != NULL) memcpy(p, s, n);
    return p;
}

/* The slow ways, out of line and taking ctx itself, so that fx_sprintf
 * keeps nothing of theirs live across its vsnprintf. */
static __attribute__((noinline)) char *sprintf_shared(fx_ctx *ctx, const char *fmt, va_list ap)
{
    return fx__arena_vsprintf(&ctx->root->arena, &ctx->local, fmt, ap);
}

static __attribute__((noinline)) char *sprintf_again(fx_ctx *ctx, const char *fmt, va_list ap, int len)
{
    return fx__arena_vsprintf_sized(&ctx->root->arena, &ctx->local, fmt, ap, len);
}

char *fx_vsprintf(fx_ctx *ctx, const char *fmt, va_list ap)
{
    fx__arena_space *sp = fx__arena_space_of(&ctx->root->arena, &ctx->local);
    if (FX_UNLIKELY(sp == NULL)) return sprintf_shared(ctx, fmt, ap);
    char *p = sp->cur;
    va_list cp;
    va_copy(cp, ap);
    int len = vsnprintf(p, (size_t)(sp->end - p), fmt, cp);
    va_end(cp);
    return fx__arena_commit_text(sp, len) ? p : sprintf_again(ctx, fmt, ap, len);
}

char *fx_sprintf(fx_ctx *ctx, const char *fmt, ...)
{
    /* One vsnprintf straight into the calling thread's free space. Live
     * across it: ctx, fmt and the space's address (cur and end are read
     * back). A miss formats again, out of line, from a second va_start
     * into a second va_list (copying one that was just written stalls the
     * load that reads it back; reusing its address keeps one more register
     * live). */
    fx__arena_space *sp = fx__arena_space_of(&ctx->root->arena, &ctx->local);
    char *p;
    if (FX_UNLIKELY(sp == NULL)) {
        va_list ap;
        va_start(ap, fmt);
        p = sprintf_shared(ctx, fmt, ap);
        va_end(ap);
        return p;
    }
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(sp->cur, (size_t)(sp->end - sp->cur), fmt, ap);
    va_end(ap);
    p = sp->cur;
    if (FX_LIKELY(fx__arena_commit_text(sp, len))) return p;
    va_list again;
    va_start(again, fmt);
    p = sprintf_again(ctx, fmt, again, len);
    va_end(again);
    return p;
}

void fx_ctx_reset(fx_ctx *ctx)
{
    fx__record_init(ctx);
    ctx->span = ctx->parent != NULL ? ctx->parent->span : NULL;
    if (ctx->parent == NULL) {
        assert(ctx->children == NULL && "fx_ctx_reset: a root's children must be freed first");
        fx__arena_reset(&ctx->root->arena);
    }
}
