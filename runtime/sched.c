/* sched.c — the worker pool of a runtime and task groups (fluxus/sched.h).
 *
 * Design. One mutex per runtime (fx__sched.mu) guards the pool and every
 * group's private fields. Tasks queue inside their group (intrusive FIFO
 * through fx_task.fx__next); a group that has a queued task and fewer than
 * `limit` running tasks is "ready" and sits in the runtime's ready list
 * (intrusive, through the group). Workers take the first ready group, start
 * its first queued task and move the group to the back of the list, so
 * groups share the workers round-robin. The owner of a group, in
 * fx_group_wait, starts its own group's queued tasks itself while the
 * limit allows (work-helping), on the group context, and otherwise sleeps
 * on a condition variable of its own stack frame until it can start a task
 * or every task has finished. The owner holds one of the `limit` slots, so
 * a group is ready for workers while fewer than limit - 1 of its tasks run
 * on workers.
 * Spawning before fx_group_wait takes no lock (no worker can see the group
 * yet); fx_group_wait publishes the group and takes the owner's first task
 * under one lock, which wakes one idle worker, and every take that leaves
 * the group ready wakes the next (a chain).
 *
 * The end. The finish that leaves no task outstanding marks the group's
 * `events` word done as its last access to the group; an owner spinning
 * for it returns without taking the lock again (one cache-line round trip
 * less at the end of every parallel run).
 *
 * Spinning. Waking a thread blocked on a condition variable costs tens of
 * microseconds on a virtual machine (the idle vCPU has to be scheduled
 * again), as much as a whole small map. So a worker that runs out of work,
 * and an owner waiting for its group's last tasks, first busy-wait for up
 * to spin_ns (fx_runtime_config.spin_us), watching one word without the
 * lock, and only then sleep. A spinning worker is not "idle": nobody
 * signals it, it sees the ready list change by itself. The lock-free reads
 * are only hints; every decision is taken again under the lock. A spinner
 * that finds itself on the CPU of the last owner to publish a group steps
 * off it (affinity.c): a kernel that packs threads onto one vCPU would
 * otherwise keep it there, running only when the owner's slice ends.
 *
 * Running on the caller. A group whose concurrency is 1, or one started at
 * a site (fx_group_init_at) where that was faster, runs INLINE: entirely on
 * its owner, in spawn order, with no lock, no worker and no group context
 * until a task fails (the tasks run on the caller's ctx, whose error record
 * is set aside meanwhile). Every other group is PARALLEL. A site learns from
 * sampled runs, timed on the real clock: its first group runs in parallel;
 * if that ended within FX_GROUP_INLINE_NS, one runs inline; from then on
 * each group runs the way whose last timed run (scaled by the units) was
 * faster, inline only within the budget. The preferred way is re-timed
 * every 16th (parallel) or 64th (inline) run, the other every 64th, backing
 * off to every 4096th while it keeps losing (and never so often that the
 * tries cost more than about 1%). All the arithmetic happens
 * when a timed run ends (site_decide): choosing is a load and a compare.
 *
 * Nothing here allocates after the first spawn on a runtime (which starts
 * its threads): tasks, groups and the waiter's condition variable all live
 * in storage of the caller; task contexts are recycled by their root. */
#include "internal.h"

#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The owner of a group while it sleeps in fx_group_wait (its stack). */
struct fx__group_waiter {
    pthread_cond_t cond;
};

typedef struct fx__group_private grp;

enum { FX__GROUP_PARALLEL = FX__GROUP_MODE_PARALLEL, FX__GROUP_INLINE = FX__GROUP_MODE_INLINE };

/* fx_group_site.fx__state: which timed runs the site has seen, how far its
 * exploration of the way it does not prefer has backed off, and how many
 * runs of a parallel burst are left. A timed run more than twice as slow
 * (per unit) as the last one of its way is a strike: kept aside until the
 * next timed run of that way confirms it (one preemption or page fault
 * must not move a site). Parallel runs are learnt in bursts of
 * SITE_BURST_RUNS timed runs, keeping the fastest, each taken when a
 * worker is spinning as the group starts: after a while on the caller the
 * workers sleep, and waking one takes tens of microseconds on a virtual
 * machine, longer than a whole burst of small groups. Until a worker
 * spins (at most SITE_WARM_MAX runs), the burst's groups run in parallel
 * untimed: the first of them wakes the workers.
 * Exploring costs what the losing way loses: the interval is kept long
 * enough (the floor) that this stays near 1% of the site's time. */
enum {
    SITE_INLINE_KNOWN = FX__SITE_INLINE_KNOWN,   /* fx__cost_ns / fx__units: a run on the caller */
    SITE_PAR_KNOWN = FX__SITE_PAR_KNOWN,         /* fx__par_ns / fx__par_units: a run on the workers */
    SITE_INLINE_STRIKE = FX__SITE_INLINE_STRIKE, /* the last inline sample was slow, not taken */
    SITE_PAR_STRIKE = 1u << 3,
    SITE_DECIDED = FX__SITE_DECIDED,             /* the fx__inline_* / fx__explore_min fields are current */
    SITE_BACKOFF_SHIFT = 8,         /* bits 8..11: explore every 64 << n runs */
    SITE_BACKOFF_MAX = 6,           /* every 4096th at most */
    SITE_BURST_SHIFT = FX__SITE_BURST_SHIFT,   /* bits 12..13: timed parallel runs left in a burst */
    SITE_BURST_RUNS = 3,
    SITE_FLOOR_SHIFT = 14,          /* bits 14..16: the back-off never below this */
    SITE_SAMPLED = 1u << 5,         /* this burst has taken its first timed run */
    SITE_WARM_SHIFT = 17,           /* bits 17..22: untimed runs of this burst so far */
    SITE_WARM_MAX = 63,
    SITE_EVERY_INLINE = 64,         /* the preferred way is timed this often */
    SITE_EVERY_PARALLEL = 16,
};
_Static_assert((SITE_EVERY_INLINE & (SITE_EVERY_INLINE - 1)) == 0 &&
                   (SITE_EVERY_PARALLEL & (SITE_EVERY_PARALLEL - 1)) == 0,
               "choose_mode samples with masks: powers of 2");

