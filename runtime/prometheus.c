/* prometheus.c — the built-in Prometheus collector: an fx_metrics table
 * that counts into per-(pipeline, stage) series of atomics, a text
 * exposition writer, and an HTTP endpoint (libmicrohttpd).
 *
 * Hot path: a component pointer is looked up in a lock-free open-addressing
 * cache (slots are claimed once, never freed) that maps it to its series.
 * A miss (the first event of a component) takes `mu`, finds or makes the
 * series by its labels (two components with the same labels share one
 * series, as Prometheus requires), and publishes the cache slot.
 *
 * The component events (started, completed, the duration histogram: two
 * to four counters per observed component) count into the calling
 * thread's own block of the series (`hot`): each thread that reports holds
 * one of NSLOTS process-wide thread slots, so it is the only writer of its
 * blocks and counts with a plain load and store instead of a locked
 * read-modify-write. A scrape sums the blocks. A thread's slot goes back
 * at its exit (a pthread key's destructor) and the next thread to take it
 * goes on counting in the same blocks: counts stay exact. A thread that
 * finds no free slot, or no memory for a block, counts into the series'
 * shared block with atomic adds. The other events count with atomic adds
 * in the series.
 *
 * Each thread also remembers, per component, the series and its own block
 * (`tcache`, direct-mapped, keyed by the collector's never-reused id and
 * the component's address), so that a component event on a warm thread
 * costs two compares instead of the hash lookup and the block lookup. */
#include "internal.h"

#include <fluxus/prometheus.h>

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* ------------------------------------------------------------ series */

/* Error classes: 0 = application (code > 0), 1.. = FX_E codes by -code,
 * last = unknown. */
enum { NCLASS = FX__ERRNO_INDEX_END + 1, CLASS_UNKNOWN = FX__ERRNO_INDEX_END };
enum { NROUTES = 16 };         /* route >= NROUTES-1 counts as "other" */
enum { CACHE_SLOTS = 1024 };

static const char *const class_names[NCLASS] = {
    "application",
#define FX__XX(name, text) #name,
    FX_ERRNO_MAP(FX__XX)
#undef FX__XX
    "unknown",
};

typedef atomic_uint_fast64_t counter;

enum { NSLOTS = 64 };                  /* thread slots; more threads share `shared` */

/* The counters of the component events, one block per series and thread
 * slot (written by its slot's thread only) plus one shared block. A
 * cache line of its own: the blocks of one series are written by
 * different threads. */
typedef struct hot {
    _Alignas(64) counter started;
    counter completed;
    counter buckets[FX_PROMETHEUS_MAX_BUCKETS + 1];   /* non-cumulative; last = +Inf */
    counter sum_ns;                    /* two's complement of the int64_t sum */
} hot;

typedef struct series {
    struct series *next;               /* list in order of creation; immutable once published */
    bool is_pipeline;
    char *pipeline, *stage;            /* owned */
    _Atomic(hot *) slot[NSLOTS];       /* owned; made by the slot's thread at its first event */
    hot shared;                        /* threads without a slot or a block: atomic adds */
    counter errors[NCLASS];
    counter retry_attempts;
    counter buffer_batches, buffer_items;
    counter fanout_started, fanout_completed, fanin_started, fanin_completed;
    atomic_int breaker_state;          /* -1 = never reported */
    counter breaker_transitions[3];
    counter limiter_waits, limiter_rejects;
    atomic_int_fast64_t limiter_wait_ns;
    counter dlq, filtered;
    counter routes[NROUTES];
} series;

typedef struct cache_slot {
    _Atomic(uintptr_t) key;            /* the fx_component *, 0 = free */
    _Atomic(series *) val;
} cache_slot;

struct fx_prometheus {
    fx_metrics table;                  /* user = this */
    uint64_t id;                       /* unique in the process, never reused (thread caches) */
    double bounds[FX_PROMETHEUS_MAX_BUCKETS];
    int64_t bounds_ns[FX_PROMETHEUS_MAX_BUCKETS];
    size_t nbuckets;
    pthread_mutex_t mu;                /* series list insertion, writers */
    series *head, *tail;               /* mu */
    cache_slot cache[CACHE_SLOTS];
};

