/* arena.c — the context arena: a chunked bump allocator under one mutex.
 *
 * Small requests (<= FX__BIG) bump through a list of FX__CHUNK-byte chunks;
 * when the current one is full the next one is used, or a new one appended.
 * Large requests get a dedicated chunk each, chosen best-fit among the free
 * large chunks. Reset marks everything free and keeps it all, so a run that
 * makes the same requests as an earlier one (same sizes, same order) is
 * served without malloc: small requests walk the same chunks, and best-fit
 * hands each large request a chunk of exactly the size it had before. */
#include "internal.h"

#include <stdlib.h>

#define FX__ALIGN  (_Alignof(max_align_t))
#define FX__CHUNK  ((size_t)8192)
#define FX__BIG    (FX__CHUNK / 4)

struct fx__chunk {
    fx__chunk *next;
    size_t cap;              /* bytes in data */
    size_t used;             /* small: bytes handed out; big: 0 or cap */
    max_align_t data[];
};

void fx__arena_init(fx__arena *a)
{
    FX__MUST(pthread_mutex_init(&a->mu, NULL));
    a->small_head = a->small_cur = a->big = NULL;
}

static fx__chunk *chunk_new(size_t cap)
{
    if (cap > SIZE_MAX - sizeof(fx__chunk)) return NULL;
    fx__chunk *c = malloc(sizeof(fx__chunk) + cap);
    if (c == NULL) return NULL;
    c->next = NULL;
    c->cap = cap;
    c->used = 0;
    return c;
}

static void *alloc_small(fx__arena *a, size_t n)
{
    fx__chunk *c = a->small_cur;
    if (c != NULL && c->cap - c->used >= n) goto bump;
    if (c != NULL && c->next != NULL) {      /* kept from before a reset: empty */
        c = c->next;
    } else {
        fx__chunk *fresh = chunk_new(FX__CHUNK);
        if (fresh == NULL) return NULL;
        if (c != NULL) c->next = fresh;
        else a->small_head = fresh;
        c = fresh;
    }
    a->small_cur = c;
bump:;
    void *p = (char *)c->data + c->used;
    c->used += n;
    return p;
}

static void *alloc_big(fx__arena *a, size_t n)
{
    fx__chunk *best = NULL;
    for (fx__chunk *c = a->big; c != NULL; c = c->next)
        if (c->used == 0 && c->cap >= n && (best == NULL || c->cap < best->cap))
            best = c;
    if (best == NULL) {
        best = chunk_new(n);
        if (best == NULL) return NULL;
        best->next = a->big;
        a->big = best;
    }
    best->used = best->cap;
    return best->data;
}

void *fx__arena_alloc(fx__arena *a, size_t n)
{
    if (n == 0) n = 1;
    if (n > SIZE_MAX - FX__ALIGN) return NULL;
    n = (n + FX__ALIGN - 1) / FX__ALIGN * FX__ALIGN;
    FX__MUST(pthread_mutex_lock(&a->mu));
    void *p = n > FX__BIG ? alloc_big(a, n) : alloc_small(a, n);
    FX__MUST(pthread_mutex_unlock(&a->mu));
    return p;
}

void fx__arena_reset(fx__arena *a)
{
    FX__MUST(pthread_mutex_lock(&a->mu));
    for (fx__chunk *c = a->small_head; c != NULL; c = c->next) c->used = 0;
    for (fx__chunk *c = a->big; c != NULL; c = c->next) c->used = 0;
    a->small_cur = a->small_head;
    FX__MUST(pthread_mutex_unlock(&a->mu));
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
    a->small_head = a->small_cur = a->big = NULL;
    FX__MUST(pthread_mutex_destroy(&a->mu));
}