_Static_assert(SITE_BURST_RUNS <= 3 && SITE_FLOOR_SHIFT == SITE_BURST_SHIFT + 2,
               "a burst's count fits the two bits fx__group_init_fast masks");

/* What a timed run of a group is to its site (grp.explore). */
enum {
    EXPLORE_NO,                     /* the preferred way, or a probation run */
    EXPLORE_ONE,                    /* one inline run of a site that prefers parallel */
    EXPLORE_FIRST,                  /* the first run of a parallel burst: replaces */
    EXPLORE_MORE,                   /* a later one: kept if faster */
};
_Static_assert(EXPLORE_NO == 0, "fx__group_init_fast writes 0");

/* ------------------------------------------------------------ ready list (mu held) */

static void ready_push(fx__sched *s, fx_group *g)
{
    grp *p = &g->fx__p;
    p->ready = true;
    p->ready_next = NULL;
    p->ready_prev = s->ready_tail;
    if (s->ready_tail != NULL) s->ready_tail->fx__p.ready_next = g;
    else __atomic_store_n(&s->ready_head, g, __ATOMIC_RELAXED);   /* spinners read it */
    s->ready_tail = g;
}

static void ready_remove(fx__sched *s, fx_group *g)
{
    grp *p = &g->fx__p;
    if (p->ready_prev != NULL) p->ready_prev->fx__p.ready_next = p->ready_next;
    else __atomic_store_n(&s->ready_head, p->ready_next, __ATOMIC_RELAXED);
    if (p->ready_next != NULL) p->ready_next->fx__p.ready_prev = p->ready_prev;
    else s->ready_tail = p->ready_prev;
    p->ready = false;
    p->ready_prev = p->ready_next = NULL;
}

/* May a worker start a task of g now? The owner holds one of the `limit`
 * slots (it runs tasks itself in fx_group_wait), so workers may run at most
 * limit - 1 of a group's tasks at once. */
static bool worker_may_start(const grp *p)
{
    return p->head != NULL && p->on_workers < p->limit - 1;
}

/* May the owner start a task of g now? */
static bool owner_may_start(const grp *p)
{
    return p->head != NULL && p->running < p->limit;
}

/* Puts g in or out of the ready list as its state says; a group that stays
 * ready goes to the back (round-robin). With `wake`, wakes one idle worker
 * when g is ready (that worker, taking a task, wakes the next: a chain, so
 * no thread signals more than once per task it starts). */
static void ready_update(fx__sched *s, fx_group *g, bool wake)
{
    grp *p = &g->fx__p;
    bool want = worker_may_start(p);
    if (p->ready) ready_remove(s, g);
    if (want) {
        ready_push(s, g);
        /* A spinning worker will see the list change by itself. */
        if (wake && s->idle > 0 && s->spinning == 0) FX__MUST(pthread_cond_signal(&s->work));
    }
}

/* grp.events: bumped whenever the owner may have something to do; this
 * bit is set with the bump that leaves no task outstanding. */
#define EVENTS_DONE 0x80000000u

/* Wakes g's owner if it sleeps in fx_group_wait and now has something to
 * do: start a task, or return (mu held). The store to `events` is the last
 * access to g: an owner spinning outside the lock that sees EVENTS_DONE
 * returns at once, and g (its stack) is gone. A sleeping owner cannot
 * return before it has mu again, so its condition variable is still
 * there to signal. */
static void wake_owner(grp *p)
{
    struct fx__group_waiter *w = p->waiter;
    bool done = p->outstanding == 0;
    bool wake = w != NULL && (done || owner_may_start(p));
    unsigned next = ((p->events + 1) & ~EVENTS_DONE) | (done ? EVENTS_DONE : 0u);
    __atomic_store_n(&p->events, next, __ATOMIC_RELEASE);   /* a spinning owner */
    if (wake) FX__MUST(pthread_cond_signal(&w->cond));
}

/* ------------------------------------------------------------ running a task */

/* Pops g's first queued task and counts it as running (mu held). */
static fx_task *take(fx__sched *s, fx_group *g, bool owner)
{
    grp *p = &g->fx__p;
    fx_task *t = p->head;
    p->head = t->fx__next;
    if (p->head == NULL) p->tail = NULL;
    t->fx__next = NULL;
    t->fx__ctx = !owner && p->nidle > 0 ? p->spare[--p->nidle] : NULL;
    p->running++;
    if (!owner) p->on_workers++;
    ready_update(s, g, true);
    return t;
}

/* A copy of ctx's record when it describes rc, else a bare {rc}; in the
 * arena of `arena`. NULL on OOM. */
