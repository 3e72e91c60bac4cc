/* pool.c — fx_pool: idle objects of one size kept for reuse (fluxus/pool.h).
 *
 * Every object is a block [header | object]: the header holds a slice
 * pool's element storage, so a pooled slice keeps its capacity without the
 * user's struct having a field for it. Idle objects sit in a stack (an
 * array of `capacity` slots made once by fx_pool_new), so get and put on a
 * warm pool are a lock, a pointer move and an unlock. malloc/free happen
 * only on a miss, on a put beyond capacity, and when storage grows. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* In front of every object; a union so the object after it is aligned
 * like anything malloc returns. */
typedef union pool_hdr {
    struct {
        void *storage;             /* slice pools: element storage, or NULL */
        size_t cap;                /* elements it has room for */
    } s;
    max_align_t align;
} pool_hdr;

struct fx_pool {
    pthread_mutex_t mu;
    fx_pool_config cfg;            /* immutable */
    pool_hdr **idle;               /* mu: idle objects, idle[0..n) */
    size_t n;                      /* mu */
    fx_pool_stats stats;           /* mu (stats.size is n, filled in on read) */
};

static pool_hdr *hdr_of(void *obj) { return (pool_hdr *)obj - 1; }
static void *obj_of(pool_hdr *h) { return h + 1; }

static pool_hdr *object_new(const fx_pool *pool)
{
    size_t size = pool->cfg.size > 0 ? pool->cfg.size : 1;
    if (size > SIZE_MAX - sizeof(pool_hdr)) return NULL;
    return calloc(1, sizeof(pool_hdr) + size);
}

static void object_free(pool_hdr *h)
{
    if (h == NULL) return;
    free(h->s.storage);
    free(h);
}

fx_pool *fx_pool_new(const fx_pool_config *cfg)
{
    if (cfg == NULL) return NULL;
    fx_pool *pool = calloc(1, sizeof *pool);
    if (pool == NULL) return NULL;
    pool->cfg = *cfg;
    if (pool->cfg.prewarm > pool->cfg.capacity) pool->cfg.prewarm = pool->cfg.capacity;
    if (pool->cfg.capacity > 0) {
        if (pool->cfg.capacity > SIZE_MAX / sizeof *pool->idle) goto fail;
        pool->idle = malloc(pool->cfg.capacity * sizeof *pool->idle);
        if (pool->idle == NULL) goto fail;
    }
    for (size_t i = 0; i < pool->cfg.prewarm; i++) {
        pool_hdr *h = object_new(pool);
        if (h == NULL) goto fail;
        pool->idle[pool->n++] = h;
    }
    FX__MUST(pthread_mutex_init(&pool->mu, NULL));
    return pool;
fail:
    for (size_t i = 0; i < pool->n; i++) object_free(pool->idle[i]);
    free(pool->idle);
    free(pool);
    return NULL;
}

void fx_pool_free(fx_pool *pool)
{
    if (pool == NULL) return;
    for (size_t i = 0; i < pool->n; i++) object_free(pool->idle[i]);
    free(pool->idle);
    FX__MUST(pthread_mutex_destroy(&pool->mu));
    free(pool);
}

void *fx_pool_get(fx_pool *pool)
{
    if (pool == NULL) return NULL;
    pool_hdr *h = NULL;
    FX__MUST(pthread_mutex_lock(&pool->mu));
    if (pool->n > 0) {
        h = pool->idle[--pool->n];
        pool->stats.gets++;
    }
    FX__MUST(pthread_mutex_unlock(&pool->mu));
    if (h != NULL) return obj_of(h);

    h = object_new(pool);               /* a miss: allocate outside the lock */
    if (h == NULL) return NULL;
    FX__MUST(pthread_mutex_lock(&pool->mu));
    pool->stats.gets++;
    pool->stats.misses++;
    FX__MUST(pthread_mutex_unlock(&pool->mu));
    return obj_of(h);
}

void fx_pool_put(fx_pool *pool, void *obj)
{
    if (pool == NULL || obj == NULL) return;
    pool_hdr *h = hdr_of(obj);
    bool kept = false;
    FX__MUST(pthread_mutex_lock(&pool->mu));
    pool->stats.puts++;
    if (pool->n < pool->cfg.capacity) {
        pool->idle[pool->n++] = h;
        kept = true;
    }
    FX__MUST(pthread_mutex_unlock(&pool->mu));
    if (!kept) object_free(h);
}

fx_pool_stats fx_pool_read_stats(fx_pool *pool)
{
    fx_pool_stats s = { 0 };
    if (pool == NULL) return s;
    FX__MUST(pthread_mutex_lock(&pool->mu));
    s = pool->stats;
    s.size = pool->n;
    FX__MUST(pthread_mutex_unlock(&pool->mu));
    return s;
}

void *fx_pool_storage(fx_pool *pool, void *obj, size_t n)
{
    if (pool == NULL || obj == NULL || pool->cfg.elem_size == 0) return NULL;
    pool_hdr *h = hdr_of(obj);
    if (h->s.cap >= n) return h->s.storage;
    /* Grow geometrically so that a slice grown one item at a time through
     * get_cap does not realloc every time. */
    size_t cap = h->s.cap * 2 > n ? h->s.cap * 2 : n;
    if (cap < 8) cap = 8;
    size_t es = pool->cfg.elem_size;
    if (cap > SIZE_MAX / es) {
        cap = n;
        if (cap > SIZE_MAX / es) return NULL;
    }
    void *grown = realloc(h->s.storage, cap * es);
    if (grown == NULL) return NULL;
    h->s.storage = grown;
    h->s.cap = cap;
    return grown;
}

/* One lock for every fx_pool_once slot: taken only until the slot is set. */
static pthread_mutex_t once_mu = PTHREAD_MUTEX_INITIALIZER;

fx_pool *fx_pool_once(fx_pool **slot, const fx_pool_config *cfg)
{
    fx_pool *pool = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (pool != NULL) return pool;
    FX__MUST(pthread_mutex_lock(&once_mu));
    pool = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (pool == NULL) {
        pool = fx_pool_new(cfg);
        if (pool != NULL) __atomic_store_n(slot, pool, __ATOMIC_RELEASE);
    }
    FX__MUST(pthread_mutex_unlock(&once_mu));
    return pool;
}
