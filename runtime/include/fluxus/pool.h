/* fluxus/pool.h — typed object pools (SPEC §5.5).
 *
 * An fx_pool keeps idle objects of one size for reuse, so that steady-state
 * code gets and puts objects without calling malloc. fluxc wraps it in typed
 * functions for every `pool NAME: T (capacity: n, prewarm: k)` declaration
 * (M_NAME_get/_put/_stats, and _get_cap for a pool of a slice type) and
 * uses it for pooled_buffer's batch storage; hand-written code may use it
 * directly too.
 *
 * Objects. Each object is `size` bytes aligned to max_align_t. A new object
 * is all zero bytes; a reused one holds what it held when it was put back.
 * A pool made with elem_size > 0 (a slice pool) also gives each object
 * growable element storage, kept with the object across get/put
 * (fx_pool_storage): that is how a pooled [T] keeps its capacity.
 *
 * Capacity. At most `capacity` idle objects are kept: fx_pool_put frees an
 * object that would go beyond it. Objects handed out are not counted
 * against it, so fx_pool_get never fails for lack of room (only for lack
 * of memory).
 *
 * Ownership: fx_pool_new's result is freed with fx_pool_free(). Objects
 * belong to whoever got them until they are put back; an object may be put
 * back by a thread other than the one that got it, but only into the pool
 * it came from, and only once.
 *
 * Threads: fx_pool_get, fx_pool_put, fx_pool_read_stats and fx_pool_once
 * may be called from any thread at any time (one mutex per pool).
 * fx_pool_storage is called by the object's current owner. fx_pool_free
 * when no other thread uses the pool. */
#ifndef FLUXUS_POOL_H
#define FLUXUS_POOL_H

#include <stddef.h>

typedef struct fx_pool fx_pool;

/* How a pool is made. */
typedef struct fx_pool_config {
    size_t size;        /* bytes of one object (0 is treated as 1) */
    size_t capacity;    /* most idle objects kept; 0 = keep none */
    size_t prewarm;     /* objects made by fx_pool_new (at most capacity) */
    size_t elem_size;   /* > 0: a slice pool, each object owns storage of elements this big */
} fx_pool_config;

/* What a pool has done so far. A miss is a get that found no idle object
 * and made a new one; growing an object's storage is not a miss. */
typedef struct fx_pool_stats {
    size_t gets;        /* fx_pool_get calls that returned an object */
    size_t puts;        /* fx_pool_put calls with an object */
    size_t misses;      /* gets that allocated a new object */
    size_t size;        /* idle objects in the pool now */
} fx_pool_stats;

/* A new pool with cfg->prewarm idle objects already made. cfg is copied.
 * NULL when cfg is NULL or on OOM. */
fx_pool *fx_pool_new(const fx_pool_config *cfg);

/* Frees pool and every idle object in it (with its storage). Objects still
 * out are not the pool's any more: they must not be put back, and their
 * memory is lost. NULL: no-op. */
void fx_pool_free(fx_pool *pool);

/* An object: an idle one (the most recently put back), or a new zeroed one
 * (a miss). NULL on OOM or when pool is NULL. Any thread. */
void *fx_pool_get(fx_pool *pool);

/* Gives obj back: kept when fewer than capacity objects are idle, else
 * freed. obj NULL: no-op. Any thread. */
void fx_pool_put(fx_pool *pool, void *obj);

/* A copy of the pool's counters (zeros for NULL). Any thread. */
fx_pool_stats fx_pool_read_stats(fx_pool *pool);

/* Slice pools: obj's element storage, grown (like realloc: the contents
 * are kept) so that it has room for at least n elements. Storage that is
 * already big enough is returned as it is, so after warm-up this allocates
 * nothing. Returns NULL when n is 0 and obj never had storage, on OOM (the
 * old storage is kept), when n * elem_size overflows, or when pool is not
 * a slice pool. Called by obj's owner. */
void *fx_pool_storage(fx_pool *pool, void *obj, size_t n);

/* The pool in *slot, made from cfg on the first call (once, even when many
 * threads call at the same time) and kept there for the life of the
 * program: what generated module-level pools are built on. *slot must
 * start NULL (static storage). Returns NULL on OOM, and tries again on the
 * next call. Any thread. */
fx_pool *fx_pool_once(fx_pool **slot, const fx_pool_config *cfg);

#endif /* FLUXUS_POOL_H */