static const fx_error *snapshot(fx_ctx *arena, const fx_ctx *ctx, int rc)
{
    fx_error *copy = fx_alloc(arena, sizeof *copy);
    if (copy == NULL) return NULL;
    const fx_error *e = ctx != NULL ? fx_ctx_error(ctx) : NULL;
    if (e != NULL && e->code == rc) *copy = *e;
    else *copy = (fx_error){ .code = rc, .index = -1 };
    return copy;
}

/* Runs t (mu not held): on the group context itself when the owner runs
 * it (the owner is the only thread that ever runs tasks on the group
 * context, one after another, like the stages of a chain), else on a fresh
 * child of the group context, so that concurrent tasks never share an
 * error record or a current span. Both see the group's cancellation
 * through fx_ctx_done. The first failure of the group is recorded in t and
 * cancels the group context. */
static void run_task(fx__sched *s, fx_group *g, fx_task *t, bool owner)
{
    grp *p = &g->fx__p;
    /* A worker's context takes the span the group started under: the
     * owner may meanwhile have moved the group context's current span to a
     * task of its own (and back), on its own stack. */
    fx_ctx *c = p->ctx;
    if (!owner && t->fx__ctx != NULL) {
        c = t->fx__ctx;
        fx__ctx_adopt(c);   /* made by the owner: its region is ours now */
    } else if (!owner) {
        c = fx__ctx_task_child(p->ctx, p->span);
    }
    int rc = c != NULL ? t->fn(t, c) : FX_ENOMEM;
    if (rc != 0) {
        FX__MUST(pthread_mutex_lock(&s->mu));
        bool first = p->failed == NULL;
        if (first) p->failed = t;
        FX__MUST(pthread_mutex_unlock(&s->mu));
        if (first) {
            t->rc = rc;
            t->error = snapshot(p->ctx, c, rc);
            fx_ctx_cancel(p->ctx);
        }
    }
    if (owner) return;
    if (t->fx__ctx == NULL) {
        fx_ctx_free(c);
    } else {   /* ready for the group's next worker task; wait frees it */
        fx__record_init(c);
        c->span = p->span;
    }
}

/* t of g has returned (mu held). Once outstanding reaches 0 the group may
 * vanish as soon as mu is released: nothing touches g after this. */
static void finish(fx__sched *s, fx_group *g, bool owner)
{
    grp *p = &g->fx__p;
    p->running--;
    if (!owner) p->on_workers--;
    p->outstanding--;
    ready_update(s, g, true);
    wake_owner(p);
}

/* ------------------------------------------------------------ spinning */

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* A worker's stepping aside (affinity.c), across its spins. */
enum { STEP_MAY, STEP_DONE_THIS_SPIN, STEP_NEVER };

/* Busy-waits (mu not held) for up to spin_ns: until the ready list is not
 * empty (a worker), or until *events differs from `seen` (an owner); true
 * when it saw that. Spins on pause instructions, yields the CPU to runnable
 * threads every few microseconds and reads the real clock only then: the
 * runtime's own clock may be a fake one. A worker also steps off its
 * owner's CPU (`step`, see below). */
static bool spin_until_ready(const fx__sched *s, int *step)
{
    const fx_clock *real = fx_clock_real();
    int64_t until = fx_clock_now(real) + s->spin_ns;
    if (*step == STEP_DONE_THIS_SPIN) *step = STEP_MAY;
    for (;;) {
        for (int i = 0; i < 256; i++) {
            if (__atomic_load_n(&s->ready_head, __ATOMIC_RELAXED) != NULL) return true;
            cpu_relax();
        }
        /* A spinner on the CPU of the owner that hands it work only runs
         * when that owner's time slice ends (affinity.c): it steps aside,
         * once per spin (a kernel that packs threads may move it back), and
         * never again once that proved impossible. */
        if (*step == STEP_MAY) {
            int moved = fx__step_aside(__atomic_load_n(&s->owner_cpu, __ATOMIC_RELAXED));
            if (moved != 0) *step = moved > 0 ? STEP_DONE_THIS_SPIN : STEP_NEVER;
        }
        if (fx_clock_now(real) >= until) return false;
        sched_yield();
    }
}

static bool spin_until_event(const fx__sched *s, const unsigned *events, unsigned seen)
{
    const fx_clock *real = fx_clock_real();
    int64_t until = fx_clock_now(real) + s->spin_ns;
    for (;;) {
        for (int i = 0; i < 256; i++) {
            if (__atomic_load_n(events, __ATOMIC_ACQUIRE) != seen) return true;
            cpu_relax();
        }
        if (fx_clock_now(real) >= until) return false;
        sched_yield();
    }
}

/* ------------------------------------------------------------ workers */

