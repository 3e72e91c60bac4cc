/* runtime/internal.h — private to libfluxus: shared struct layouts and the
 * helpers the runtime's files use on each other. Nothing here is API. */
#ifndef FLUXUS_RUNTIME_INTERNAL_H
#define FLUXUS_RUNTIME_INTERNAL_H

#include <fluxus/fluxus.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* ------------------------------------------------------------ util */

/* A failing pthread_* call is a bug: report it and abort. */
void fx__check(int rc, const char *what);
#define FX__MUST(call) fx__check((call), #call)

static inline int64_t fx__add_sat(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b) return INT64_MAX;
    if (b < 0 && a < INT64_MIN - b) return INT64_MIN;
    return a + b;
}

/* ------------------------------------------------------------ clock.c */

/* The real clock, what fx_clock_real() returns. */
extern struct fx_clock fx__real_clock;

/* fx_clock_now(c), inline for a c that is not NULL: fx_observe_* read the
 * clock twice per observed component, and the call into clock.c was half
 * the cost of a read. Part of the clock module (clock.c's own
 * fx_clock_now is this). */
static inline int64_t fx__clock_now(const fx_clock *c)
{
    if (c != &fx__real_clock) return fx_clock_now(c);
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) abort();  /* cannot fail on POSIX */
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One thread blocked in fx_clock_sleep*: lives on the sleeper's stack.
 * Wakers (fx_ctx_cancel, fx_clock_fake_advance) set `woken` under `mu` and
 * signal; they find the waiter through lists whose own locks they hold, and
 * the sleeper unlinks itself under those locks before returning, so no
 * waker ever touches a dead waiter. Lock order: tree/clock lock, then mu. */
typedef struct fx__waiter {
    pthread_mutex_t mu;
    pthread_cond_t cond;                /* CLOCK_MONOTONIC */
    bool woken;                         /* mu */
    struct fx__waiter *prev, *next;     /* in its ctx's waiter list: root tree_mu */
} fx__waiter;

void fx__waiter_wake(fx__waiter *w);

/* ------------------------------------------------------------ arena.c */

typedef struct fx__chunk fx__chunk;

/* Free bytes [cur, end) that one thread bumps through without locking.
 * Both ends stay FX__ARENA_ALIGN-aligned (chunks and regions start
 * aligned, are a multiple of it long, and every bump is rounded), so
 * whatever fits rounded up fits. */
typedef struct fx__arena_space {
    char *cur, *end;
} fx__arena_space;

/* Chunked bump allocator. Small requests bump through a list of equal
 * chunks; large ones get a chunk each. Reset keeps every chunk.
 *
 * The owner (the thread that made the arena or last reset it) bumps through
 * a chunk of its own without locking: `own` is touched by the
 * owner only (and by init/reset, which run alone). Every other thread
 * allocates under mu from the shared chunk. Both take fresh chunks from
 * the list under mu. */
typedef struct fx__arena {
    /* Three cache lines apart: `owner`, which every allocating thread
     * reads; the owner's bump pointer, which the owner writes on every
     * allocation; and the mutex other threads take. Sharing a line, a
     * worker's read or lock would pull the owner's line away on every
     * item (and the other way round). */
    _Atomic(const void *) owner;  /* the owner's fx__arena_self(); written by init/reset */
    char fx__pad0[64];
    fx__arena_space own;          /* owner only: the free part of its chunk */
    char *own_begin;              /* reset: the first chunk's data, where own starts */
    bool quiet;                   /* since the last reset no chunk was taken (mu, or
                                     alone): a reset only rewinds own.cur */
    char fx__pad[64];
    pthread_mutex_t mu;           /* guards every field below */
    fx__arena_space shared;       /* the free part of the other threads' chunk */
    fx__chunk *small_head;        /* small chunks in the order they were first taken */
    fx__chunk *small_next;        /* the first one not handed out since the last reset */
    fx__chunk *small_tail;        /* the last one, for appending */
    fx__chunk *big;               /* large-request chunks, used or free */
    size_t big_used;              /* how many big chunks are handed out */
} fx__arena;

/* A context's own slice of its arena, for a thread that is not the
 * arena's owner (a worker running a task on a child context): that thread
 * bumps through a small region carved from the shared chunk, and takes the
 * mutex once per region instead of once per allocation. Only the thread
 * that made the context (`owner`) uses it; any other goes the shared way.
 * The unused rest of a region is given up when the context is freed. */
