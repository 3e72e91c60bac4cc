/* arena.c — the context arena: a chunked bump allocator, lock-free for its
 * owner thread.
 *
 * Small requests (<= FX__BIG) bump through FX__CHUNK-byte chunks. The
 * owner (the thread that made the arena or last reset it: in practice the
 * one running the pipeline) bumps through a chunk of its own without any
 * lock or atomic read-modify-write; other threads (workers of map, fanout,
 * ...) share a second chunk under the mutex, from which each of their
 * contexts carves a small region (FX__ARENA_LOCAL) that its own thread then
 * bumps through without the lock. Either takes the next chunk of
 * the list under the mutex when its own is full, or appends a new one.
 * Large requests get a dedicated chunk each, best-fit among the free large
 * chunks, under the mutex. Reset marks everything free and keeps it all, so
 * a run that makes the same requests as an earlier one (same sizes, same
 * order, same threads) is served without malloc: chunks are handed out
 * again in list order, and best-fit gives each large request a chunk of
 * exactly the size it had before. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FX__ALIGN  FX__ARENA_ALIGN
#define FX__CHUNK  FX__ARENA_CHUNK
#define FX__BIG    FX__ARENA_BIG

struct fx__chunk {
    fx__chunk *next;
    size_t cap;              /* bytes in data */
    bool used;               /* big chunks: handed out since the last reset */
    max_align_t data[];
};

/* A token unique to the calling thread while it lives: the address of a
 * thread-local byte. */
_Thread_local char fx__thread_token;

static inline const void *arena_self(void) { return &fx__thread_token; }

void fx__arena_init(fx__arena *a)
{
    FX__MUST(pthread_mutex_init(&a->mu, NULL));
    atomic_init(&a->owner, arena_self());
    a->own.cur = a->own.end = NULL;
    a->shared.cur = a->shared.end = NULL;
    a->small_head = a->small_next = a->small_tail = a->big = NULL;
    a->big_used = 0;
    a->own_begin = NULL;
    a->quiet = false;
}

static fx__chunk *chunk_new(size_t cap)
{
    if (cap > SIZE_MAX - sizeof(fx__chunk)) return NULL;
    fx__chunk *c = malloc(sizeof(fx__chunk) + cap);
    if (c == NULL) return NULL;
    c->next = NULL;
    c->cap = cap;
    c->used = false;
    return c;
}

/* mu held: the next free small chunk (kept from before a reset, or new). */
static fx__chunk *take_chunk_locked(fx__arena *a)
{
    fx__chunk *c = a->small_next;
    a->quiet = false;   /* the next reset rewinds the lists */
    if (c != NULL) {
        a->small_next = c->next;
        return c;
    }
    c = chunk_new(FX__CHUNK);
    if (c == NULL) return NULL;
    if (a->small_tail != NULL) a->small_tail->next = c;
    else a->small_head = c;
    a->small_tail = c;
    return c;
}

static void *alloc_big_locked(fx__arena *a, size_t n)
{
    fx__chunk *best = NULL;
    a->quiet = false;
    for (fx__chunk *c = a->big; c != NULL; c = c->next)
        if (!c->used && c->cap >= n && (best == NULL || c->cap < best->cap))
            best = c;
    if (best == NULL) {
        best = chunk_new(n);
        if (best == NULL) return NULL;
        best->next = a->big;
        a->big = best;
    }
    best->used = true;
    a->big_used++;
    return best->data;
}

/* n rounded up to the alignment, or 0 when that overflows. */
static inline size_t round_size(size_t n)
{
    if (n == 0) n = 1;
    if (n > SIZE_MAX - FX__ALIGN) return 0;
    return (n + FX__ALIGN - 1) / FX__ALIGN * FX__ALIGN;
}

/* Bumps n (rounded, <= FX__BIG) bytes from s, refilling it from the list
 * under mu (taken here unless `locked`). */
static void *bump(fx__arena *a, fx__arena_space *s, size_t n, bool locked)
{
    if (FX_LIKELY((size_t)(s->end - s->cur) >= n)) {
        void *p = s->cur;
        s->cur += n;
        return p;
    }
    if (!locked) FX__MUST(pthread_mutex_lock(&a->mu));
    fx__chunk *c = take_chunk_locked(a);
    if (!locked) FX__MUST(pthread_mutex_unlock(&a->mu));
    if (c == NULL) return NULL;
    s->cur = (char *)c->data + n;
    s->end = (char *)c->data + c->cap;
    return c->data;
}

static inline bool is_owner(const fx__arena *a) { return fx__arena_is_owner(a); }

/* Does the calling thread bump through l? */
static inline bool is_local(const fx__arena_local *l)
{
    return l != NULL && l->owner == arena_self();
}

/* mu held: a fresh local region for l, carved from the shared chunk. */
static bool refill_local_locked(fx__arena *a, fx__arena_local *l)
{
    char *r = bump(a, &a->shared, FX__ARENA_LOCAL, true);
    if (r == NULL) return false;
    l->space.cur = r;
    l->space.end = r + FX__ARENA_LOCAL;
    return true;
}

