/* bench/maptrace.c — where the time of a small parallel map goes
 * (docs/PERFORMANCE.md, "Map/100's speed-up" and "The slow state").
 *
 *   build/bench/maptrace [items [runs]]      (defaults: 100 items, 100000 runs)
 *
 * Three measurements of Map's workload (work_map_item per item, its 16-byte
 * result from the arena as the stage takes it):
 *   1. the ceiling: the items alone on one thread, then split in two static
 *      halves between this thread and one other that busy-waits on a flag:
 *      no scheduler, one cache-line hand-off each way, so its speed-up is
 *      the most any split reaches on this machine;
 *   2. a fluxus map run as fluxc generates it (fx_group_init_at at a site,
 *      a cursor taken in chunks by two tasks, fx_group_wait) with time
 *      stamps between its phases, and the CPU each task ran on;
 *   3. the same runs at concurrency 1.
 * Times are medians and 10th/90th percentiles over the second half of the
 * runs (the first half lets the site settle). Not part of `make bench`:
 * a diagnosis tool, built with it. */
#define _GNU_SOURCE   /* sched_getcpu */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fluxus/fluxus.h>
#include <fluxus/sched.h>

#include "work.h"

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
static inline uint64_t stamp(void) { return __rdtsc(); }
#else
static inline uint64_t stamp(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}
#endif

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static double ticks_per_ns;   /* stamp() ticks per nanosecond, measured at start */

static void calibrate(void)
{
    int64_t a = now_ns();
    uint64_t s = stamp();
    while (now_ns() - a < 50000000) {
    }
    ticks_per_ns = (double)(stamp() - s) / (double)(now_ns() - a);
}

/* ------------------------------------------------------------ 1. the ceiling */

typedef struct ceiling {
    const int64_t *items;
    char (*out)[16];
    size_t n;
    _Atomic unsigned go, done;   /* run number: started, finished by the helper */
} ceiling;

static void ceiling_part(ceiling *c, size_t lo, size_t hi)
{
    for (size_t i = lo; i < hi; i++)
        work_map_item(c->out[i], c->items[i]);
}

static void *ceiling_helper(void *arg)
{
    ceiling *c = arg;
    for (unsigned seen = 0;;) {
        unsigned r;
        while ((r = atomic_load_explicit(&c->go, memory_order_acquire)) == seen) {
        }
        if (r == 0)
            return NULL;   /* stop */
        seen = r;
        ceiling_part(c, c->n / 2, c->n);
        atomic_store_explicit(&c->done, r, memory_order_release);
    }
}

static void run_ceiling(const int64_t *items, size_t n, unsigned runs, double *one, double *two)
{
    ceiling c = {.items = items, .out = malloc(n * sizeof *c.out), .n = n};
    if (c.out == NULL)
        abort();
    int64_t t0 = now_ns();
    for (unsigned r = 0; r < runs; r++)
        ceiling_part(&c, 0, n);
    *one = (double)(now_ns() - t0) / runs;
    pthread_t th;
    if (pthread_create(&th, NULL, ceiling_helper, &c) != 0)
        abort();
    t0 = now_ns();
    for (unsigned r = 1; r <= runs; r++) {
        atomic_store_explicit(&c.go, r, memory_order_release);
        ceiling_part(&c, 0, n / 2);
        while (atomic_load_explicit(&c.done, memory_order_acquire) != r) {
        }
    }
    *two = (double)(now_ns() - t0) / runs;
    atomic_store_explicit(&c.go, 0, memory_order_release);
    pthread_join(th, NULL);
    free(c.out);
}

/* ------------------------------------------------------------ 2. a fluxus map */

typedef struct frame {
    const int64_t *items;
    const char **results;
    size_t n, parts;
    char pad[64];   /* the cursor on a line of its own, as generated code has it */
    fx_cursor next;
    char pad_end[64];
} frame;

typedef struct map_task {
    fx_task task;
    frame *f;
    uint64_t start, end;   /* stamps: the task function's first and last moments */
    int cpu;               /* where it started */
    pthread_t thread;      /* which thread ran it */
    size_t items;          /* how many it did */
} map_task;

static int map_task_run(fx_task *t, fx_ctx *ctx)
{
    map_task *m = (map_task *)(void *)t;
    frame *f = m->f;
    m->start = stamp();
    m->cpu = sched_getcpu();
    m->thread = pthread_self();
    m->items = 0;
    for (;;) {
        size_t hi, i = fx_cursor_take_chunk(&f->next, f->n, f->parts, &hi);
        if (i >= f->n)
            break;
        for (; i < hi; i++) {
            if (fx_ctx_done(ctx))
                return fx_ctx_err(ctx);
            char *d = fx_alloc(ctx, 16);
            if (d == NULL)
                return FX_ENOMEM;
            work_map_item(d, f->items[i]);
            f->results[i] = d;
            m->items++;
        }
    }
    m->end = stamp();
    return 0;
}

enum { PH_INIT, PH_SPAWN, PH_OWNER_START, PH_WORKER_START, PH_SKEW, PH_RETURN, PH_TOTAL, PH_N };
static const char *const phase_name[PH_N] = {
    "fx_group_init_at (site, contexts)",
    "results cleared, 2 tasks spawned",
    "owner's task starts (after spawn)",
    "worker's task starts (after spawn)",
    "last task ends after the first",
    "fx_group_wait returns (after last end)",
    "the whole run",
};

