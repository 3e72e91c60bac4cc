/* fluxus/sched.h — the runtime's worker pool and task groups.
 *
 * Every fx_runtime owns a fixed set of worker threads (fx_runtime_config
 * .threads, default the CPU count), started on the first spawn. Concurrent
 * combinators (fanout, map, router, mapreduce, ...) hand it work through a
 * task group that lives on the caller's stack:
 *
 *     fx_group g;
 *     int rc = fx_group_init(&g, rt, ctx, concurrency);   // 0 or FX_ENOMEM
 *     if (rc == 0) {
 *         for (i = 0; i < n; i++) {
 *             tasks[i].task = (fx_task){ .fn = run_one, .index = (int)i };
 *             fx_group_spawn(&g, &tasks[i].task);
 *         }
 *         rc = fx_group_wait(&g);       // 0, or the rc of the first failed task
 *         if (rc != 0) {
 *             const fx_task *bad = fx_group_failed(&g);   // bad->index, bad->error
 *             ...
 *         }
 *     }
 *
 * Tasks. An fx_task is embedded as the FIRST member of the caller's own,
 * typed task struct; the task function casts back to it, so no item ever
 * travels as void *:
 *
 *     typedef struct my_task { fx_task task; const Order *in; Receipt *out; } my_task;
 *     static int run_one(fx_task *t, fx_ctx *ctx) {
 *         my_task *m = (my_task *)(void *)t;
 *         return make_receipt(ctx, m->in, m->out);
 *     }
 *
 * Task storage belongs to the caller (stack, or the context arena) and must
 * stay valid until fx_group_wait returns. Spawning allocates nothing: the
 * queue links live inside fx_task and fx_group.
 *
 * Contexts and failure. fx_group_init makes a child of ctx, the group
 * context (fx_group_ctx). Tasks the owner runs (in fx_group_wait) run on
 * the group context itself, one after another: no other thread ever runs a
 * task on it. A task a worker runs gets its own child of the group context.
 * So concurrent tasks never share an error record or a current span (each
 * may call fx_fail and observe), and every task sees the group's
 * cancellation through fx_ctx_done. A task must not keep its ctx beyond
 * its return (the owner's next task runs on the same one). Child contexts
 * are recycled by their root: steady state does not malloc.
 * The first task to return non-zero is the group's failure: its error
 * record is copied into the arena (fx_task.error) and the group context is
 * cancelled, so the siblings' contexts become done at once (a stage that
 * polls fx_ctx_done stops early) and tasks that have not started yet start
 * on a done context. Every spawned task's function is called exactly once,
 * possibly on a done context: the task decides what that means for its
 * items (skip them, record them as failed, ...). Later failures are not
 * recorded.
 *
 * Work-helping. fx_group_wait does not just block: while the group has
 * queued tasks that the concurrency limit allows to start, the waiting
 * thread runs them itself. A waiter only ever runs tasks of its own group,
 * so nesting (a map inside a fanout inside a map, on any number of
 * threads, even when every worker is itself waiting) cannot deadlock: a
 * waiter blocks only while all its remaining tasks are running on other
 * threads, and those make progress by the same rule.
 *
 * Concurrency. At most `concurrency` tasks of one group run at once,
 * counting the one the waiter helps with (exactly: a queued task starts
 * only while fewer than that are running). The owner holds one of those
 * slots: workers start a group's task only while fewer than concurrency - 1
 * of its tasks run, so `concurrency: 1` runs every task on the calling
 * thread with no hand-off at all. concurrency <= 0 = unlimited (bounded by
 * the number of workers + the waiter).
 *
 * Hand-off. fx_group_spawn only queues (before fx_group_wait, without even
 * a lock: workers see a group only once its owner waits); the owner, when it
 * starts its first task in fx_group_wait, wakes one idle worker if a worker
 * may start another task, and each worker that starts one wakes the next
 * the same way. The owner is woken only when it can start a task or
 * return. Tiny groups therefore often finish on the caller before a worker
 * is awake; the woken worker then finds nothing and sleeps again.
 *
 * Threads. fx_group_init/spawn/wait/failed are called by the thread that
 * owns the group (the one running on ctx); fx_group_spawn may also be
 * called by a task of the group while the owner waits. fx_group_cancel is
 * any thread. Task functions run on worker threads or on the waiter.
 *
 * Runtime lifetime. Threads of fx_runtime_new() start on the first spawn
 * and are joined by fx_runtime_free(), which must not be called while a
 * group of that runtime is in flight. The default runtime's threads start
 * lazily too, are detached and never joined: they sleep on a condition
 * variable between tasks, so a process may exit at any time when it is not
 * in the middle of a pipeline call. */