static void *worker_main(void *arg)
{
    fx__sched *s = arg;
    bool may_spin = s->spin_ns > 0;
    int step = STEP_MAY;
    FX__MUST(pthread_mutex_lock(&s->mu));
    for (;;) {
        fx_group *g = s->ready_head;
        if (g == NULL) {
            if (s->stopping) break;
            if (may_spin && s->spinning + s->busy + 1 < s->ncpu) {
                /* once per lack of work; then look again under mu */
                may_spin = false;
                __atomic_store_n(&s->spinning, s->spinning + 1, __ATOMIC_RELAXED);   /* sites read it */
                FX__MUST(pthread_mutex_unlock(&s->mu));
                spin_until_ready(s, &step);
                FX__MUST(pthread_mutex_lock(&s->mu));
                __atomic_store_n(&s->spinning, s->spinning - 1, __ATOMIC_RELAXED);
                continue;
            }
            s->idle++;
            FX__MUST(pthread_cond_wait(&s->work, &s->mu));
            s->idle--;
            may_spin = s->spin_ns > 0;
            continue;
        }
        may_spin = s->spin_ns > 0;
        fx_task *t = take(s, g, false);
        s->busy++;
        FX__MUST(pthread_mutex_unlock(&s->mu));
        run_task(s, g, t, false);
        FX__MUST(pthread_mutex_lock(&s->mu));
        s->busy--;
        if (t->fx__ctx != NULL) g->fx__p.spare[g->fx__p.nidle++] = t->fx__ctx;
        finish(s, g, false);
    }
    FX__MUST(pthread_mutex_unlock(&s->mu));
    return NULL;
}

/* Starts the workers (mu held). Workers block every signal, so that
 * process-directed signals go to the application's threads. A thread that
 * cannot be created is simply missing: waiters run their own tasks, so the
 * pool stays correct with any number of workers, even none. */
static void start_threads(fx__sched *s)
{
    s->threads = malloc(sizeof *s->threads * (size_t)s->want);
    if (s->threads == NULL) return;
    sigset_t all, old;
    sigfillset(&all);
    FX__MUST(pthread_sigmask(SIG_SETMASK, &all, &old));
    while (s->nthreads < s->want) {
        if (pthread_create(&s->threads[s->nthreads], NULL, worker_main, s) != 0) break;
        if (s->detached) FX__MUST(pthread_detach(s->threads[s->nthreads]));
        s->nthreads++;
    }
    FX__MUST(pthread_sigmask(SIG_SETMASK, &old, NULL));
}

/* Starts the threads on first use; then s->nthreads is immutable, so later
 * calls read it without the lock. */
static int threads_of(fx__sched *s)
{
    if (FX_UNLIKELY(!__atomic_load_n(&s->started, __ATOMIC_ACQUIRE))) {
        FX__MUST(pthread_mutex_lock(&s->mu));
        if (!s->started) {
            start_threads(s);
            __atomic_store_n(&s->started, true, __ATOMIC_RELEASE);
        }
        FX__MUST(pthread_mutex_unlock(&s->mu));
    }
    return s->nthreads;
}

void fx__sched_init(fx__sched *s, int threads, bool detached, int64_t spin_ns)
{
    memset(s, 0, sizeof *s);
    s->spin_ns = spin_ns > 0 ? spin_ns : 0;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    s->ncpu = ncpu < 1 ? 1 : ncpu > 4096 ? 4096 : (int)ncpu;
    FX__MUST(pthread_mutex_init(&s->mu, NULL));
    FX__MUST(pthread_cond_init(&s->work, NULL));
    s->want = threads < 1 ? 1 : threads;
    s->detached = detached;
    s->owner_cpu = -1;
}

void fx__sched_destroy(fx__sched *s)
{
    FX__MUST(pthread_mutex_lock(&s->mu));
    s->stopping = true;
    FX__MUST(pthread_cond_broadcast(&s->work));
    FX__MUST(pthread_mutex_unlock(&s->mu));
    if (!s->detached)
        for (int i = 0; i < s->nthreads; i++) FX__MUST(pthread_join(s->threads[i], NULL));
    free(s->threads);
    FX__MUST(pthread_cond_destroy(&s->work));
    FX__MUST(pthread_mutex_destroy(&s->mu));
}

/* ------------------------------------------------------------ groups */

static int64_t real_now(void) { return fx_clock_now(fx_clock_real()); }

static unsigned site_load(const unsigned *v) { return __atomic_load_n(v, __ATOMIC_RELAXED); }
static void site_store(unsigned *v, unsigned x) { __atomic_store_n(v, x, __ATOMIC_RELAXED); }

/* Units as the site counts them: at least 1 (0 = unknown counts as 1). */
static unsigned site_units(size_t units)
{
    return units == 0 ? 1u : units > UINT_MAX ? UINT_MAX : (unsigned)units;
}

/* ns per unit of a timed run kept in a site. */
static double site_rate(const unsigned *cost, const unsigned *units)
{
    unsigned u = site_load(units);
    return (double)site_load(cost) / (u > 0 ? u : 1);
}

/* The largest whole u with u * rate < limit (rate > 0), clamped. */
static unsigned units_below(double limit, double rate)
{
    double q = limit / rate;
    if (!(q > 0)) return 0;
    if (q >= (double)UINT_MAX) return UINT_MAX;
    unsigned m = (unsigned)q;
    return (double)m == q && m > 0 ? m - 1 : m;
}

/* Works out, from the site's last times, up to how many units a group runs
 * on the caller (fx__inline_max: within the budget), up to how many are
 * worth a timed try there (fx__inline_fit: within twice the budget), from
 * how many the workers may win (fx__explore_min), and the back-off floor;
 * returns st with that floor. The inline time is taken to grow with the
 * units; the parallel one not to shrink below the last run's (its hand-off
 * does not) and to grow beyond it. */