static const double default_bounds[] = {
    0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

static size_t hash_ptr(const void *p)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)(x % CACHE_SLOTS);
}

static bool same(const char *a, const char *b)
{
    return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

static char *dup_or_empty(const char *s)
{
    s = s != NULL ? s : "";
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d != NULL) memcpy(d, s, n);
    return d;
}

/* Finds or makes the series of c; mu held. NULL on OOM. */
static series *series_locked(fx_prometheus *p, const fx_component *c, bool is_pipeline)
{
    const char *pipe = is_pipeline ? c->name : c->pipeline;
    const char *stage = is_pipeline ? "" : c->name;
    for (series *s = p->head; s != NULL; s = s->next)
        if (s->is_pipeline == is_pipeline && same(s->pipeline, pipe) && same(s->stage, stage))
            return s;
    series *s = aligned_alloc(_Alignof(series), sizeof *s);
    if (s == NULL) return NULL;
    memset(s, 0, sizeof *s);
    s->is_pipeline = is_pipeline;
    s->pipeline = dup_or_empty(pipe);
    s->stage = dup_or_empty(stage);
    if (s->pipeline == NULL || s->stage == NULL) {
        free(s->pipeline);
        free(s->stage);
        free(s);
        return NULL;
    }
    atomic_init(&s->breaker_state, -1);
    if (p->tail != NULL) p->tail->next = s;
    else p->head = s;
    p->tail = s;
    return s;
}

/* A miss: finds or makes the series under mu and publishes its cache slot
 * (probing from h). A function of its own, called from every callback, so
 * that the hit path inlined there saves no registers for it. */
static series *lookup_slow(fx_prometheus *p, const fx_component *c, size_t h)
{
    FX__MUST(pthread_mutex_lock(&p->mu));
    series *s = series_locked(p, c, c->kind == FX_COMPONENT_PIPELINE);
    if (s != NULL) {
        for (size_t i = 0; i < CACHE_SLOTS; i++) {
            cache_slot *sl = &p->cache[(h + i) % CACHE_SLOTS];
            uintptr_t k = atomic_load_explicit(&sl->key, memory_order_relaxed);
            if (k == (uintptr_t)c) break;
            if (k == 0) {
                /* only inserters write keys, and they hold mu */
                atomic_store_explicit(&sl->val, s, memory_order_release);
                atomic_store_explicit(&sl->key, (uintptr_t)c, memory_order_release);
                break;
            }
        }
    }
    FX__MUST(pthread_mutex_unlock(&p->mu));
    return s;
}

/* The series of component c (lock-free once cached). NULL on OOM. A
 * nested pipeline is counted as a pipeline under its own name. */
static inline series *lookup(fx_prometheus *p, const fx_component *c)
{
    size_t h = hash_ptr(c);
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        cache_slot *sl = &p->cache[(h + i) % CACHE_SLOTS];
        uintptr_t k = atomic_load_explicit(&sl->key, memory_order_acquire);
        if (FX_LIKELY(k == (uintptr_t)c)) {
            series *s = atomic_load_explicit(&sl->val, memory_order_acquire);
            if (FX_LIKELY(s != NULL)) return s;
            break;             /* being published: take the slow path */
        }
        if (k == 0) break;
    }
    return lookup_slow(p, c, h);
}

static void inc(counter *c, uint64_t n) { atomic_fetch_add_explicit(c, n, memory_order_relaxed); }

/* ------------------------------------------------------------ thread slots */

static pthread_once_t slot_once = PTHREAD_ONCE_INIT;
static pthread_key_t slot_key;         /* value: slot + 1, so the destructor runs */
static pthread_mutex_t slot_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t slot_used;             /* slot_mu; bit i = slot i is taken */
static _Thread_local int thread_slot = -1;   /* -1 = not asked yet, NSLOTS = none */