#ifndef FLUXUS_SCHED_H
#define FLUXUS_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <fluxus/error.h>

typedef struct fx_ctx fx_ctx;
typedef struct fx_runtime fx_runtime;
typedef struct fx_task fx_task;
typedef struct fx_group fx_group;
typedef struct fx_group_site fx_group_site;

/* A task function: runs the task on ctx (the task's own child of the
 * group context) and returns 0 or an error code, with details in ctx's
 * error record (fx_fail, or the gen.h functions). */
typedef int (*fx_task_fn)(fx_task *task, fx_ctx *ctx);

struct fx_task {
    fx_task_fn fn;              /* set by the caller before spawn */
    int index;                  /* the caller's (stage, item, route, ...); the task
                                   function may update it, e.g. to the item that failed */
    /* Set by fx_group_wait for the group's first failure only (see
     * fx_group_failed); 0 / NULL otherwise. */
    int rc;
    const fx_error *error;      /* copy of the task ctx's record, in the arena; NULL on OOM */
    /* Private to the scheduler. */
    fx_task *fx__next;
    fx_ctx *fx__ctx;            /* a worker's: the context made for it in advance, or NULL */
};

/* fx_group's mode: on the workers, or on the caller alone (private). */
enum { FX__GROUP_MODE_PARALLEL, FX__GROUP_MODE_INLINE };

/* Lives on the caller's stack between fx_group_init and fx_group_wait.
 * Every field is private: guarded by the runtime's scheduler lock. */
struct fx_group {
    struct fx__group_private {
        struct fx__sched *sched;
        fx_ctx *ctx;                     /* the group context */
        void *span;                      /* its current span at init: worker tasks' parent span */
        int limit;                       /* > 0; INT_MAX = unlimited */
        int running;                     /* tasks started and not finished */
        int on_workers;                  /* of those, on worker threads */
        size_t outstanding;              /* spawned and not finished */
        fx_task *head, *tail;            /* queued, not started */
        fx_group *ready_prev, *ready_next;
        bool ready;                      /* in the runtime's ready list */
        bool published;                  /* fx_group_wait has begun: workers may see it */
        fx_ctx *spare[8];                /* contexts made in advance for worker tasks */
        int nspare, nidle;               /* how many; spare[0..nidle) are free (lock) */
        struct fx__group_waiter *waiter; /* the owner, while blocked in wait */
        int mode;                        /* FX__GROUP_MODE_* (sched.c) */
        fx_ctx *parent;                  /* the ctx given to init */
        fx_group_site *site;             /* NULL = no adaptive choice */
        size_t units;                    /* work units of this run (site's estimate) */
        size_t spawned;                  /* tasks spawned */
        int64_t start_ns;                /* a timed run: when it started (real clock) */
        bool cancel_req;                 /* atomic: cancelled before an inline group had a ctx */
        bool timed;                      /* a sampled run: its time is noted in site */
        int explore;                     /* ... and why (sched.c) */
        fx_error *saved_error;           /* INLINE: the parent's record, put back after */
        int saved_state;
        unsigned events;                 /* bumped (atomically, under the lock) when
                                            the owner may have something to do:
                                            a spinning owner watches it */
        fx_task *failed;                 /* the first task that returned non-zero */
    } fx__p;
};