typedef struct fx__arena_local {
    const void *owner;            /* the thread that made the context; NULL = none */
    fx__arena_space space;        /* the free part of its region */
} fx__arena_local;

void  fx__arena_init(fx__arena *a);
/* Any size, any thread; fx__arena_alloc is the inline fast path. l may be
 * NULL. */
void *fx__arena_alloc_slow(fx__arena *a, fx__arena_local *l, size_t n);

#define FX__ARENA_ALIGN _Alignof(max_align_t)
#define FX__ARENA_CHUNK ((size_t)8192)
#define FX__ARENA_BIG   (FX__ARENA_CHUNK / 4)   /* larger requests get a chunk of their own */
#define FX__ARENA_LOCAL ((size_t)1024)          /* a local region */
_Static_assert(FX__ARENA_CHUNK % FX__ARENA_ALIGN == 0 && FX__ARENA_LOCAL % FX__ARENA_ALIGN == 0,
               "chunks and regions keep fx__arena_space aligned at both ends");

/* A byte per thread: its address tells the threads apart. */
extern _Thread_local char fx__thread_token;

static inline bool fx__arena_is_owner(const fx__arena *a)
{
    return atomic_load_explicit(&a->owner, memory_order_relaxed) == (const void *)&fx__thread_token;
}

/* Where fx_sprintf formats first: the owner's chunk, or l's region when l
 * is the calling thread's and has room left. NULL otherwise: another
 * thread's context, or a region used up or not yet taken (a worker's
 * fresh task context), which fx__arena_vsprintf refills before formatting
 * rather than format into nothing and again. l may be NULL. */
static inline fx__arena_space *fx__arena_space_of(fx__arena *a, fx__arena_local *l)
{
    if (FX_LIKELY(fx__arena_is_owner(a))) return &a->own;
    if (l != NULL && l->owner == (const void *)&fx__thread_token && l->space.cur != l->space.end)
        return &l->space;
    return NULL;
}

/* Did the len + 1 bytes of text just formatted at s->cur fit? Then they
 * are committed: rounded, they still fit (fx__arena_space). A format
 * error (len < 0) converts to a size above any space's, so one unsigned
 * comparison rejects it too. */
static inline bool fx__arena_commit_text(fx__arena_space *s, int len)
{
    if (FX_UNLIKELY((size_t)len >= (size_t)(s->end - s->cur))) return false;
    s->cur += ((size_t)len + FX__ARENA_ALIGN) & ~(size_t)(FX__ARENA_ALIGN - 1);
    return true;
}

static inline void *fx__arena_alloc(fx__arena *a, fx__arena_local *l, size_t n)
{
    if (FX_LIKELY(n - 1 < FX__ARENA_BIG)) {
        size_t r = (n + FX__ARENA_ALIGN - 1) & ~(size_t)(FX__ARENA_ALIGN - 1);
        if (FX_LIKELY(fx__arena_is_owner(a))) {
            if (FX_LIKELY((size_t)(a->own.end - a->own.cur) >= r)) {
                void *p = a->own.cur;
                a->own.cur += r;
                return p;
            }
        } else if (l != NULL && l->owner == (const void *)&fx__thread_token &&
                   (size_t)(l->space.end - l->space.cur) >= r) {
            void *p = l->space.cur;
            l->space.cur += r;
            return p;
        }
    }
    return fx__arena_alloc_slow(a, l, n);
}

/* printf into the arena, the slow ways; fx_sprintf's fast path formats
 * straight into fx__arena_space_of's space and comes here when there was
 * none or the text did not fit. _sized: len is the length vsnprintf
 * returned (< 0, a format error: NULL); allocates len + 1 bytes and
 * formats again. The other (any thread, any space): a calling thread's
 * context with its region used up takes a fresh region and formats into
 * it; any other measures first. NULL on OOM. */
char *fx__arena_vsprintf_sized(fx__arena *a, fx__arena_local *l, const char *fmt, va_list ap, int len);
char *fx__arena_vsprintf(fx__arena *a, fx__arena_local *l, const char *fmt, va_list ap);
/* Everything free again; the caller becomes the owner. No other thread may
 * be allocating. */
void  fx__arena_reset(fx__arena *a);
/* Makes sure the arena holds, unused, room for n more local regions of
 * other threads (FX__ARENA_LOCAL each) in its shared chunk and the chunks
 * kept for it, taking new chunks now if not: a parallel group calls it as
 * it starts, so the first run in which a worker allocates is not the one
 * that mallocs (that could be any run, long after warm-up). Takes mu.
 * Returns false on OOM (nothing else changes). */