static unsigned site_decide(fx_group_site *site, unsigned st)
{
    const double budget = FX_GROUP_INLINE_NS;
    double par_cost = site_load(&site->fx__par_ns);
    double par_rate = site_rate(&site->fx__par_ns, &site->fx__par_units);
    if (!(st & SITE_INLINE_KNOWN)) {
        /* Worth a try only if even the workers were within the budget. */
        unsigned fit = (st & SITE_PAR_KNOWN) && par_cost < budget ? units_below(budget, par_rate) : 0;
        site_store(&site->fx__inline_fit, fit);
        site_store(&site->fx__inline_max, 0);
        site_store(&site->fx__explore_min, 0);
        return st & ~(7u << SITE_FLOOR_SHIFT);
    }
    double rate = site_rate(&site->fx__cost_ns, &site->fx__units);
    /* A group runs on the caller within the budget (max), but is tried
     * there within twice the budget (fit): else one inline sample taken
     * while the machine was busy, a little over the budget, would keep a
     * site that runs near it (mapreduce's map phase) on the workers for
     * good, even where they take three times as long. */
    unsigned fit = units_below(2.0 * budget, rate);
    unsigned max = units_below(budget, rate), explore_min = 0;
    if (st & SITE_PAR_KNOWN) {
        /* inline u * rate against par_cost * max(u, par_units) / par_units */
        unsigned beats = rate < par_rate ? UINT_MAX : units_below(par_cost, rate);
        if (beats < max) max = beats;
        /* 2 * u * rate >= that, for exploring */
        if (2.0 * rate < par_rate) explore_min = UINT_MAX;
        else if ((explore_min = units_below(par_cost, 2.0 * rate)) < UINT_MAX) explore_min++;
    }
    site_store(&site->fx__inline_fit, fit);
    site_store(&site->fx__inline_max, max);
    site_store(&site->fx__explore_min, explore_min);
    /* A try of the losing way (a burst, at worst) costs SITE_BURST_RUNS *
     * (ratio - 1) runs of the winner: every 100 times that many runs. */
    unsigned floor = 0;
    if ((st & SITE_PAR_KNOWN) && rate > 0 && par_rate > 0) {
        double ratio = rate > par_rate ? rate / par_rate : par_rate / rate;
        double runs = 100.0 * SITE_BURST_RUNS * (ratio - 1.0);
        while (floor < SITE_BACKOFF_MAX && (double)((unsigned)SITE_EVERY_INLINE << floor) < runs) floor++;
    }
    return (st & ~(7u << SITE_FLOOR_SHIFT)) | floor << SITE_FLOOR_SHIFT;
}

/* A run of a parallel burst (choose_mode): timed when a worker spins now
 * (or after SITE_WARM_MAX runs without one, or when workers never spin),
 * else untimed while the workers wake. */
static int burst_run(const grp *p, fx_group_site *site, unsigned st, bool *timed, int *explore)
{
    const fx__sched *s = p->sched;
    unsigned warm = st >> SITE_WARM_SHIFT & SITE_WARM_MAX;
    bool hot = s->spin_ns == 0 || __atomic_load_n(&s->spinning, __ATOMIC_RELAXED) > 0 ||
               warm >= SITE_WARM_MAX;
    if (!hot) {
        site_store(&site->fx__state, st + (1u << SITE_WARM_SHIFT));
        return FX__GROUP_PARALLEL;
    }
    *timed = true;
    *explore = st & SITE_SAMPLED ? EXPLORE_MORE : EXPLORE_FIRST;
    st = (st - (1u << SITE_BURST_SHIFT)) | SITE_SAMPLED;
    if (!(st >> SITE_BURST_SHIFT & 3u))   /* the last one: the next burst starts afresh */
        st &= ~(SITE_SAMPLED | (unsigned)SITE_WARM_MAX << SITE_WARM_SHIFT);
    site_store(&site->fx__state, st);
    return FX__GROUP_PARALLEL;
}

/* Starts a burst of SITE_BURST_RUNS timed parallel runs (choose_mode). */
static int start_burst(const grp *p, fx_group_site *site, unsigned st, bool *timed, int *explore)
{
    st &= ~(SITE_SAMPLED | (unsigned)SITE_WARM_MAX << SITE_WARM_SHIFT);
    return burst_run(p, site, st | (unsigned)SITE_BURST_RUNS << SITE_BURST_SHIFT, timed, explore);
}

/* How a site's next group runs (see fx_group_init_at); *timed: measure it,
 * *explore: why (EXPLORE_*). Everything costly is worked out when a timed
 * run ends (site_decide): here only loads, a comparison and the sampling
 * counters. */