/* A call site that starts groups again and again (a map or fanout in a
 * pipeline instance): the scheduler remembers there how long the site's
 * groups take on the calling thread alone and on the workers, and runs
 * each group the way that was faster — a cheap one on the caller alone (no
 * lock, no group context, no worker woken), because handing a task of a
 * few hundred nanoseconds to another core costs more than running it.
 * Zero-initialize it and keep it as long as the site exists; any number of
 * threads may use one site at once (its fields are relaxed atomics, and
 * only hints: a stale value costs speed, never correctness). Private. */
struct fx_group_site {
    unsigned fx__runs;          /* groups started here */
    unsigned fx__state;         /* which times are known, strikes, exploring (sched.c) */
    unsigned fx__cost_ns;       /* the last run measured on the caller alone */
    unsigned fx__units;         /* ... and its work units */
    unsigned fx__par_ns;        /* the last run measured on the workers */
    unsigned fx__par_units;     /* ... and its work units */
    unsigned fx__inline_max;    /* groups of up to this many units run on the caller */
    unsigned fx__inline_fit;    /* ... and up to this many may: worth a timed try */
    unsigned fx__explore_min;   /* from this many the workers may win: worth a try */
};

/* Starts a group of tasks on rt (NULL = the default runtime) under ctx:
 * makes the group context (a child of ctx). concurrency <= 0 = unlimited.
 * Returns 0, or FX_ENOMEM (the group is then unusable: do not spawn or
 * wait). Starts rt's worker threads if they are not running yet. */
int fx_group_init(fx_group *g, fx_runtime *rt, fx_ctx *ctx, int concurrency);

/* fx_group_init for a group started at `site` (NULL = like fx_group_init)
 * with `units` units of work (items of a map, stages of a fanout; 0 =
 * unknown), which lets the scheduler run it on the calling thread alone:
 *  - a group with concurrency 1, or on a runtime without workers, always
 *    runs on the caller;
 *  - a site's first group runs on the workers, timed on the real clock;
 *    once a parallel run ends within FX_GROUP_INLINE_NS, one group runs
 *    on the caller, timed too. From then on each group runs the way whose
 *    last timed run, scaled by the units, was faster, the caller alone
 *    only while that stays within FX_GROUP_INLINE_NS. On the caller, tasks
 *    run in spawn order, with no lock and, until a task fails, on ctx
 *    itself (its error record is set aside and put back).
 *  - the chosen way is timed again every 16th run (on the workers) or
 *    64th (on the caller), the other way now and then while it may win
 *    (every 64th run or fewer, so that trying costs about 1%, backing off
 *    to every 4096th while it keeps losing; the caller is tried while its
 *    last time is within twice FX_GROUP_INLINE_NS, so that one slow sample
 *    does not keep a site off it for good); a timed run more
 *    than twice as slow as the last one counts only when the next timed
 *    run of that way confirms it (one preemption must not move a site).
 * A group run on the caller calls every task exactly once; after the first
 * failure the rest run on a cancelled group context, as always. Because
 * concurrency is a maximum, tasks of a group must not wait for one
 * another. fx_group_cancel from another thread reaches such a group at its
 * next task. */
int fx_group_init_at(fx_group *g, fx_runtime *rt, fx_ctx *ctx, int concurrency,
                     fx_group_site *site, size_t units);

/* After fx_group_init_at: true when g runs on its caller alone (see
 * above). The caller may then do the group's work itself, in order,
 * without spawning anything (the tasks it would have spawned must not
 * wait for one another), and end the group with fx_group_end_inline
 * instead of fx_group_wait. Owner thread. */
static inline bool fx_group_is_inline(const fx_group *g)
{
    return g->fx__p.mode == FX__GROUP_MODE_INLINE;   /* inline: a tiny group's work is a few ns */
}

/* Ends an inline group whose work its caller did itself, rc being 0 or
 * the first failure's code (the work stopped there). On 0, ctx's earlier
 * error record is put back and NULL returned; else the record ctx holds
 * for rc (or a bare {rc}) is copied into the arena and returned, for the
 * caller to report as the cause. Owner thread; g is done afterwards. */
const fx_error *fx_group_end_inline(fx_group *g, int rc);

/* The work a site's group may take on the calling thread alone. */
#define FX_GROUP_INLINE_NS 4000