bool  fx__arena_reserve_regions(fx__arena *a, size_t n);
void  fx__arena_destroy(fx__arena *a);

/* ------------------------------------------------------------ ctx.c */

typedef enum fx__rec_state {
    FX__REC_NONE,            /* 0: what gen.h's fx__ctx_clear_error writes */
    FX__REC_FRESH,           /* by fx_fail, not yet attributed */
    FX__REC_CLAIMED          /* attributed to a stage in this failure */
} fx__rec_state;

typedef struct fx__root fx__root;

struct fx_ctx {
    /* First, the head (fluxus/ctx.h): flags read by the inline fx_ctx_done
     * (CANCELED mirrors `canceled`, set under tree_mu; DEADLINE = dl_head
     * != NULL), then the error record and current span, owned by the
     * thread running on ctx, which the header's inline group start sets
     * aside: the same bytes under their own names and types. */
    union {
        struct fx__ctx_head head;
        struct {
            _Atomic unsigned char fx__head_flags;   /* = head.flags */
            fx_error *error;            /* NULL, in the arena, or &fallback */
            fx__rec_state rec_state;
            void *span;
        };
    };
    fx__root *root;                     /* immutable */
    fx_ctx *parent;                     /* immutable; NULL for a root */
    fx_ctx *children;                   /* tree_mu */
    fx_ctx *prev_sibling, *next_sibling;/* tree_mu */
    fx__waiter *waiters;                /* tree_mu: threads sleeping on this ctx */
    atomic_bool canceled;               /* written under tree_mu, read lock-free */

    const fx_clock *clock;              /* immutable; never NULL */
    /* Deadlines: a ctx is past its deadline when any ctx in the chain
     * dl_head, dl_head->dl_next, … has now(dl_clock) >= deadline. Ancestor
     * deadlines on the same clock are folded into the child's by clamping,
     * so the chain only grows when clocks differ. All immutable. */
    bool has_deadline;
    const fx_clock *dl_clock;
    int64_t deadline;
    const fx_ctx *dl_head;              /* self if has_deadline, else parent's dl_head */
    const fx_ctx *dl_next;              /* has_deadline only: next deadline not implied by ours */

    fx_error fallback;                  /* the record kept here when the arena is out of memory */

    /* A child's slice of the root's arena for the thread that made it when
     * that thread is not the arena's owner (a worker's task context). Its
     * thread writes it on every allocation: padded so that no other field,
     * and no neighbouring context's (another thread's), shares its line. */
    char fx__pad0[64];
    fx__arena_local local;
    char fx__pad1[64];

    fx_ctx *next_free;                  /* in root->free_ctx when recycled: tree_mu */
};

_Static_assert(offsetof(struct fx_ctx, error) == offsetof(struct fx__ctx_head, fx__error) &&
                   offsetof(struct fx_ctx, rec_state) == offsetof(struct fx__ctx_head, fx__rec_state) &&
                   offsetof(struct fx_ctx, span) == offsetof(struct fx__ctx_head, fx__span) &&
                   sizeof(fx__rec_state) == sizeof(int),
               "fx_ctx's record and span are where fluxus/ctx.h's head says");

struct fx__root {
    fx_ctx ctx;                         /* the root context itself */
    pthread_mutex_t tree_mu;            /* the tree: links, waiters, cancel, free list */
    fx__arena arena;
    fx_ctx *free_ctx;                   /* recycled child structs: tree_mu */
    size_t nfree;                       /* how many: tree_mu */
};

/* Registers w on ctx so that cancellation wakes it. Returns false, without
 * registering, when ctx is already cancelled. */
bool fx__ctx_add_waiter(fx_ctx *ctx, fx__waiter *w);
void fx__ctx_remove_waiter(fx_ctx *ctx, fx__waiter *w);

/* Makes sure ctx's root keeps at least n recycled child structs, so that
 * the next n children made in the tree call no malloc (the worker pool
 * reserves a context per task that can run at once). Best effort: stops
 * quietly on OOM. */
void fx__ctx_reserve(fx_ctx *ctx, size_t n);
/* A worker takes over a task context the owner made for it, or another
 * worker handed back (under the scheduler's lock): its arena region, and
 * what is left of it, is now the calling thread's. */