static int choose_mode(const grp *p, int workers, fx_group_site *site, size_t units, bool *timed,
                       int *explore)
{
    *timed = false;
    *explore = EXPLORE_NO;
    if (p->limit == 1 || workers == 0) return FX__GROUP_INLINE;
    if (site == NULL) return FX__GROUP_PARALLEL;
    unsigned run = site_load(&site->fx__runs);
    site_store(&site->fx__runs, run + 1);   /* a lost update only shifts the sampling */
    unsigned st = site_load(&site->fx__state);
    if (st >> SITE_BURST_SHIFT & 3u)   /* a burst goes on */
        return burst_run(p, site, st, timed, explore);
    if (!(st & (SITE_INLINE_KNOWN | SITE_PAR_KNOWN)))   /* a new site: the workers first */
        return start_burst(p, site, st, timed, explore);
    if (!(st & SITE_DECIDED)) {   /* times set by someone else (a test) */
        st = site_decide(site, st) | SITE_DECIDED;
        site_store(&site->fx__state, st);
    }
    unsigned u = site_units(units);
    bool pick_inline = (st & SITE_INLINE_KNOWN) && u <= site_load(&site->fx__inline_max);
    unsigned strike = pick_inline ? SITE_INLINE_STRIKE : SITE_PAR_STRIKE;
    unsigned every = pick_inline ? SITE_EVERY_INLINE : SITE_EVERY_PARALLEL;
    if ((st & strike) || (run & (every - 1)) == 0) {   /* every: a power of 2, no division */
        *timed = true;
        return pick_inline ? FX__GROUP_INLINE : FX__GROUP_PARALLEL;
    }
    /* The other way, at once while it is unknown, then now and then, while
     * it may win: on the caller only within the inline budget, on the
     * workers only while the caller takes at least half their time (else
     * no hand-off could make up for it). */
    unsigned other_known = pick_inline ? SITE_PAR_KNOWN : SITE_INLINE_KNOWN;
    bool plausible = pick_inline ? !(st & SITE_PAR_KNOWN) || u >= site_load(&site->fx__explore_min)
                                 : u <= site_load(&site->fx__inline_fit);
    unsigned shift = st >> SITE_BACKOFF_SHIFT & 15u, floor = st >> SITE_FLOOR_SHIFT & 7u;
    unsigned interval = (unsigned)SITE_EVERY_INLINE << (shift > floor ? shift : floor);
    if (!plausible || ((st & other_known) && (run & (interval - 1)) != interval - 1))
        return pick_inline ? FX__GROUP_INLINE : FX__GROUP_PARALLEL;
    if (pick_inline) return start_burst(p, site, st, timed, explore);
    *timed = true;
    *explore = EXPLORE_ONE;
    return FX__GROUP_INLINE;
}

/* Takes a timed run of `took` ns over u units into one way's pair (cost,
 * units): a first run of a burst replaces it, a later one only when it is
 * faster, any other only when it is no first strike. */
static unsigned note_sample(unsigned st, unsigned known, unsigned strike, unsigned *cost,
                            unsigned *units, int64_t took, unsigned u, int explore)
{
    unsigned t = took < 1 ? 1u : took > UINT_MAX ? UINT_MAX : (unsigned)took;
    if ((st & known) && explore != EXPLORE_FIRST) {
        double old_rate = site_rate(cost, units), rate = (double)t / u;
        if (explore == EXPLORE_MORE && rate >= old_rate) return st;
        if (explore != EXPLORE_MORE && !(st & strike) && rate > 2.0 * old_rate) return st | strike;
    }
    site_store(cost, t);
    site_store(units, u);
    return (st | known) & ~strike;
}

/* A timed run of a site ends: what it took decides the site's next runs. */
static void note_time(const grp *p)
{
    int64_t took = real_now() - p->start_ns;
    fx_group_site *site = p->site;
    unsigned u = site_units(p->units);
    unsigned st = site_load(&site->fx__state);
    if (p->mode == FX__GROUP_INLINE)
        st = note_sample(st, SITE_INLINE_KNOWN, SITE_INLINE_STRIKE, &site->fx__cost_ns,
                         &site->fx__units, took, u, p->explore);
    else
        st = note_sample(st, SITE_PAR_KNOWN, SITE_PAR_STRIKE, &site->fx__par_ns,
                         &site->fx__par_units, took, u, p->explore);
    st = site_decide(site, st);
    /* At the end of an exploration: one that lost again backs off; a
     * change of preference (the explored way won, or the preferred one
     * lost) explores often again. */
    bool now_inline = (st & SITE_INLINE_KNOWN) && u <= site_load(&site->fx__inline_max);
    bool ran_preferred = (p->mode == FX__GROUP_INLINE) == now_inline;
    bool exploring = p->explore != EXPLORE_NO;
    unsigned shift = st >> SITE_BACKOFF_SHIFT & 15u;
    if (!exploring || !(st >> SITE_BURST_SHIFT & 3u)) {
        if (exploring && !ran_preferred) shift = shift < SITE_BACKOFF_MAX ? shift + 1 : shift;
        else if (exploring || !ran_preferred) shift = 0;
    }
    st = (st & ~(15u << SITE_BACKOFF_SHIFT)) | shift << SITE_BACKOFF_SHIFT;
    site_store(&site->fx__state, st | SITE_DECIDED);
}

static FX__NOINLINE int init_chosen(fx_group *g, fx_runtime *rt, fx_ctx *ctx, int concurrency,
                                    fx_group_site *site, size_t units);

int fx_group_init_at(fx_group *g, fx_runtime *rt, fx_ctx *ctx, int concurrency,
                     fx_group_site *site, size_t units)
{
    /* The common case of a cheap site, decided without choose_mode and the
     * runtime's scheduler (sched.h: generated code calls it first itself). */
    if (FX_LIKELY(site != NULL && ctx != NULL) && fx__group_init_fast(g, ctx, concurrency, site, units))
        return 0;
    return init_chosen(g, rt, ctx, concurrency, site, units);
}

