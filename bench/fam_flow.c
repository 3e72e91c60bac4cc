/* bench/fam_flow.c — ParallelProcessing, FanOut, FanOutConcurrencyLimited,
 * ConcurrencyScaling, Map. */
#include <stdio.h>
#include <string.h>

#include "bflow.h"
#include "glue.h"
#include "peers.h"
#include "work.h"

#define MAP_MAX 1000
static int64_t map_input[MAP_MAX];
static char map_expect_last[3][16];   /* the result for the last item of 10, 100, 1000 */

static const char *map_expected(size_t n)
{
    return map_expect_last[n == 10 ? 0 : n == 100 ? 1 : 2];
}

/* ---------------------------------------------------------------- fluxus */

BENCH_PIPE(bflow, par, NULL)
BENCH_PIPE(bflow, fan10, NULL)
BENCH_PIPE(bflow, fanlim, NULL)

static int fx_par_run(void *v, size_t n)
{
    bflow_par_st *s = v;
    for (size_t i = 0; i < n; i++) {
        int64_t in = 42, out = 0;
        if (bflow_par_process(s->p, s->ctx, &in, &out) != 0 || out != 42 * 9)
            return 1;
        fx_ctx_reset(s->ctx);
    }
    return 0;
}

static int fx_fan10_run(void *v, size_t n)
{
    bflow_fan10_st *s = v;
    for (size_t i = 0; i < n; i++) {
        const char *in = "test";
        fx_slice_str out = {0};
        if (bflow_fan10_process(s->p, s->ctx, &in, &out) != 0 || out.len != 10 || strcmp(out.ptr[9], "test-9") != 0)
            return 1;
        fx_ctx_reset(s->ctx);
    }
    return 0;
}

static int fx_fanlim_run(void *v, size_t n)
{
    bflow_fanlim_st *s = v;
    char want[32];
    work_suffix(want, sizeof want, "test", work_hash31(99));
    for (size_t i = 0; i < n; i++) {
        const char *in = "test";
        fx_slice_str out = {0};
        if (bflow_fanlim_process(s->p, s->ctx, &in, &out) != 0 || out.len != 100 || strcmp(out.ptr[99], want) != 0)
            return 1;
        fx_ctx_reset(s->ctx);
    }
    return 0;
}