/* ---- private: the inline start and end of a settled site's group, for
 * generated code (and fx_group_init_at itself). Not API. */

/* The bits of fx_group_site.fx__state this reads (runtime/sched.c has the
 * rest): under them, with no burst going on, the full choice puts a group
 * of up to fx__inline_max units on the caller, untimed, on every run r
 * with r % 64 outside {0, 63} (0: a timed run; 63: maybe a try of the
 * workers, whose intervals are all multiples of 64). */
enum {
    FX__SITE_INLINE_KNOWN = 1u << 0,
    FX__SITE_PAR_KNOWN = 1u << 1,
    FX__SITE_INLINE_STRIKE = 1u << 2,
    FX__SITE_DECIDED = 1u << 4,
    FX__SITE_BURST_SHIFT = 12,
    FX__SITE_FAST_MASK = FX__SITE_INLINE_KNOWN | FX__SITE_PAR_KNOWN | FX__SITE_DECIDED |
                         FX__SITE_INLINE_STRIKE | 3u << FX__SITE_BURST_SHIFT,
    FX__SITE_FAST_BITS = FX__SITE_INLINE_KNOWN | FX__SITE_PAR_KNOWN | FX__SITE_DECIDED,
};

#ifndef __cplusplus
#include <limits.h>
#include <fluxus/ctx.h>

/* What every group reads, written by every start (fx_group_init_at's too). */
static inline void fx__group_init_common(struct fx__group_private *p, fx_ctx *ctx, int concurrency,
                                         fx_group_site *site, size_t units)
{
    p->limit = concurrency > 0 ? concurrency : INT_MAX;
    p->ctx = NULL;
    p->outstanding = p->spawned = 0;
    p->head = p->tail = NULL;
    p->failed = NULL;
    p->parent = ctx;
    p->site = site;
    p->units = units;
    p->cancel_req = false;
}

/* An inline group runs its tasks on ctx itself until one fails: ctx's
 * record is the group's business meanwhile, as a fresh group context's
 * would be; its end puts the record back. */
static inline void fx__group_set_aside(struct fx__group_private *p, fx_ctx *ctx)
{
    struct fx__ctx_head *h = (struct fx__ctx_head *)(void *)ctx;
    p->span = h->fx__span;
    p->saved_error = (fx_error *)h->fx__error;
    p->saved_state = h->fx__rec_state;
    h->fx__error = NULL;
    h->fx__rec_state = 0;
}

/* Is this run of g one its site times (every 64th on the caller, every
 * 16th on the workers, and the tries of the other way)? Generated code
 * that can do a cheap group's work more than one way does it, on a timed
 * run, the way the site compares (mapreduce: the map phase alone). */
static inline bool fx__group_is_timed(const fx_group *g)
{
    return g->fx__p.timed;
}

/* The end of an inline group that did not fail: the caller's record back. */
static inline void fx__group_put_back(struct fx__group_private *p)
{
    struct fx__ctx_head *h = (struct fx__ctx_head *)(void *)p->parent;
    h->fx__error = p->saved_error;
    h->fx__rec_state = p->saved_state;
}

/* Starts g exactly as fx_group_init_at(g, any rt, ctx, concurrency, site,
 * units) would when that needs no scheduler: the site has settled on the
 * caller for this many units and this run is neither timed nor a try of
 * the workers. Then g is an inline group (ctx's record set aside) and the
 * result is true; else nothing is written and the caller calls
 * fx_group_init_at. ctx and site non-NULL. Owner thread. */
static inline bool fx__group_init_fast(fx_group *g, fx_ctx *ctx, int concurrency, fx_group_site *site,
                                       size_t units)
{
    unsigned st = __atomic_load_n(&site->fx__state, __ATOMIC_RELAXED);
    unsigned run = __atomic_load_n(&site->fx__runs, __ATOMIC_RELAXED);
    unsigned u = units == 0 ? 1u : units > UINT_MAX ? UINT_MAX : (unsigned)units;
    if ((st & FX__SITE_FAST_MASK) != FX__SITE_FAST_BITS || (run & 63u) - 1u >= 62u ||
        u > __atomic_load_n(&site->fx__inline_max, __ATOMIC_RELAXED))
        return false;
    __atomic_store_n(&site->fx__runs, run + 1, __ATOMIC_RELAXED);   /* as the full choice counts */
    struct fx__group_private *p = &g->fx__p;
    p->sched = NULL;   /* read by parallel groups only */
    fx__group_init_common(p, ctx, concurrency, site, units);
    p->mode = FX__GROUP_MODE_INLINE;
    p->explore = 0;   /* sched.c's EXPLORE_NO */
    p->timed = false;
    fx__group_set_aside(p, ctx);
    return true;
}