typedef struct trace {
    float *phase[PH_N];   /* per measured run, in ns */
    size_t runs;          /* measured runs that went to the workers */
    size_t inline_runs;   /* measured runs the site kept on the caller */
    size_t same_cpu;      /* ... with owner and worker task on one CPU */
    size_t owner_did_both;/* ... where no worker started a task at all */
    double worker_items;  /* items done by the worker's task, summed */
    double mean_ns;       /* mean time per run over the measured half */
} trace;

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static void run_map(fx_runtime *rt, const int64_t *items, size_t n, unsigned runs, int concurrency, trace *tr)
{
    fx_ctx *ctx = fx_ctx_new();
    fx_group_site site = {0};
    if (ctx == NULL)
        abort();
    memset(tr, 0, sizeof *tr);
    for (int k = 0; k < PH_N; k++)
        if ((tr->phase[k] = malloc(runs * sizeof(float))) == NULL)
            abort();
    int64_t t_measured = 0;
    for (unsigned r = 0; r < runs; r++) {
        const bool measured = r >= runs / 2;
        if (r == runs / 2)
            t_measured = now_ns();
        uint64_t t0 = stamp();
        frame f;
        f.items = items;
        f.n = n;
        f.parts = 2;
        f.results = fx_alloc(ctx, n * sizeof *f.results);
        f.next = (fx_cursor){0};
        map_task tasks[2];
        fx_group g;
        if (f.results == NULL || fx_group_init_at(&g, rt, ctx, concurrency, &site, n) != 0)
            abort();
        uint64_t t1 = stamp();
        memset(f.results, 0, n * sizeof *f.results);
        size_t ntasks = fx_cursor_watch(&f.next, &g, concurrency < 2 ? 1 : 2);
        for (size_t i = 0; i < ntasks; i++) {
            tasks[i] = (map_task){.task = {.fn = map_task_run, .index = (int)i}, .f = &f};
            fx_group_spawn(&g, &tasks[i].task);
        }
        uint64_t t2 = stamp();
        if (fx_group_wait(&g) != 0)
            abort();
        uint64_t t3 = stamp();
        fx_ctx_reset(ctx);
        if (!measured)
            continue;
        if (ntasks < 2) {
            tr->inline_runs++;
            continue;
        }
        /* The owner runs the first task it spawned (fx_group_wait takes in
         * order); tasks[1] is the worker's unless the owner got to it first. */
        const map_task *o = &tasks[0], *w = &tasks[1];
        const uint64_t last = o->end > w->end ? o->end : w->end, first = o->end > w->end ? w->end : o->end;
        const double v[PH_N] = {(double)(t1 - t0), (double)(t2 - t1), (double)(o->start - t2),
                                (double)(w->start - t2), (double)(last - first), (double)(t3 - last),
                                (double)(t3 - t0)};
        for (int k = 0; k < PH_N; k++)
            tr->phase[k][tr->runs] = (float)(v[k] / ticks_per_ns);
        tr->runs++;
        tr->same_cpu += o->cpu == w->cpu;
        tr->owner_did_both += pthread_equal(o->thread, w->thread) != 0;
        tr->worker_items += (double)w->items;
    }
    tr->mean_ns = (double)(now_ns() - t_measured) / (runs - runs / 2);
    fx_ctx_free(ctx);
}

static void print_trace(const char *title, trace *tr)
{
    printf("%s: %.0f ns per run (mean over the measured half)\n", title, tr->mean_ns);
    if (tr->runs == 0) {
        printf("  every measured run stayed on the caller (%zu)\n", tr->inline_runs);
        return;
    }
    printf("  %-42s %9s %9s %9s\n", "phase (ns)", "p10", "p50", "p90");
    for (int k = 0; k < PH_N; k++) {
        qsort(tr->phase[k], tr->runs, sizeof(float), cmp_float);
        printf("  %-42s %9.0f %9.0f %9.0f\n", phase_name[k], tr->phase[k][tr->runs / 10],
               tr->phase[k][tr->runs / 2], tr->phase[k][tr->runs * 9 / 10]);
    }
    printf("  runs on the workers %zu, on the caller %zu; worker's task did %.1f items on average\n", tr->runs,
           tr->inline_runs, tr->worker_items / (double)tr->runs);
    printf("  owner and worker task on one CPU: %.1f%% of runs; the owner ran both tasks: %.1f%%\n",
           100.0 * (double)tr->same_cpu / (double)tr->runs, 100.0 * (double)tr->owner_did_both / (double)tr->runs);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 100;
    unsigned runs = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 100000;
    if (n < 2 || runs < 2) {
        fprintf(stderr, "usage: maptrace [items >= 2 [runs >= 2]]\n");
        return 2;
    }
    calibrate();
    int64_t *items = malloc(n * sizeof *items);
    if (items == NULL)
        return 1;
    for (size_t i = 0; i < n; i++)
        items[i] = (int64_t)i;

    double one, two;
    run_ceiling(items, n, runs, &one, &two);
    printf("ceiling, %zu items: one thread %.0f ns, static halves on two %.0f ns: speed-up %.3f\n", n, one, two,
           one / two);

    fx_runtime *rt = fx_runtime_new(NULL);
    if (rt == NULL)
        return 1;
    trace t1, t2;
    run_map(rt, items, n, runs, 2, &t2);
    run_map(rt, items, n, runs, 1, &t1);
    print_trace("fluxus map, concurrency 2", &t2);
    printf("fluxus map, concurrency 1: %.0f ns per run; speed-up %.3f\n", t1.mean_ns, t1.mean_ns / t2.mean_ns);
    for (int k = 0; k < PH_N; k++) {
        free(t1.phase[k]);
        free(t2.phase[k]);
    }
    fx_runtime_free(rt);
    free(items);
    return 0;
}