void fx__ctx_adopt(fx_ctx *ctx);
/* A parallel group's contexts under one lock of the tree: the group
 * context (fx_ctx_with_cancel(parent)) and up to *ntasks task contexts,
 * children of it whose current span is the group context's (as
 * fx__ctx_task_child makes them); then, like fx__ctx_reserve, at least
 * `reserve` recycled structs kept. Returns the group context, NULL on OOM;
 * *ntasks becomes the number of task contexts made (fewer on OOM). */
fx_ctx *fx__ctx_group_contexts(fx_ctx *parent, fx_ctx **tasks, int *ntasks, size_t reserve);
/* Frees what fx__ctx_group_contexts made, under one lock: the task
 * contexts tasks[0..ntasks-1] (each without children), then group. */
void fx__ctx_free_group(fx_ctx *group, fx_ctx *const *tasks, int ntasks);
/* fx_ctx_with_cancel(parent), but with `span` as its current span instead
 * of reading the parent's (see ctx.c). */
fx_ctx *fx__ctx_task_child(fx_ctx *parent, void *span);

/* ------------------------------------------------------------ sched.c */

/* The worker pool of one runtime. `mu` guards every field below it and
 * every fx_group's private fields (fluxus/sched.h). Lock order: mu before
 * a ctx tree's tree_mu (never the other way). */
typedef struct fx__sched {
    pthread_mutex_t mu;
    pthread_cond_t work;                /* workers wait here for a ready group */
    fx_group *ready_head, *ready_tail;  /* groups with a task allowed to start */
    int want;                           /* threads to start (>= 1) */
    int nthreads;                       /* started so far */
    pthread_t *threads;                 /* malloc'd at first start */
    bool started, stopping, detached;   /* detached: the default runtime's */
    int idle;                           /* workers blocked on `work` */
    int spinning;                       /* workers busy-waiting for a ready group */
    int busy;                           /* workers running a task */
    int ncpu;                           /* online CPUs at init: spinners leave one to callers */
    int64_t spin_ns;                    /* immutable: how long a thread spins, 0 = never */
    int owner_cpu;                      /* atomic, relaxed: the CPU of the last owner to
                                           publish a group (-1 = unknown), a hint for
                                           spinning workers (affinity.c) */
} fx__sched;

/* affinity.c. The CPU the calling thread runs on, -1 when unknown. */
int fx__current_cpu(void);
/* When the calling thread runs on `cpu` and its affinity mask allows
 * another CPU, moves it off `cpu` (a mask without it, then the old mask
 * back) and returns 1. Returns 0, having changed nothing and made no
 * system call, when the thread is not on `cpu`; -1 when it is but cannot
 * move (its mask allows no other CPU, or not on Linux). A spinning worker
 * calls it to leave the CPU of the owner whose work it waits for. */
int fx__step_aside(int cpu);

/* The default busy-wait of fx_runtime_config.spin_us. */
#define FX__SPIN_DEFAULT_NS 50000

void fx__sched_init(fx__sched *s, int threads, bool detached, int64_t spin_ns);
/* Stops and joins the workers (no group may be in flight). */
void fx__sched_destroy(fx__sched *s);

/* ------------------------------------------------------------ runtime.c */

fx__sched *fx__runtime_sched(fx_runtime *rt);

/* The start of every fx_runtime (runtime.c): what fx_observe_* read for
 * every observed component, so that they read it inline. Immutable after
 * the runtime is made; any thread. */
typedef struct fx__runtime_obs {
    struct fx__runtime_head head;      /* first: read by fx_runtime_observed */
    const fx_clock *clock;             /* never NULL */
    const fx_metrics *metrics;         /* NULL = none */
    const fx_tracer *tracer;           /* NULL = none */
} fx__runtime_obs;

static inline const fx__runtime_obs *fx__runtime_obs_of(const fx_runtime *rt)
{
    return (const fx__runtime_obs *)(const void *)rt;
}

static inline const fx_metrics *fx__runtime_metrics(const fx_runtime *rt)
{
    return fx__runtime_obs_of(rt)->metrics;
}

static inline const fx_tracer *fx__runtime_tracer(const fx_runtime *rt)
{
    return fx__runtime_obs_of(rt)->tracer;
}

/* ------------------------------------------------------------ record.c */

/* The record goes back to none (two stores: inline, as fx_ctx_reset and
 * every retried try pay it). */
static inline void fx__record_init(fx_ctx *ctx)
{
    ctx->error = NULL;
    ctx->rec_state = FX__REC_NONE;
}

#endif /* FLUXUS_RUNTIME_INTERNAL_H */