/* A thread's memory of the blocks it counts into (see the top). */
enum { TCACHE = 128 };
typedef struct tcache_entry {
    uint64_t id;                       /* fx_prometheus.id; 0 = empty */
    const fx_component *c;
    series *s;
    hot *h;                            /* the thread's block of s, or &s->shared */
} tcache_entry;
static _Thread_local tcache_entry tcache[TCACHE];

static size_t tcache_index(const fx_component *c)
{
    /* components sit in arrays of fx_component: neighbours get neighbouring entries */
    return (size_t)((uintptr_t)c / sizeof(fx_component)) % TCACHE;
}

static void slot_release(void *v)
{
    int i = (int)((intptr_t)v - 1);
    thread_slot = NSLOTS;              /* events after this (other destructors) go to `shared` */
    memset(tcache, 0, sizeof tcache);  /* its blocks are the next owner's now */
    FX__MUST(pthread_mutex_lock(&slot_mu));
    slot_used &= ~((uint64_t)1 << i);
    FX__MUST(pthread_mutex_unlock(&slot_mu));
}

static void slot_key_init(void) { FX__MUST(pthread_key_create(&slot_key, slot_release)); }

/* The calling thread's slot, taken at its first event; NSLOTS when every
 * slot is taken. */
static int slot_take(void)
{
    FX__MUST(pthread_once(&slot_once, slot_key_init));
    int i = NSLOTS;
    FX__MUST(pthread_mutex_lock(&slot_mu));
    if (~slot_used != 0) {
        i = __builtin_ctzll(~slot_used);
        slot_used |= (uint64_t)1 << i;
    }
    FX__MUST(pthread_mutex_unlock(&slot_mu));
    if (i < NSLOTS) FX__MUST(pthread_setspecific(slot_key, (void *)(intptr_t)(i + 1)));
    thread_slot = i;
    return i;
}

/* The calling thread's block of s when it has none yet: made now, or the
 * shared block (no slot, no memory). */
static hot *hot_slow(series *s)
{
    int i = thread_slot < 0 ? slot_take() : thread_slot;
    if (i >= NSLOTS) return &s->shared;
    hot *h = atomic_load_explicit(&s->slot[i], memory_order_relaxed);
    if (h != NULL) return h;
    h = aligned_alloc(_Alignof(hot), sizeof *h);
    if (h == NULL) return &s->shared;
    memset(h, 0, sizeof *h);
    atomic_store_explicit(&s->slot[i], h, memory_order_release);   /* a scrape may read it now */
    return h;
}

/* The calling thread's block of s. */
static inline hot *hot_of(series *s)
{
    int i = thread_slot;
    if (FX_LIKELY((unsigned)i < NSLOTS)) {
        hot *h = atomic_load_explicit(&s->slot[i], memory_order_relaxed);   /* our own store */
        if (FX_LIKELY(h != NULL)) return h;
    }
    return hot_slow(s);
}

/* n more on c of block h: a plain load and store when h is the thread's
 * own (one writer), an atomic add on the shared one. */
static inline void bump(const series *s, const hot *h, counter *c, uint64_t n)
{
    if (FX_LIKELY(h != &s->shared))
        atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n, memory_order_relaxed);
    else
        inc(c, n);
}

/* A counter of the component events: the sum over the blocks of s. */
static uint64_t hot_get(series *s, size_t off)
{
    uint64_t v = atomic_load_explicit((counter *)(void *)((char *)&s->shared + off), memory_order_relaxed);
    for (int i = 0; i < NSLOTS; i++) {
        hot *h = atomic_load_explicit(&s->slot[i], memory_order_acquire);
        if (h != NULL) v += atomic_load_explicit((counter *)(void *)((char *)h + off), memory_order_relaxed);
    }
    return v;
}

static size_t error_class(int code)
{
    if (code > 0) return 0;
    if (code < 0 && -code < FX__ERRNO_INDEX_END) return (size_t)-code;
    return CLASS_UNKNOWN;
}