/* fx_group_init_at by choose_mode. */
static int init_chosen(fx_group *g, fx_runtime *rt, fx_ctx *ctx, int concurrency,
                       fx_group_site *site, size_t units)
{
    if (rt == NULL) rt = fx_runtime_default();
    grp *p = &g->fx__p;
    /* Field by field, and only what the chosen way reads: a memset of the
     * whole struct compiles to `rep stos`, which costs more than a tiny
     * group's work. First what every group reads. */
    p->sched = fx__runtime_sched(rt);
    fx__group_init_common(p, ctx, concurrency, site, units);
    p->mode = FX__GROUP_PARALLEL;
    if (ctx == NULL) {
        p->timed = false;
        return FX_EINVAL;
    }
    bool timed;
    int explore;
    p->mode = choose_mode(p, threads_of(p->sched), site, units, &timed, &explore);
    p->explore = explore;
    p->timed = timed;
    if (timed) p->start_ns = real_now();
    if (p->mode == FX__GROUP_INLINE) {
        fx__group_set_aside(p, ctx);
        return 0;
    }
    /* What only a parallel group reads. */
    int workers = p->sched->nthreads;   /* immutable once started (threads_of) */
    p->running = p->on_workers = 0;
    p->ready_prev = p->ready_next = NULL;
    p->ready = p->published = false;
    p->nspare = p->nidle = 0;
    p->waiter = NULL;
    p->events = 0;
    /* The group context, and a context for every task that can run on a
     * worker at once (the owner's run on the group context), all made here
     * under one lock of the context tree, whose lines are already in this
     * thread's cache, rather than by each worker as it starts, and freed by
     * wait: a worker's start and end touch no shared tree. Worker tasks
     * pass them on. Beyond the eight a group holds, a worker makes its own,
     * from structs kept by the root: how many are alive at a time depends on
     * timing, and the first run that reaches the maximum would otherwise
     * malloc in steady state. */
    if (p->limit - 1 < workers) workers = p->limit - 1;
    const int held = workers < 8 ? workers : 8;
    int want = held;
    p->ctx = fx__ctx_group_contexts(ctx, p->spare, &want, (size_t)(workers - held));
    if (p->ctx == NULL) return FX_ENOMEM;
    p->span = p->ctx->span;   /* only this thread uses p->ctx yet */
    p->nspare = p->nidle = want;
    if (want < held) fx__ctx_reserve(ctx, (size_t)(workers - want));   /* after an OOM: try again */
    /* And room for the regions the workers' contexts will carve, so that a
     * worker allocating for the first time, in whichever run that is, does
     * not malloc (an OOM here shows at that allocation instead). */
    (void)fx__arena_reserve_regions(&ctx->root->arena, (size_t)workers);
    return 0;
}

int fx_group_init(fx_group *g, fx_runtime *rt, fx_ctx *ctx, int concurrency)
{
    return fx_group_init_at(g, rt, ctx, concurrency, NULL, 0);
}

/* Appends t to g's queue (mu held, or g not visible to workers). */
static void enqueue(grp *p, fx_task *t)
{
    if (p->tail != NULL) p->tail->fx__next = t;
    else p->head = t;
    p->tail = t;
    p->outstanding++;
    p->spawned++;
}

void fx_group_spawn(fx_group *g, fx_task *t)
{
    grp *p = &g->fx__p;
    fx__sched *s = p->sched;
    t->rc = 0;
    t->error = NULL;
    t->fx__next = NULL;
    t->fx__ctx = NULL;
    if (p->mode != FX__GROUP_PARALLEL || !p->published) {
        /* Only the owner ever runs tasks of an inline group, and no worker
         * sees a group before fx_group_wait publishes it: no lock. */
        enqueue(p, t);
        return;
    }
    FX__MUST(pthread_mutex_lock(&s->mu));
    enqueue(p, t);
    /* Ready for a worker that looks, but no wake-up: the owner wakes one
     * when it starts running tasks (fx_group_wait), so a spawn loop makes no
     * system call, and tiny groups often finish before anyone is woken. */
    if (!p->ready && worker_may_start(p)) ready_update(s, g, false);
    wake_owner(p);
    FX__MUST(pthread_mutex_unlock(&s->mu));
}

/* The context an inline group's next task runs on: the group context once
 * there is one, else the caller's; a cancellation asked for meanwhile makes
 * the group context now. NULL on OOM. */
static fx_ctx *inline_ctx(grp *p)
{
    if (p->ctx == NULL && __atomic_load_n(&p->cancel_req, __ATOMIC_ACQUIRE)) {
        p->ctx = fx_ctx_with_cancel(p->parent);
        if (p->ctx != NULL) fx_ctx_cancel(p->ctx);
        return p->ctx;
    }
    return p->ctx != NULL ? p->ctx : p->parent;
}

/* The end of an inline group: the site notes a timed run, the caller's
 * error record is put back unless the group failed (as if the work had run
 * on a child), and a group context made meanwhile is freed. */
static void end_inline(grp *p, bool failed)
{
    if (p->timed) note_time(p);
    if (!failed) fx__group_put_back(p);
    if (p->ctx != NULL) fx_ctx_free(p->ctx);
    p->ctx = NULL;
}

/* Runs an inline group: every task on the owner, in spawn order (tasks
 * spawned by tasks included). */