/* fx_group_end_inline, with its common case inline: no failure, no timing,
 * no group context made meanwhile (the caller's record put back). */
static inline const fx_error *fx__group_end_fast(fx_group *g, int rc)
{
    struct fx__group_private *p = &g->fx__p;
    if (rc == 0 && !p->timed && p->ctx == NULL) {
        fx__group_put_back(p);
        return NULL;
    }
    return fx_group_end_inline(g, rc);
}
#endif

/* Queues t (t->fn set) to run on a worker, or on the waiter. Never blocks,
 * never allocates. t must stay valid and untouched (except by its own
 * function) until fx_group_wait returns. */
void fx_group_spawn(fx_group *g, fx_task *t);

/* Runs queued tasks on this thread while the concurrency limit allows, and
 * blocks until every spawned task has finished. Frees the group context.
 * Returns 0 when every task returned 0, else the rc of the first task that
 * failed (fx_group_failed). After it returns the group may be initialized
 * again; results written by tasks are visible to the caller. */
int fx_group_wait(fx_group *g);

/* After fx_group_wait: the first task that returned non-zero (its index,
 * rc and error), or NULL when none did. */
const fx_task *fx_group_failed(const fx_group *g);

/* The group context (a child of the ctx given to fx_group_init); valid
 * until fx_group_wait returns. A group running on the caller alone
 * (fx_group_init_at) has none until a task fails: this is then the ctx
 * given to init. */
fx_ctx *fx_group_ctx(const fx_group *g);

/* Cancels the group context: running tasks see fx_ctx_done, queued tasks
 * start on a done context. Any thread, until fx_group_wait returns. */
void fx_group_cancel(fx_group *g);

/* A shared counter from which the tasks of a group take work items, so a
 * map over n items runs as min(n, concurrency) tasks that each loop
 * `while ((i = fx_cursor_take(&c)) < n)`. Zero-initialize it
 * (fx_cursor c = {0};). Lock-free; any thread. */
typedef struct fx_cursor {
    size_t fx__next;            /* private: accessed atomically */
    bool fx__solo;              /* private: only the owner takes (plain counter) */
} fx_cursor;

/* Ties c to g, the group whose tasks take from it, and returns how many
 * such tasks are worth spawning: `want`, or 1 when g runs on its caller
 * alone (fx_group_init_at) — that one task then takes every item, the
 * cursor counting without atomics, and a failure leaves the rest
 * untaken, exactly as tasks started on the cancelled group context would
 * (they would find their context done). After fx_group_init_at, before
 * the first spawn; owner thread. */
size_t fx_cursor_watch(fx_cursor *c, fx_group *g, size_t want);

/* Returns the cursor's value and advances it by one, atomically. */
size_t fx_cursor_take(fx_cursor *c);

/* Takes a chunk [lo, *end) of the items [0, n) and returns lo (n and
 * *end = n when none is left): guided self-scheduling (as OpenMP's
 * `guided`), each take grabs max(1, remaining / parts) items, so `parts`
 * takers (the group's tasks) share the items in O(parts * log n) takes,
 * with chunks that shrink towards the end to balance the load. Every take
 * moves the cursor's line between cores, so few takes matter for small
 * groups; the price is a first chunk of n / parts items, which leaves a
 * taker with more than its share when the costly items all come first.
 * Lock-free; any thread. */
size_t fx_cursor_take_chunk(fx_cursor *c, size_t n, size_t parts, size_t *end);

#endif /* FLUXUS_SCHED_H */