static void observe_duration(fx_prometheus *p, series *s, hot *h, int64_t ns)
{
    size_t b = 0;
    while (b < p->nbuckets && ns > p->bounds_ns[b]) b++;
    bump(s, h, &h->buckets[b], 1);
    bump(s, h, &h->sum_ns, (uint64_t)ns);   /* two's complement: a negative ns subtracts */
}

/* ------------------------------------------------------------ callbacks */

#define SERIES_OR_RETURN(user, c)                 \
    fx_prometheus *p = (fx_prometheus *)(user);   \
    series *s = lookup(p, (c));                   \
    if (s == NULL) return

/* The thread's cache entry for c in p, with the series of c and the
 * thread's block of it; filled now if it held something else. NULL on
 * OOM. */
static FX__NOINLINE const tcache_entry *resolve_slow(fx_prometheus *p, const fx_component *c)
{
    series *s = lookup(p, c);
    if (s == NULL) return NULL;
    tcache_entry *e = &tcache[tcache_index(c)];
    *e = (tcache_entry){p->id, c, s, hot_of(s)};
    return e;
}

static inline const tcache_entry *resolve(fx_prometheus *p, const fx_component *c)
{
    const tcache_entry *e = &tcache[tcache_index(c)];
    if (FX_LIKELY(e->c == c && e->id == p->id)) return e;
    return resolve_slow(p, c);
}

static void on_started(void *user, const fx_component *c)
{
    const tcache_entry *e = resolve(user, c);
    if (e != NULL) bump(e->s, e->h, &e->h->started, 1);
}

static void on_finished(void *user, const fx_component *c, int64_t ns, int code)
{
    fx_prometheus *p = user;
    const tcache_entry *e = resolve(p, c);
    if (e == NULL) return;
    series *s = e->s;
    hot *h = e->h;
    if (FX_LIKELY(code == 0)) bump(s, h, &h->completed, 1);
    else inc(&s->errors[error_class(code)], 1);
    observe_duration(p, s, h, ns);
}

static void on_stage_completed(void *user, const fx_component *c, int64_t ns) { on_finished(user, c, ns, 0); }

static void on_retry(void *user, const fx_component *c, int attempt, int code)
{
    (void)attempt, (void)code;
    SERIES_OR_RETURN(user, c);
    inc(&s->retry_attempts, 1);
}

static void on_batch(void *user, const fx_component *c, int offset, int64_t size)
{
    (void)offset;
    SERIES_OR_RETURN(user, c);
    inc(&s->buffer_batches, 1);
    inc(&s->buffer_items, size > 0 ? (uint64_t)size : 0);
}

static void on_fanout_started(void *user, const fx_component *c, int64_t n)
{
    (void)n;
    SERIES_OR_RETURN(user, c);
    inc(&s->fanout_started, 1);
}

static void on_fanout_completed(void *user, const fx_component *c, int64_t n, int code)
{
    (void)n, (void)code;
    SERIES_OR_RETURN(user, c);
    inc(&s->fanout_completed, 1);
}

static void on_fanin_started(void *user, const fx_component *c, int64_t n)
{
    (void)n;
    SERIES_OR_RETURN(user, c);
    inc(&s->fanin_started, 1);
}

static void on_fanin_completed(void *user, const fx_component *c, int code)
{
    (void)code;
    SERIES_OR_RETURN(user, c);
    inc(&s->fanin_completed, 1);
}

static void on_breaker(void *user, const fx_component *c, int from, int to)
{
    (void)from;
    SERIES_OR_RETURN(user, c);
    if (to < 0 || to > 2) return;
    atomic_store_explicit(&s->breaker_state, to, memory_order_relaxed);
    inc(&s->breaker_transitions[to], 1);
}

static void on_limiter_wait(void *user, const fx_component *c, int64_t ns)
{
    SERIES_OR_RETURN(user, c);
    inc(&s->limiter_waits, 1);
    atomic_fetch_add_explicit(&s->limiter_wait_ns, ns > 0 ? ns : 0, memory_order_relaxed);
}