static int run_inline(fx_group *g)
{
    grp *p = &g->fx__p;
    while (p->head != NULL) {
        fx_task *t = p->head;
        p->head = t->fx__next;
        if (p->head == NULL) p->tail = NULL;
        t->fx__next = NULL;
        fx_ctx *c = inline_ctx(p);
        int rc = c != NULL ? t->fn(t, c) : FX_ENOMEM;
        if (rc != 0 && p->failed == NULL) {
            p->failed = t;
            t->rc = rc;
            t->error = snapshot(p->parent, c, rc);
            if (p->ctx == NULL) p->ctx = fx_ctx_with_cancel(p->parent);
            if (p->ctx != NULL) fx_ctx_cancel(p->ctx);   /* the rest run on it, done */
        }
        p->outstanding--;
    }
    end_inline(p, p->failed != NULL);
    return p->failed != NULL ? p->failed->rc : 0;
}


const fx_error *fx_group_end_inline(fx_group *g, int rc)
{
    grp *p = &g->fx__p;
    const fx_error *cause = rc != 0 ? snapshot(p->parent, p->parent, rc) : NULL;
    end_inline(p, rc != 0);
    return cause;
}

int fx_group_wait(fx_group *g)
{
    grp *p = &g->fx__p;
    fx__sched *s = p->sched;
    if (p->mode == FX__GROUP_INLINE) return run_inline(g);
    struct fx__group_waiter w;
    bool have_cond = false;
    bool may_spin = s->spin_ns > 0;
    bool locked = true;
    FX__MUST(pthread_mutex_lock(&s->mu));
    /* Published only now, in one step with the owner's first take (which
     * wakes a worker when more can start): spawning took no lock, and a
     * spinning worker does not contend with the owner for it meanwhile. */
    p->published = true;
    if (s->spin_ns > 0) {   /* where a spinning worker should not be (affinity.c) */
        int cpu = fx__current_cpu();
        if (cpu != __atomic_load_n(&s->owner_cpu, __ATOMIC_RELAXED))
            __atomic_store_n(&s->owner_cpu, cpu, __ATOMIC_RELAXED);
    }
    while (p->outstanding > 0) {
        if (owner_may_start(p)) {
            fx_task *t = take(s, g, true);   /* wakes a worker if more can start */
            FX__MUST(pthread_mutex_unlock(&s->mu));
            run_task(s, g, t, true);
            FX__MUST(pthread_mutex_lock(&s->mu));
            finish(s, g, true);
            continue;
        }
        if (may_spin && s->busy + s->spinning < s->ncpu) {
            /* the last tasks often end within microseconds */
            unsigned seen = p->events;
            FX__MUST(pthread_mutex_unlock(&s->mu));
            may_spin = spin_until_event(s, &p->events, seen);   /* spin again after progress */
            if (__atomic_load_n(&p->events, __ATOMIC_ACQUIRE) & EVENTS_DONE) {
                /* The last task's finish: nothing else touches g, and what
                 * the tasks wrote is visible (release in wake_owner). */
                locked = false;
                break;
            }
            FX__MUST(pthread_mutex_lock(&s->mu));
            continue;
        }
        if (!have_cond) {
            FX__MUST(pthread_cond_init(&w.cond, NULL));
            have_cond = true;
        }
        p->waiter = &w;
        FX__MUST(pthread_cond_wait(&w.cond, &s->mu));
        p->waiter = NULL;
        may_spin = s->spin_ns > 0;
    }
    if (locked) FX__MUST(pthread_mutex_unlock(&s->mu));
    if (have_cond) FX__MUST(pthread_cond_destroy(&w.cond));
    if (p->timed) note_time(p);
    fx__ctx_free_group(p->ctx, p->spare, p->nspare);
    return p->failed != NULL ? p->failed->rc : 0;
}

const fx_task *fx_group_failed(const fx_group *g) { return g->fx__p.failed; }

fx_ctx *fx_group_ctx(const fx_group *g)
{
    return g->fx__p.ctx != NULL ? g->fx__p.ctx : g->fx__p.parent;
}

void fx_group_cancel(fx_group *g)
{
    grp *p = &g->fx__p;
    if (p->mode == FX__GROUP_INLINE) {
        /* Whoever calls: the owner makes the group context at its next task. */
        __atomic_store_n(&p->cancel_req, true, __ATOMIC_RELEASE);
        if (p->ctx == NULL) return;
    }
    fx_ctx_cancel(p->ctx);
}

size_t fx_cursor_watch(fx_cursor *c, fx_group *g, size_t want)
{
    c->fx__solo = g->fx__p.mode == FX__GROUP_INLINE;   /* one thread takes */
    return c->fx__solo && want > 1 ? 1 : want;
}

size_t fx_cursor_take(fx_cursor *c)
{
    if (c->fx__solo) return c->fx__next++;
    return __atomic_fetch_add(&c->fx__next, 1, __ATOMIC_RELAXED);
}

size_t fx_cursor_take_chunk(fx_cursor *c, size_t n, size_t parts, size_t *end)
{
    if (c->fx__solo) {   /* everything that is left, at once */
        size_t lo = c->fx__next;
        *end = n;
        c->fx__next = lo < n ? n : lo;
        return lo < n ? lo : n;
    }
    size_t lo = __atomic_load_n(&c->fx__next, __ATOMIC_RELAXED);
    if (parts < 1) parts = 1;
    for (;;) {
        if (lo >= n) {
            *end = n;
            return n;
        }
        size_t k = (n - lo) / parts;
        if (k < 1) k = 1;
        if (__atomic_compare_exchange_n(&c->fx__next, &lo, lo + k, true, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED)) {
            *end = lo + k;
            return lo;
        }
    }
}