bool fx__arena_reserve_regions(fx__arena *a, size_t n)
{
    bool ok = true;
    if (is_owner(a) && a->own.end == NULL)   /* its first allocation will take a chunk too */
        n += FX__CHUNK / FX__ARENA_LOCAL;
    FX__MUST(pthread_mutex_lock(&a->mu));
    size_t room = (size_t)(a->shared.end - a->shared.cur) / FX__ARENA_LOCAL;
    for (fx__chunk *c = a->small_next; c != NULL && room < n; c = c->next)   /* kept, unused */
        room += c->cap / FX__ARENA_LOCAL;
    while (room < n) {   /* append unused chunks behind the list's tail */
        fx__chunk *c = chunk_new(FX__CHUNK);
        if (c == NULL) {
            ok = false;
            break;
        }
        if (a->small_tail != NULL) a->small_tail->next = c;
        else a->small_head = c;
        a->small_tail = c;
        if (a->small_next == NULL) a->small_next = c;
        room += c->cap / FX__ARENA_LOCAL;
    }
    FX__MUST(pthread_mutex_unlock(&a->mu));
    return ok;
}

void *fx__arena_alloc_slow(fx__arena *a, fx__arena_local *l, size_t n)
{
    n = round_size(n);
    if (n == 0) return NULL;
    if (n <= FX__BIG && is_owner(a)) return bump(a, &a->own, n, false);
    if (n <= FX__BIG && is_local(l) && (size_t)(l->space.end - l->space.cur) >= n) {
        void *p = l->space.cur;   /* the inline path's caller may not have tried */
        l->space.cur += n;
        return p;
    }
    FX__MUST(pthread_mutex_lock(&a->mu));
    void *p;
    if (n > FX__BIG) p = alloc_big_locked(a, n);
    else if (n <= FX__ARENA_LOCAL / 4 && is_local(l) && refill_local_locked(a, l)) {
        p = l->space.cur;
        l->space.cur += n;
    } else p = bump(a, &a->shared, n, true);
    FX__MUST(pthread_mutex_unlock(&a->mu));
    return p;
}

char *fx__arena_vsprintf_sized(fx__arena *a, fx__arena_local *l, const char *fmt, va_list ap, int len)
{
    if (len < 0) return NULL;
    char *p = fx__arena_alloc_slow(a, l, (size_t)len + 1);
    if (p != NULL) vsnprintf(p, (size_t)len + 1, fmt, ap);
    return p;
}

char *fx__arena_vsprintf(fx__arena *a, fx__arena_local *l, const char *fmt, va_list ap)
{
    va_list cp;
    if (is_local(l) && l->space.cur == l->space.end) {
        FX__MUST(pthread_mutex_lock(&a->mu));
        bool refilled = refill_local_locked(a, l);
        FX__MUST(pthread_mutex_unlock(&a->mu));
        if (refilled) {
            char *p = l->space.cur;
            va_copy(cp, ap);
            int len = vsnprintf(p, FX__ARENA_LOCAL, fmt, cp);
            va_end(cp);
            if (fx__arena_commit_text(&l->space, len)) return p;
            return fx__arena_vsprintf_sized(a, l, fmt, ap, len);
        }
    }
    va_copy(cp, ap);
    int len = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    return fx__arena_vsprintf_sized(a, l, fmt, ap, len);
}

void fx__arena_reset(fx__arena *a)
{
    /* No lock: a reset runs alone (fx_ctx_reset: between runs, no child
     * contexts, so no other thread holds a way into the tree). A run that
     * stayed in the owner's first chunk leaves only its bump pointer to
     * rewind (the other fields are as the last reset left them). */
    if (a->quiet && atomic_load_explicit(&a->owner, memory_order_relaxed) == arena_self()) {
        a->own.cur = a->own_begin;
        return;
    }
    fx__chunk *first = a->small_head;
    a->small_next = first != NULL ? first->next : NULL;
    a->own.cur = first != NULL ? (char *)first->data : NULL;   /* the owner starts in the first chunk */
    a->own.end = first != NULL ? (char *)first->data + first->cap : NULL;
    a->shared.cur = a->shared.end = NULL;
    if (a->big_used > 0) {
        for (fx__chunk *c = a->big; c != NULL; c = c->next) c->used = false;
        a->big_used = 0;
    }
    atomic_store_explicit(&a->owner, arena_self(), memory_order_relaxed);
    a->own_begin = a->own.cur;   /* NULL while no chunk was ever taken */
    a->quiet = true;
}

static void free_list(fx__chunk *c)
{
    while (c != NULL) {
        fx__chunk *next = c->next;
        free(c);
        c = next;
    }
}

void fx__arena_destroy(fx__arena *a)
{
    free_list(a->small_head);
    free_list(a->big);
    a->small_head = a->small_next = a->small_tail = a->big = NULL;
    FX__MUST(pthread_mutex_destroy(&a->mu));
}