static void on_limiter_reject(void *user, const fx_component *c)
{
    SERIES_OR_RETURN(user, c);
    inc(&s->limiter_rejects, 1);
}

static void on_dlq(void *user, const fx_component *c, int code)
{
    (void)code;
    SERIES_OR_RETURN(user, c);
    inc(&s->dlq, 1);
}

static void on_filtered(void *user, const fx_component *c)
{
    SERIES_OR_RETURN(user, c);
    inc(&s->filtered, 1);
}

static void on_route(void *user, const fx_component *c, int route)
{
    SERIES_OR_RETURN(user, c);
    inc(&s->routes[route >= 0 && route < NROUTES - 1 ? route : NROUTES - 1], 1);
}

/* ------------------------------------------------------------ lifetime */

fx_prometheus *fx_prometheus_new(const fx_prometheus_config *cfg)
{
    const double *b = default_bounds;
    size_t nb = sizeof default_bounds / sizeof default_bounds[0];
    if (cfg != NULL && cfg->buckets != NULL) {
        b = cfg->buckets;
        nb = cfg->nbuckets;
    }
    if (nb > FX_PROMETHEUS_MAX_BUCKETS) return NULL;
    for (size_t i = 0; i < nb; i++)
        if (!(b[i] > 0) || (i > 0 && !(b[i] > b[i - 1]))) return NULL;
    fx_prometheus *p = calloc(1, sizeof *p);
    if (p == NULL) return NULL;
    static atomic_uint_fast64_t last_id;
    p->id = atomic_fetch_add_explicit(&last_id, 1, memory_order_relaxed) + 1;
    for (size_t i = 0; i < nb; i++) {
        p->bounds[i] = b[i];
        p->bounds_ns[i] = (int64_t)(b[i] * 1e9 + 0.5);
    }
    p->nbuckets = nb;
    FX__MUST(pthread_mutex_init(&p->mu, NULL));
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        atomic_init(&p->cache[i].key, 0);
        atomic_init(&p->cache[i].val, NULL);
    }
    p->table = (fx_metrics){
        .user = p,
        .pipeline_started = on_started,
        .pipeline_completed = on_finished,
        .stage_started = on_started,
        .stage_completed = on_stage_completed,
        .stage_error = on_finished,
        .retry_attempt = on_retry,
        .buffer_batch = on_batch,
        .fanout_started = on_fanout_started,
        .fanout_completed = on_fanout_completed,
        .fanin_started = on_fanin_started,
        .fanin_completed = on_fanin_completed,
        .breaker_state = on_breaker,
        .limiter_wait = on_limiter_wait,
        .limiter_reject = on_limiter_reject,
        .dlq = on_dlq,
        .filtered = on_filtered,
        .route_selected = on_route,
    };
    return p;
}

void fx_prometheus_free(fx_prometheus *p)
{
    if (p == NULL) return;
    for (series *s = p->head, *next; s != NULL; s = next) {
        next = s->next;
        for (int i = 0; i < NSLOTS; i++) free(atomic_load_explicit(&s->slot[i], memory_order_relaxed));
        free(s->pipeline);
        free(s->stage);
        free(s);
    }
    FX__MUST(pthread_mutex_destroy(&p->mu));
    free(p);
}

const fx_metrics *fx_prometheus_metrics(fx_prometheus *p) { return &p->table; }

/* ------------------------------------------------------------ exposition */

static uint64_t get(counter *c) { return atomic_load_explicit(c, memory_order_relaxed); }

/* A label value, escaped as the text format wants. */
static void put_value(FILE *f, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\') fputs("\\\\", f);
        else if (*v == '"') fputs("\\\"", f);
        else if (*v == '\n') fputs("\\n", f);
        else fputc(*v, f);
    }
}