#define SCALE(C)                                                                    \
    BENCH_PIPE(bflow, scale##C, NULL)                                               \
    static int fx_scale##C##_run(void *v, size_t n)                                 \
    {                                                                               \
        bflow_scale##C##_st *s = v;                                                 \
        const int64_t want = work_spin17(42);                                       \
        for (size_t i = 0; i < n; i++) {                                            \
            int64_t in = 42;                                                        \
            fx_slice_i64 out = {0};                                                 \
            if (bflow_scale##C##_process(s->p, s->ctx, &in, &out) != 0 ||           \
                out.len != BENCH_SCALING_STAGES || out.ptr[99] != want)             \
                return 1;                                                           \
            fx_ctx_reset(s->ctx);                                                   \
        }                                                                           \
        return 0;                                                                   \
    }
SCALE(1)
SCALE(2)
SCALE(4)
SCALE(8)
SCALE(16)
SCALE(32)
SCALE(0)

typedef int (*map_fn)(void *p, fx_ctx *ctx, const fx_slice_i64 *in, fx_slice_str *out);

static int fx_map_loop(fx_ctx *ctx, size_t size, size_t n, map_fn process, void *p)
{
    const fx_slice_i64 in = {map_input, size};
    const char *want = map_expected(size);
    for (size_t i = 0; i < n; i++) {
        fx_slice_str out = {0};
        if (process(p, ctx, &in, &out) != 0 || out.len != size || strcmp(out.ptr[size - 1], want) != 0)
            return 1;
        fx_ctx_reset(ctx);
    }
    return 0;
}

/* The map runners need their size: the state remembers the case's arg. */
typedef struct fx_map_st {
    void *p;
    fx_ctx *ctx;
    size_t size;
    map_fn process;
    void (*free_p)(void *);
} fx_map_st;

#define MAPSETUP(NAME)                                                              \
    static int NAME##_call(void *p, fx_ctx *ctx, const fx_slice_i64 *in, fx_slice_str *out) \
    {                                                                               \
        return bflow_##NAME##_process(p, ctx, in, out);                             \
    }                                                                               \
    static void NAME##_free(void *p) { bflow_##NAME##_free(p); }                    \
    static void *fx_##NAME##_setup(const void *arg)                                 \
    {                                                                               \
        fx_map_st *s = calloc(1, sizeof *s);                                        \
        if (s == NULL)                                                              \
            return NULL;                                                            \
        s->p = bflow_##NAME##_new(NULL);                                            \
        s->ctx = fx_ctx_new();                                                      \
        s->size = (size_t)((const bench_flow_arg *)arg)->size;                      \
        s->process = NAME##_call;                                                   \
        s->free_p = NAME##_free;                                                    \
        if (s->p == NULL || s->ctx == NULL) {                                       \
            bflow_##NAME##_free(s->p);                                              \
            fx_ctx_free(s->ctx);                                                    \
            free(s);                                                                \
            return NULL;                                                            \
        }                                                                           \
        return s;                                                                   \
    }
MAPSETUP(map1)
MAPSETUP(map2)
MAPSETUP(map8)
MAPSETUP(mapdef)

static int fx_map_run(void *v, size_t n)
{
    fx_map_st *s = v;
    return fx_map_loop(s->ctx, s->size, n, s->process, s->p);
}

static void fx_map_teardown(void *v)
{
    fx_map_st *s = v;
    s->free_p(s->p);
    fx_ctx_free(s->ctx);
    free(s);
}

/* ---------------------------------------------------------------- limits */

typedef struct flow_limit {
    bench_flow_arg a;
    bench_split *split;   /* NULL: sequential */
    int parts;
    int64_t r[BENCH_SCALING_STAGES];
    char str[BENCH_FANOUT_CONC_STAGES][32];
    char (*items)[16];
} flow_limit;

static int parts_for(int conc)
{
    int cpus = bench_cpus();
    return conc <= 0 || conc > cpus ? cpus : conc;
}

static void *limit_flow_setup(const void *arg)
{
    flow_limit *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->a = *(const bench_flow_arg *)arg;
    s->parts = 1;
    if (s->a.kind == FLOW_FANOUT_LIMITED)
        s->parts = parts_for(4);
    else if (s->a.kind == FLOW_SCALING || s->a.kind == FLOW_MAP)
        s->parts = parts_for(s->a.conc);
    if (s->parts > 1)
        s->split = bench_split_new(s->parts);
    s->items = calloc(MAP_MAX, sizeof *s->items);
    return s;
}

static void limit_flow_teardown(void *v)
{
    flow_limit *s = v;
    bench_split_free(s->split);
    free(s->items);
    free(s);
}

/* Part k of nparts of [0, n): contiguous ranges (a static split). */
static void range(size_t n, int k, int nparts, size_t *lo, size_t *hi)
{
    *lo = n * (size_t)k / (size_t)nparts;
    *hi = n * (size_t)(k + 1) / (size_t)nparts;
}

static void part_fanlim(void *v, int k, int nparts)
{
    flow_limit *s = v;
    size_t lo, hi;
    range(BENCH_FANOUT_CONC_STAGES, k, nparts, &lo, &hi);
    for (size_t i = lo; i < hi; i++)
        work_suffix(s->str[i], 32, "test", work_hash31((int)i));
}

static void part_scaling(void *v, int k, int nparts)
{
    flow_limit *s = v;
    size_t lo, hi;
    range(BENCH_SCALING_STAGES, k, nparts, &lo, &hi);
    for (size_t i = lo; i < hi; i++)
        s->r[i] = work_spin17(42);
}

static void part_map(void *v, int k, int nparts)
{
    flow_limit *s = v;
    size_t lo, hi;
    range((size_t)s->a.size, k, nparts, &lo, &hi);
    for (size_t i = lo; i < hi; i++)
        work_map_item(s->items[i], map_input[i]);
}

/* Sequential: one chunk. Split: chunks of about an eighth of a thread's
 * share, claimed dynamically (bench_split_run). */
static void run_split(flow_limit *s, size_t n, void (*fn)(void *, int, int))
{
    if (s->split == NULL) {
        fn(s, 0, 1);
        return;
    }
    size_t chunks = (size_t)s->parts * 8;
    bench_split_run(s->split, (int)(chunks < n ? chunks : n), fn, s);
}

static int limit_flow_run(void *v, size_t n)
{
    flow_limit *s = v;
    for (size_t i = 0; i < n; i++) {
        switch (s->a.kind) {
        case FLOW_PARALLEL: {
            int64_t r[3] = {work_times(42, 2), work_times(42, 3), work_times(42, 4)};
            if (work_sum(r, 3) != 42 * 9)
                return 1;
            break;
        }
        case FLOW_FANOUT10:
            for (int k = 0; k < 10; k++)
                work_suffix(s->str[k], 32, "test", k);
            if (strcmp(s->str[9], "test-9") != 0)
                return 1;
            break;
        case FLOW_FANOUT_LIMITED:
            run_split(s, BENCH_FANOUT_CONC_STAGES, part_fanlim);
            if (s->str[0][4] != '-')
                return 1;
            break;
        case FLOW_SCALING:
            run_split(s, BENCH_SCALING_STAGES, part_scaling);
            if (s->r[99] != s->r[0])
                return 1;
            break;
        case FLOW_MAP:
            run_split(s, (size_t)s->a.size, part_map);
            if (strcmp(s->items[s->a.size - 1], map_expected((size_t)s->a.size)) != 0)
                return 1;
            break;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- API floor */

/* bflow_par_process written by hand (bench/harness.h), sequential like the
 * limit: the three stages and the sum, a context check before each, the
 * three results in a stack array the sum reads as its slice. */
static BENCH_FLOOR_FN int floor_par_process(bench_floor_st *p, fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    if (p == NULL || ctx == NULL || in == NULL || out == NULL)
        return FX_EINVAL;
    int64_t r[3];
    int rc;
    if (fx_ctx_done(ctx))
        return fx_ctx_err(ctx);
    if ((rc = bflow_times2(ctx, in, &r[0])) != 0)
        return rc;
    if (fx_ctx_done(ctx))
        return fx_ctx_err(ctx);
    if ((rc = bflow_times3(ctx, in, &r[1])) != 0)
        return rc;
    if (fx_ctx_done(ctx))
        return fx_ctx_err(ctx);
    if ((rc = bflow_times4(ctx, in, &r[2])) != 0)
        return rc;
    if (fx_ctx_done(ctx))
        return fx_ctx_err(ctx);
    int64_t result = 0;   /* *out is written only on success */
    rc = bflow_sum(ctx, &(const fx_slice_i64){r, 3}, &result);
    if (rc == 0)
        *out = result;
    return rc;
}

static int floor_par_run(void *v, size_t n)
{
    bench_floor_st *s = v;
    for (size_t i = 0; i < n; i++) {
        int64_t in = 42, out = 0;
        if (floor_par_process(s, s->ctx, &in, &out) != 0 || out != 42 * 9)
            return 1;
        fx_ctx_reset(s->ctx);
    }
    return 0;
}

/* bflow_mapN_process written by hand (bench/harness.h), on a runtime of
 * its own made like the fluxus way's (fx_runtime_new(NULL): every default,
 * as the default runtime the fluxus way runs on). The result is a [str]
 * from fx_alloc; each item gets a context check and bflow_item through its
 * ABI, which takes the item's string from the arena with fx_alloc (the
 * limit and oneTBB write into preallocated buffers instead). Concurrency 1:
 * a plain loop. Otherwise the public group API as sched.h shows it: a group
 * started at the instance's fx_group_site, a cursor watched by
 * min(C, items, threads) tasks (task storage on the stack) that take it in
 * chunks, fx_group_wait. A done context returns its error; a failing item
 * returns FX_EMAP_ITEM (SPEC §5.4), its index and cause in the message
 * (fx_fail cannot set the record's index or cause). */
typedef struct floor_map {
    fx_ctx *ctx;
    fx_runtime *rt;          /* owned */
    int conc;                /* the map's concurrency; 0 = the runtime's threads */
    size_t size;             /* the case's items */
    fx_group_site site;      /* the map's call site: its groups' timings (sched.h) */
} floor_map;

static void *floor_map_setup(const void *arg)
{
    const bench_flow_arg *a = arg;
    floor_map *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->ctx = fx_ctx_new();
    s->rt = fx_runtime_new(NULL);
    s->conc = a->conc;
    s->size = (size_t)a->size;
    if (s->ctx == NULL || s->rt == NULL) {
        fx_ctx_free(s->ctx);
        fx_runtime_free(s->rt);
        free(s);
        return NULL;
    }
    return s;
}

static void floor_map_teardown(void *v)
{
    floor_map *s = v;
    fx_ctx_free(s->ctx);
    fx_runtime_free(s->rt);
    free(s);
}

/* What a map's tasks share, on the caller's stack. */
typedef struct floor_map_frame {
    const int64_t *items;
    const char **results;
    size_t n;
    size_t parts;                 /* the number of tasks: sets the chunk size */
    _Alignas(64) fx_cursor next;  /* a line of its own: every take writes it */
} floor_map_frame;

typedef struct floor_map_task {
    fx_task task;   /* first: the scheduler hands it back */
    floor_map_frame *f;
} floor_map_task;

enum { FLOOR_MAP_FEW_TASKS = 16 };   /* more (a runtime of more threads): from the arena */

/* Item `index` failed with rc, cause its record (NULL = a bare {rc}). */
static int floor_map_fail(fx_ctx *ctx, int index, int rc, const fx_error *cause)
{
    const fx_error bare = {.code = rc, .index = -1};
    char why[256];
    fx_error_format(cause != NULL ? cause : &bare, why, sizeof why);
    return fx_fail(ctx, FX_EMAP_ITEM, "item %d failed: %s", index, why);
}

static int floor_map_loop(fx_ctx *ctx, const int64_t *items, const char **results, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (fx_ctx_done(ctx))
            return fx_ctx_err(ctx);
        int rc = bflow_item(ctx, &items[i], &results[i]);
        if (rc != 0) {
            const fx_error *e = fx_ctx_error(ctx);   /* the stage's own fx_fail, if it made one */
            return floor_map_fail(ctx, (int)i, rc, e != NULL && e->code == rc ? e : NULL);
        }
    }
    return 0;
}

/* Takes chunks until none is left; the first failed item ends the task
 * (the group then cancels the others: their next check fails). */
static int floor_map_task_run(fx_task *t, fx_ctx *ctx)
{
    floor_map_frame *f = ((floor_map_task *)(void *)t)->f;
    for (;;) {
        size_t hi, i = fx_cursor_take_chunk(&f->next, f->n, f->parts, &hi);
        if (i >= f->n)
            return 0;
        for (; i < hi; i++) {
            int rc = fx_ctx_done(ctx) ? fx_ctx_err(ctx) : bflow_item(ctx, &f->items[i], &f->results[i]);
            if (rc != 0) {
                t->index = (int)i;
                return rc;
            }
        }
    }
}

static int floor_map_group(floor_map *p, fx_ctx *ctx, const int64_t *items, const char **results, size_t n)
{
    const int threads = fx_runtime_threads(p->rt);
    const int conc = p->conc > 0 ? p->conc : threads;   /* SPEC §2.4: default = the runtime's threads */
    size_t ntasks = n < (size_t)conc ? n : (size_t)conc;
    if (ntasks > (size_t)threads)
        ntasks = (size_t)threads;
    floor_map_frame f;
    f.items = items;
    f.results = results;
    f.n = n;
    f.parts = ntasks;
    f.next = (fx_cursor){0};
    floor_map_task few[FLOOR_MAP_FEW_TASKS];
    floor_map_task *tasks = ntasks <= FLOOR_MAP_FEW_TASKS ? few : fx_alloc(ctx, ntasks * sizeof *tasks);
    if (tasks == NULL)
        return FX_ENOMEM;
    fx_group g;
    int rc = fx_group_init_at(&g, p->rt, ctx, conc, &p->site, n);
    if (rc != 0)
        return rc;
    ntasks = fx_cursor_watch(&f.next, &g, ntasks);   /* 1 when the group runs on the caller */
    for (size_t i = 0; i < ntasks; i++) {
        tasks[i] = (floor_map_task){.task = {.fn = floor_map_task_run, .index = (int)i}, .f = &f};
        fx_group_spawn(&g, &tasks[i].task);
    }
    rc = fx_group_wait(&g);
    if (rc == 0)
        return 0;
    if (fx_ctx_done(ctx))   /* cancelled from outside, not an item's failure */
        return fx_ctx_err(ctx);
    const fx_task *bad = fx_group_failed(&g);
    return floor_map_fail(ctx, bad->index, bad->rc, bad->error);
}

static BENCH_FLOOR_FN int floor_map_process(floor_map *p, fx_ctx *ctx, const fx_slice_i64 *in, fx_slice_str *out)
{
    if (p == NULL || ctx == NULL || in == NULL || out == NULL)
        return FX_EINVAL;
    const size_t n = in->len;
    if (n == 0) {   /* no stage to check the context before */
        if (fx_ctx_done(ctx))
            return fx_ctx_err(ctx);
        *out = (fx_slice_str){0};
        return 0;
    }
    const char **results = fx_alloc(ctx, n * sizeof *results);
    if (results == NULL)
        return FX_ENOMEM;
    int rc = p->conc == 1 ? floor_map_loop(ctx, in->ptr, results, n)
                          : floor_map_group(p, ctx, in->ptr, results, n);
    if (rc == 0)
        *out = (fx_slice_str){results, n};
    return rc;
}

static int floor_map_run(void *v, size_t n)
{
    floor_map *s = v;
    const fx_slice_i64 in = {map_input, s->size};
    const char *want = map_expected(s->size);
    for (size_t i = 0; i < n; i++) {
        fx_slice_str out = {0};
        if (floor_map_process(s, s->ctx, &in, &out) != 0 || out.len != s->size ||
            strcmp(out.ptr[s->size - 1], want) != 0)
            return 1;
        fx_ctx_reset(s->ctx);
    }
    return 0;
}

/* ---------------------------------------------------------------- registration */

#define FX(P) {bflow_##P##_setup, fx_##P##_run, bflow_##P##_teardown}
#define LIMIT {limit_flow_setup, limit_flow_run, limit_flow_teardown}

void bench_register_flow(void)
{
    for (int i = 0; i < MAP_MAX; i++)
        map_input[i] = i;
    work_map_item(map_expect_last[0], 9);
    work_map_item(map_expect_last[1], 99);
    work_map_item(map_expect_last[2], 999);
    const int cpus = bench_cpus();
    static char split_note[96], scaling_note[96];
    snprintf(split_note, sizeof split_note, "pthreads split over %d threads, caller included", cpus < 4 ? cpus : 4);
    snprintf(scaling_note, sizeof scaling_note, "pthreads split over min(concurrency, %d cores), caller included", cpus);

    static const bench_flow_arg par = {FLOW_PARALLEL, 0, 0}, fan10 = {FLOW_FANOUT10, 0, 0},
                                fanlim = {FLOW_FANOUT_LIMITED, 4, 0};
    bench_add(&(bench_case){
        .name = "ParallelProcessing",
        .what = "parallel(×2, ×3, ×4 of 42, reduce: sum)",
        .arg = &par,
        .fluxus = FX(par),
        .limit = LIMIT,
        .peer = PEER_FLOW,
        .floor = {bench_floor_setup, floor_par_run, bench_floor_teardown},
        .limit_note = "three direct calls and a sum (the work is a few ns: any hand-off costs more)",
        .floor_note = "the three stages and the sum in sequence, a ctx check before each; fx_ctx_reset per op",
        .peer_note = "task_group, 3 tasks",
        .go_fluxus_ns = 1448,
    });
    bench_add(&(bench_case){
        .name = "FanOut",
        .what = "fanout of 10 stages formatting \"%s-%d\"",
        .arg = &fan10,
        .fluxus = FX(fan10),
        .limit = LIMIT,
        .peer = PEER_FLOW,
        .limit_note = "ten direct calls (the work is ~50 ns each: any hand-off costs more)",
        .peer_note = "task_group, 10 tasks",
        .go_fluxus_ns = 4276,
    });
    bench_add(&(bench_case){
        .name = "FanOutConcurrencyLimited",
        .what = "fanout of 100 stages (1000 × x = x*31 % 997, then \"%s-%d\"), concurrency 4",
        .arg = &fanlim,
        .fluxus = FX(fanlim),
        .limit = LIMIT,
        .peer = PEER_FLOW,
        .limit_note = split_note,
        .peer_note = "task_arena(4) + task_group, 100 tasks",
        .go_fluxus_ns = 203617,
    });

    static const bench_flow_arg scale[] = {{FLOW_SCALING, 1, 0},  {FLOW_SCALING, 2, 0},  {FLOW_SCALING, 4, 0},
                                           {FLOW_SCALING, 8, 0},  {FLOW_SCALING, 16, 0}, {FLOW_SCALING, 32, 0},
                                           {FLOW_SCALING, 0, 0}};
    static const bench_impl scale_fx[] = {FX(scale1), FX(scale2), FX(scale4), FX(scale8),
                                          FX(scale16), FX(scale32), FX(scale0)};
    static const char *const scale_names[] = {
        "ConcurrencyScaling/conc-1",  "ConcurrencyScaling/conc-2",  "ConcurrencyScaling/conc-4",
        "ConcurrencyScaling/conc-8",  "ConcurrencyScaling/conc-16", "ConcurrencyScaling/conc-32",
        "ConcurrencyScaling/unlimited"};
    static const double scale_go[] = {341784, 191528, 0, 0, 0, 0, 0};
    for (size_t k = 0; k < 7; k++)
        bench_add(&(bench_case){
            .name = scale_names[k],
            .what = "fanout of 100 stages of 1000 × r = r*17 % 987",
            .arg = &scale[k],
            .fluxus = scale_fx[k],
            .limit = LIMIT,
            .peer = PEER_FLOW,
            .limit_note = k == 0 ? "100 direct calls" : scaling_note,
            .peer_note = k == 6 ? "task_group, 100 tasks" : "task_arena(concurrency) + task_group, 100 tasks",
            .go_fluxus_ns = scale_go[k],
        });

    static const bench_flow_arg maps[] = {
        {FLOW_MAP, 1, 10},   {FLOW_MAP, 2, 10},   {FLOW_MAP, 8, 10},   {FLOW_MAP, 0, 10},
        {FLOW_MAP, 1, 100},  {FLOW_MAP, 2, 100},  {FLOW_MAP, 8, 100},  {FLOW_MAP, 0, 100},
        {FLOW_MAP, 1, 1000}, {FLOW_MAP, 2, 1000}, {FLOW_MAP, 8, 1000}, {FLOW_MAP, 0, 1000}};
    static const bench_impl map_fx[] = {
        {fx_map1_setup, fx_map_run, fx_map_teardown},
        {fx_map2_setup, fx_map_run, fx_map_teardown},
        {fx_map8_setup, fx_map_run, fx_map_teardown},
        {fx_mapdef_setup, fx_map_run, fx_map_teardown},
    };
    static const char *const map_names[] = {
        "Map/10/conc-1",   "Map/10/conc-2",   "Map/10/conc-8",   "Map/10/default",
        "Map/100/conc-1",  "Map/100/conc-2",  "Map/100/conc-8",  "Map/100/default",
        "Map/1000/conc-1", "Map/1000/conc-2", "Map/1000/conc-8", "Map/1000/default"};
    static const char map_floor_seq[] =
        "[str] from fx_alloc; per item: ctx check, the stage (fx_allocs the item's string); fx_ctx_reset per op";
    static const char map_floor_par[] =
        "[str] from fx_alloc; a runtime of its own, all defaults (the fluxus way runs on the default one); "
        "fx_group_init_at at a site in the instance, min(C, N, threads) tasks on the stack taking a cursor in "
        "chunks, fx_group_wait; per item: ctx check, the stage (fx_allocs the item's string); fx_ctx_reset per op";
    for (size_t k = 0; k < 12; k++)
        bench_add(&(bench_case){
            .name = map_names[k],
            .what = "map of 50 × r = (r*17+13) % 1000000, then itoa, over N items",
            .arg = &maps[k],
            .fluxus = map_fx[k % 4],
            .limit = LIMIT,
            .peer = PEER_FLOW,
            .limit_note = maps[k].conc == 1 ? "a direct loop" : scaling_note,
            .floor = {floor_map_setup, floor_map_run, floor_map_teardown},
            .peer_note = maps[k].conc == 0 ? "parallel_for" : "task_arena(concurrency) + parallel_for",
            .floor_note = maps[k].conc == 1 ? map_floor_seq : map_floor_par,
            .go_fluxus_ns = k == 9 ? 630541 : 0,
        });
}