/* `name{pipeline="…"[,stage="…"][,extra="…"]} ` */
static void put_series(FILE *f, const char *name, const char *suffix, const series *s,
                       const char *extra_key, const char *extra_val)
{
    fprintf(f, "%s%s{pipeline=\"", name, suffix);
    put_value(f, s->pipeline);
    fputc('"', f);
    if (!s->is_pipeline) {
        fputs(",stage=\"", f);
        put_value(f, s->stage);
        fputc('"', f);
    }
    if (extra_key != NULL) {
        fprintf(f, ",%s=\"", extra_key);
        put_value(f, extra_val);
        fputc('"', f);
    }
    fputs("} ", f);
}

static void put_header(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Where a counter family is read: at `off` in the series, or summed over
 * its blocks at `off` in a `hot`. */
typedef struct place {
    bool in_hot;
    size_t off;
} place;

#define OFF(field) ((place){false, offsetof(series, field)})
#define HOT(field) ((place){true, offsetof(hot, field)})

/* A counter family read at `at` in each series of the given kind; with
 * only_nonzero, series at zero are left out (and the family when all are). */
static void counter_family(FILE *f, fx_prometheus *p, bool pipelines, const char *name,
                           const char *help, place at, bool only_nonzero)
{
    bool any = false;
    for (series *s = p->head; s != NULL; s = s->next) {
        if (s->is_pipeline != pipelines) continue;
        uint64_t v = at.in_hot ? hot_get(s, at.off) : get((counter *)(void *)((char *)s + at.off));
        if (only_nonzero && v == 0) continue;
        if (!any) put_header(f, name, "counter", help);
        any = true;
        put_series(f, name, "", s, NULL, NULL);
        fprintf(f, "%llu\n", (unsigned long long)v);
    }
}

static void errors_family(FILE *f, fx_prometheus *p, bool pipelines, const char *name, const char *help)
{
    bool any = false;
    for (series *s = p->head; s != NULL; s = s->next) {
        if (s->is_pipeline != pipelines) continue;
        for (size_t k = 0; k < NCLASS; k++) {
            uint64_t v = get(&s->errors[k]);
            if (v == 0) continue;
            if (!any) put_header(f, name, "counter", help);
            any = true;
            char cls[32];
            const char *src = class_names[k];
            if (k > 0 && k < CLASS_UNKNOWN) src++;           /* "ECANCELED" -> "canceled" */
            size_t i = 0;
            for (; src[i] && i + 1 < sizeof cls; i++)
                cls[i] = (char)(src[i] >= 'A' && src[i] <= 'Z' ? src[i] - 'A' + 'a' : src[i]);
            cls[i] = '\0';
            put_series(f, name, "", s, "class", cls);
            fprintf(f, "%llu\n", (unsigned long long)v);
        }
    }
}

static void histogram_family(FILE *f, fx_prometheus *p, bool pipelines, const char *name, const char *help)
{
    bool any = false;
    for (series *s = p->head; s != NULL; s = s->next) {
        if (s->is_pipeline != pipelines) continue;
        if (!any) put_header(f, name, "histogram", help);
        any = true;
        uint64_t cum = 0;
        char le[32];
        for (size_t b = 0; b <= p->nbuckets; b++) {
            cum += hot_get(s, offsetof(hot, buckets) + b * sizeof(counter));
            if (b < p->nbuckets) snprintf(le, sizeof le, "%g", p->bounds[b]);
            else snprintf(le, sizeof le, "+Inf");
            put_series(f, name, "_bucket", s, "le", le);
            fprintf(f, "%llu\n", (unsigned long long)cum);
        }
        put_series(f, name, "_sum", s, NULL, NULL);
        fprintf(f, "%.9f\n", (double)(int64_t)hot_get(s, offsetof(hot, sum_ns)) / 1e9);
        put_series(f, name, "_count", s, NULL, NULL);
        fprintf(f, "%llu\n", (unsigned long long)cum);
    }
}

static void breaker_families(FILE *f, fx_prometheus *p)
{
    static const char *const states[3] = {"closed", "open", "half_open"};
    bool any = false;
    for (series *s = p->head; s != NULL; s = s->next) {
        int st = atomic_load_explicit(&s->breaker_state, memory_order_relaxed);
        if (s->is_pipeline || st < 0) continue;
        if (!any) put_header(f, "fluxus_circuit_breaker_state", "gauge",
                             "Circuit breaker state: 0 closed, 1 open, 2 half-open.");
        any = true;
        put_series(f, "fluxus_circuit_breaker_state", "", s, NULL, NULL);
        fprintf(f, "%d\n", st);
    }
    any = false;
    for (series *s = p->head; s != NULL; s = s->next) {
        if (s->is_pipeline) continue;
        for (int k = 0; k < 3; k++) {
            uint64_t v = get(&s->breaker_transitions[k]);
            if (v == 0) continue;
            if (!any) put_header(f, "fluxus_circuit_breaker_transitions_total", "counter",
                                 "Circuit breaker state changes, by the state entered.");
            any = true;
            put_series(f, "fluxus_circuit_breaker_transitions_total", "", s, "to", states[k]);
            fprintf(f, "%llu\n", (unsigned long long)v);
        }
    }
}

static void routes_family(FILE *f, fx_prometheus *p)
{
    bool any = false;
    for (series *s = p->head; s != NULL; s = s->next) {
        for (int r = 0; r < NROUTES; r++) {
            uint64_t v = get(&s->routes[r]);
            if (v == 0) continue;
            if (!any) put_header(f, "fluxus_router_routes_selected_total", "counter",
                                 "Routes selected by routers, by route index.");
            any = true;
            char idx[16];
            if (r < NROUTES - 1) snprintf(idx, sizeof idx, "%d", r);
            else snprintf(idx, sizeof idx, "other");
            put_series(f, "fluxus_router_routes_selected_total", "", s, "route", idx);
            fprintf(f, "%llu\n", (unsigned long long)v);
        }
    }
}

static void limiter_wait_family(FILE *f, fx_prometheus *p)
{
    bool any = false;
    for (series *s = p->head; s != NULL; s = s->next) {
        if (s->is_pipeline || get(&s->limiter_waits) == 0) continue;
        if (!any) put_header(f, "fluxus_rate_limiter_wait_seconds_total", "counter",
                             "Time spent waiting for rate limiter tokens.");
        any = true;
        put_series(f, "fluxus_rate_limiter_wait_seconds_total", "", s, NULL, NULL);
        fprintf(f, "%.9f\n", (double)atomic_load_explicit(&s->limiter_wait_ns, memory_order_relaxed) / 1e9);
    }
}

int fx_prometheus_write(fx_prometheus *p, FILE *f)
{
    FX__MUST(pthread_mutex_lock(&p->mu));
    counter_family(f, p, true, "fluxus_pipeline_started_total", "Pipeline runs started.", HOT(started), false);
    counter_family(f, p, true, "fluxus_pipeline_completed_total", "Pipeline runs that succeeded.", HOT(completed), false);
    errors_family(f, p, true, "fluxus_pipeline_errors_total", "Pipeline runs that failed, by error class.");
    histogram_family(f, p, true, "fluxus_pipeline_duration_seconds", "Duration of pipeline runs.");
    counter_family(f, p, false, "fluxus_stage_started_total", "Stage runs started.", HOT(started), false);
    counter_family(f, p, false, "fluxus_stage_completed_total", "Stage runs that succeeded.", HOT(completed), false);
    errors_family(f, p, false, "fluxus_stage_errors_total", "Stage runs that failed, by error class.");
    histogram_family(f, p, false, "fluxus_stage_duration_seconds", "Duration of stage runs.");
    counter_family(f, p, false, "fluxus_retry_attempts_total", "Retries (tries after the first).", OFF(retry_attempts), true);
    counter_family(f, p, false, "fluxus_buffer_batches_total", "Batches run by buffers.", OFF(buffer_batches), true);
    counter_family(f, p, false, "fluxus_buffer_items_total", "Items in the batches run by buffers.", OFF(buffer_items), true);
    counter_family(f, p, false, "fluxus_fanout_started_total", "Fan-outs started.", OFF(fanout_started), true);
    counter_family(f, p, false, "fluxus_fanout_completed_total", "Fan-outs completed.", OFF(fanout_completed), true);
    counter_family(f, p, false, "fluxus_fanin_started_total", "Fan-ins started.", OFF(fanin_started), true);
    counter_family(f, p, false, "fluxus_fanin_completed_total", "Fan-ins completed.", OFF(fanin_completed), true);
    breaker_families(f, p);
    counter_family(f, p, false, "fluxus_rate_limiter_waits_total", "Calls that waited for a token.", OFF(limiter_waits), true);
    limiter_wait_family(f, p);
    counter_family(f, p, false, "fluxus_rate_limiter_rejects_total", "Calls rejected for want of a token.", OFF(limiter_rejects), true);
    counter_family(f, p, false, "fluxus_dlq_items_total", "Items handed to a dead-letter queue.", OFF(dlq), true);
    counter_family(f, p, false, "fluxus_filtered_items_total", "Items filtered out.", OFF(filtered), true);
    routes_family(f, p);
    FX__MUST(pthread_mutex_unlock(&p->mu));
    return fflush(f) == 0 && !ferror(f) ? 0 : FX_EINVAL;
}

int fx_prometheus_write_file(fx_prometheus *p, const char *path)
{
    if (path == NULL) return FX_EINVAL;
    size_t n = strlen(path);
    char *tmp = malloc(n + 5);
    if (tmp == NULL) return FX_ENOMEM;
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".tmp", 5);
    int rc = FX_EINVAL;
    FILE *f = fopen(tmp, "w");
    if (f != NULL) {
        rc = fx_prometheus_write(p, f);
        if (fclose(f) != 0) rc = FX_EINVAL;
        if (rc == 0 && rename(tmp, path) != 0) rc = FX_EINVAL;
        if (rc != 0) remove(tmp);
    }
    free(tmp);
    return rc;
}

/* ------------------------------------------------------------ HTTP */

struct fx_prometheus_server {
    struct MHD_Daemon *daemon;
    int port;
};

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    (void)version, (void)upload, (void)upload_size, (void)con_cls;
    fx_prometheus *p = cls;
    bool get_or_head = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    if (!get_or_head || strcmp(url, "/metrics") != 0) {
        static const char nf[] = "not found: fluxus serves /metrics\n";
        struct MHD_Response *r = MHD_create_response_from_buffer(sizeof nf - 1, (void *)nf,
                                                                 MHD_RESPMEM_PERSISTENT);
        if (r == NULL) return MHD_NO;
        enum MHD_Result ok = MHD_queue_response(conn, get_or_head ? MHD_HTTP_NOT_FOUND
                                                                  : MHD_HTTP_METHOD_NOT_ALLOWED, r);
        MHD_destroy_response(r);
        return ok;
    }
    char *body = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&body, &len);
    if (f == NULL) return MHD_NO;
    fx_prometheus_write(p, f);
    if (fclose(f) != 0) {
        free(body);
        return MHD_NO;
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
    enum MHD_Result ok = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ok;
}

int fx_prometheus_serve(fx_prometheus *p, const char *host, int port, fx_prometheus_server **out)
{
    if (p == NULL || out == NULL || port < 0 || port > 65535) return FX_EINVAL;
    *out = NULL;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host != NULL ? host : "127.0.0.1", &sa.sin_addr) != 1) return FX_EINVAL;
    fx_prometheus_server *s = calloc(1, sizeof *s);
    if (s == NULL) return FX_ENOMEM;
    s->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL, NULL,
                                 answer, p, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                                 MHD_OPTION_END);
    if (s->daemon == NULL) {
        free(s);
        return FX_EINVAL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info != NULL ? info->port : port;
    *out = s;
    return 0;
}

int fx_prometheus_server_port(const fx_prometheus_server *s) { return s->port; }

void fx_prometheus_server_stop(fx_prometheus_server *s)
{
    if (s == NULL) return;
    MHD_stop_daemon(s->daemon);
    free(s);
}
