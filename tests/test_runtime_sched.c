/* tests/test_runtime_sched.c — the worker pool and task groups (fluxus/sched.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#include <fluxus/fluxus.h>

#include "fx_test.h"
#include "malloc_count.h"

#define MS FX_TEST_MS

/* Spins (yielding) until cond holds or ~5 s pass; the result of cond. */
static bool spin_for(atomic_int *v, int want)
{
    int64_t give_up = fx_clock_now(NULL) + 5000 * MS;
    while (atomic_load(v) < want) {
        if (fx_clock_now(NULL) > give_up) return false;
        sched_yield();
    }
    return true;
}

/* ------------------------------------------------------------ plain tasks */

typedef struct sq_task {
    fx_task task;
    int64_t in;
    int64_t out;
} sq_task;

static int square(fx_task *t, fx_ctx *ctx)
{
    (void)ctx;
    sq_task *s = (sq_task *)(void *)t;
    s->out = s->in * s->in;
    return 0;
}

static void run_squares(fx_runtime *rt, fx_ctx *ctx, sq_task *tasks, int n, int concurrency)
{
    fx_group g;
    assert_int_equal(fx_group_init(&g, rt, ctx, concurrency), 0);
    for (int i = 0; i < n; i++) {
        tasks[i] = (sq_task){ .task = { .fn = square, .index = i }, .in = i };
        fx_group_spawn(&g, &tasks[i].task);
    }
    assert_int_equal(fx_group_wait(&g), 0);
    assert_null(fx_group_failed(&g));
    for (int i = 0; i < n; i++) assert_int_equal(tasks[i].out, (int64_t)i * i);
}

/* Spawns n squares into an initialized group (not waited for). */
static void run_squares_into(fx_group *g, sq_task *tasks, int n)
{
    for (int i = 0; i < n; i++) {
        tasks[i] = (sq_task){ .task = { .fn = square, .index = i }, .in = i };
        fx_group_spawn(g, &tasks[i].task);
    }
}

static void test_runtime_sched_runs_every_task(void **state)
{
    (void)state;
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){ .threads = 4 });
    fx_ctx *ctx = fx_ctx_new();
    sq_task tasks[100];
    run_squares(rt, ctx, tasks, 100, 0);
    run_squares(rt, ctx, tasks, 100, 1);
    run_squares(rt, ctx, tasks, 7, 3);
    run_squares(rt, ctx, tasks, 0, 0);            /* an empty group returns at once */
    run_squares(NULL, ctx, tasks, 10, 0);         /* the default runtime */
    fx_ctx_free(ctx);
    fx_runtime_free(rt);
}

/* A runtime that never ran a task has no threads; one that did joins them. */
static void test_runtime_sched_runtime_free_joins_workers(void **state)
{
    (void)state;
    for (int round = 0; round < 20; round++) {
        fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){ .threads = 1 + round % 4 });
        fx_ctx *ctx = fx_ctx_new();
        if (round % 2 == 0) {
            sq_task tasks[8];
            run_squares(rt, ctx, tasks, 8, 0);
        }
        fx_ctx_free(ctx);
        fx_runtime_free(rt);
    }
}

/* ------------------------------------------------------------ concurrency limit */

typedef struct flight {
    atomic_int in_flight;
    atomic_int max;
    atomic_int started;
    int limit;
} flight;

typedef struct fl_task {
    fx_task task;
    flight *f;
} fl_task;

/* Holds its slot until `limit` tasks are in flight (or 20 ms pass), so the
 * observed maximum reaches the limit whenever the pool can get there. */
static int hold_slot(fx_task *t, fx_ctx *ctx)
{
    (void)ctx;
    flight *f = ((fl_task *)(void *)t)->f;
    int now = atomic_fetch_add(&f->in_flight, 1) + 1;
    atomic_fetch_add(&f->started, 1);
    int seen = atomic_load(&f->max);
    while (now > seen && !atomic_compare_exchange_weak(&f->max, &seen, now)) {
    }
    int64_t until = fx_clock_now(NULL) + 20 * MS;
    while (atomic_load(&f->in_flight) < f->limit && fx_clock_now(NULL) < until) sched_yield();
    fx_clock_sleep(NULL, NULL, 1 * MS);
    atomic_fetch_sub(&f->in_flight, 1);
    return 0;
}

static void observe_limit(int threads, int limit, int ntasks)
{
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){ .threads = threads });
    fx_ctx *ctx = fx_ctx_new();
    flight f = { .limit = limit };
    fl_task tasks[64];
    fx_group g;
    assert_int_equal(fx_group_init(&g, rt, ctx, limit), 0);
    for (int i = 0; i < ntasks; i++) {
        tasks[i] = (fl_task){ .task = { .fn = hold_slot, .index = i }, .f = &f };
        fx_group_spawn(&g, &tasks[i].task);
    }
    assert_int_equal(fx_group_wait(&g), 0);
    assert_int_equal(atomic_load(&f.started), ntasks);
    assert_int_equal(atomic_load(&f.max), limit);
    fx_ctx_free(ctx);
    fx_runtime_free(rt);
}

static void test_runtime_sched_concurrency_limit_is_exact(void **state)
{
    (void)state;
    observe_limit(4, 2, 20);
    observe_limit(4, 3, 30);
    observe_limit(2, 1, 10);
    observe_limit(1, 2, 10);     /* one worker + the helping waiter */
    observe_limit(8, 8, 64);
}

static void test_runtime_sched_spawn_allocates_nothing(void **state)
{
    (void)state;
    assert_true(fx_test_malloc_wrapped());
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){ .threads = 3 });
    fx_ctx *ctx = fx_ctx_new();
    sq_task tasks[32];
    /* Warm-up: the threads, and as many task contexts as can ever be alive
     * at once (3 workers + the waiter), which the root then recycles. */
    flight f = { .limit = 4 };
    fl_task hold[4];
    fx_group g;
    assert_int_equal(fx_group_init(&g, rt, ctx, 0), 0);
    for (int i = 0; i < 4; i++) {
        hold[i] = (fl_task){ .task = { .fn = hold_slot, .index = i }, .f = &f };
        fx_group_spawn(&g, &hold[i].task);
    }
    assert_int_equal(fx_group_wait(&g), 0);
    assert_int_equal(atomic_load(&f.max), 4);
    size_t before = fx_test_malloc_calls();
    for (int i = 0; i < 1000; i++) run_squares(rt, ctx, tasks, 32, i % 5);
    assert_int_equal(fx_test_malloc_calls() - before, 0);
    fx_ctx_free(ctx);
    fx_runtime_free(rt);
}

/* ------------------------------------------------------------ failure */

typedef struct fail_task {
    fx_task task;
    int fail_code;              /* 0: succeed after polling; else fail with it */
    atomic_bool *release;       /* the failing task waits for this */
    atomic_int *polled_out;     /* siblings that saw their ctx done */
    int rc_seen;
} fail_task;

static int fail_or_poll(fx_task *t, fx_ctx *ctx)
{
    fail_task *f = (fail_task *)(void *)t;
    if (f->fail_code != 0) {
        while (!atomic_load(f->release)) sched_yield();
        return fx_fail(ctx, f->fail_code, "task %d broke", t->index);
    }
    int64_t give_up = fx_clock_now(NULL) + 5000 * MS;
    atomic_store(f->release, true);
    while (!fx_ctx_done(ctx)) {
        if (fx_clock_now(NULL) > give_up) return 0;   /* would fail the test below */
        sched_yield();
    }
    atomic_fetch_add(f->polled_out, 1);
    f->rc_seen = fx_ctx_err(ctx);
    return f->rc_seen;
}

static void test_runtime_sched_first_failure_cancels_siblings(void **state)
{
    (void)state;
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){ .threads = 4 });
    fx_ctx *ctx = fx_ctx_new();
    atomic_bool release = false;
    atomic_int polled = 0;
    fail_task tasks[4];
    fx_group g;
    assert_int_equal(fx_group_init(&g, rt, ctx, 0), 0);
    for (int i = 0; i < 4; i++) {
        tasks[i] = (fail_task){ .task = { .fn = fail_or_poll, .index = i }, .fail_code = i == 1 ? 42 : 0,
                                .release = &release, .polled_out = &polled };
        fx_group_spawn(&g, &tasks[i].task);
    }
    assert_int_equal(fx_group_wait(&g), 42);
    const fx_task *bad = fx_group_failed(&g);
    assert_non_null(bad);
    assert_int_equal(bad->index, 1);
    assert_int_equal(bad->rc, 42);
    assert_non_null(bad->error);
    assert_int_equal(bad->error->code, 42);
    assert_string_equal(bad->error->message, "task 1 broke");
    assert_int_equal(atomic_load(&polled), 3);
    for (int i = 0; i < 4; i++)
        if (i != 1) {
            assert_int_equal(tasks[i].rc_seen, FX_ECANCELED);
            assert_null(tasks[i].task.error);
        }
    assert_false(fx_ctx_done(ctx));               /* the caller's ctx is not cancelled */
    fx_ctx_free(ctx);
    fx_runtime_free(rt);
}

typedef struct late_task {
    fx_task task;
    bool ran;
    bool was_done;
} late_task;

static int note_ctx(fx_task *t, fx_ctx *ctx)
{
    late_task *l = (late_task *)(void *)t;
    l->ran = true;
    l->was_done = fx_ctx_done(ctx);
    return t->index == 0 ? 7 : 0;
}

/* Tasks queued behind a failure still run exactly once, on a done ctx. */
static void test_runtime_sched_tasks_after_failure_run_on_done_ctx(void **state)
{
    (void)state;
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){ .threads = 2 });
    fx_ctx *ctx = fx_ctx_new();
    late_task tasks[10];
    fx_group g;
    assert_int_equal(fx_group_init(&g, rt, ctx, 1), 0);   /* one at a time, in order */
    for (int i = 0; i < 10; i++) {
        tasks[i] = (late_task){ .task = { .fn = note_ctx, .index = i } };
        fx_group_spawn(&g, &tasks[i].task);
    }
    assert_int_equal(fx_group_wait(&g), 7);
    assert_int_equal(fx_group_failed(&g)->index, 0);
    for (int i = 0; i < 10; i++) {
        assert_true(tasks[i].ran);
        assert_int_equal(tasks[i].was_done, i > 0);
    }
    fx_ctx_free(ctx);
    fx_runtime_free(rt);
}

static void test_runtime_sched_cancelled_caller_ctx_reaches_tasks(void **state)
{
    (void)state;
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){ .threads = 2 });
    fx_ctx *ctx = fx_ctx_new();
    fx_ctx_cancel(ctx);
    late_task tasks[3];
    fx_group g;
    assert_int_equal(fx_group_init(&g, rt, ctx, 0), 0);
    for (int i = 0; i < 3; i++) {
        tasks[i] = (late_task){ .task = { .fn = note_ctx, .index = i + 1 } };
        fx_group_spawn(&g, &tasks[i].task);
    }
    assert_int_equal(fx_group_wait(&g), 0);
    for (int i = 0; i < 3; i++) assert_true(tasks[i].was_done);
    fx_ctx_free(ctx);
    fx_runtime_free(rt);
}

/* ------------------------------------------------------------ nesting */

typedef struct nest_task {
    fx_task task;
    fx_runtime *rt;
    int depth;
    atomic_int *leaves;
} nest_task;

/* A tree of groups: each level spawns 4 tasks and waits for them, so every
 * worker ends up waiting inside a task. Work-helping must finish it. */
static int nest(fx_task *t, fx_ctx *ctx)
{
    nest_task *n = (nest_task *)(void *)t;
    if (n->depth == 0) {
        atomic_fetch_add(n->leaves, 1);
        return 0;
    }
    nest_task kids[4];
    fx_group g;
    int rc = fx_group_init(&g, n->rt, ctx, t->index % 2 == 0 ? 0 : 2);
    if (rc != 0) return rc;
    for (int i = 0; i < 4; i++) {
        kids[i] = (nest_task){ .task = { .fn = nest, .index = i }, .rt = n->rt, .depth = n->depth - 1,
                               .leaves = n->leaves };
        fx_group_spawn(&g, &kids[i].task);
    }
    return fx_group_wait(&g);
}

static void run_nested(int threads, int depth, int expect_leaves)
{
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){ .threads = threads });
    fx_ctx *ctx = fx_ctx_new();
    atomic_int leaves = 0;
    nest_task root = { .task = { .fn = nest, .index = 0 }, .rt = rt, .depth = depth, .leaves = &leaves };
    assert_int_equal(nest(&root.task, ctx), 0);
    assert_int_equal(atomic_load(&leaves), expect_leaves);
    fx_ctx_free(ctx);
    fx_runtime_free(rt);
}

static void test_runtime_sched_nested_groups_never_deadlock(void **state)
{
    (void)state;
    run_nested(1, 4, 256);
    run_nested(2, 4, 256);
    run_nested(2, 6, 4096);
    run_nested(8, 5, 1024);
}

/* Many threads each running groups on one runtime at once. */
typedef struct client {
    fx_runtime *rt;
    int failures;
    pthread_t thread;
} client;

static void *client_main(void *arg)
{
    client *c = arg;
    fx_ctx *ctx = fx_ctx_new();
    for (int round = 0; round < 200; round++) {
        sq_task tasks[16];
        fx_group g;
        if (fx_group_init(&g, c->rt, ctx, round % 3) != 0) {
            c->failures++;
            continue;
        }
        for (int i = 0; i < 16; i++) {
            tasks[i] = (sq_task){ .task = { .fn = square, .index = i }, .in = i + round };
            fx_group_spawn(&g, &tasks[i].task);
        }
        if (fx_group_wait(&g) != 0) c->failures++;
        for (int i = 0; i < 16; i++)
            if (tasks[i].out != (int64_t)(i + round) * (i + round)) c->failures++;
        fx_ctx_reset(ctx);
    }
    fx_ctx_free(ctx);
    return NULL;
}

static void test_runtime_sched_many_callers_share_a_runtime(void **state)
{
    (void)state;
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){ .threads = 3 });
    client clients[6];
    for (int i = 0; i < 6; i++) {
        clients[i] = (client){ .rt = rt };
        assert_int_equal(pthread_create(&clients[i].thread, NULL, client_main, &clients[i]), 0);
    }
    for (int i = 0; i < 6; i++) {
        assert_int_equal(pthread_join(clients[i].thread, NULL), 0);
        assert_int_equal(clients[i].failures, 0);
    }
    fx_runtime_free(rt);
}

/* A task may spawn more tasks into its own group while the owner waits. */
typedef struct spawner {
    fx_task task;
    fx_group *g;
    sq_task *extra;
} spawner;

static int spawn_more(fx_task *t, fx_ctx *ctx)
{
    (void)ctx;
    spawner *s = (spawner *)(void *)t;
    for (int i = 0; i < 5; i++) {
        s->extra[i] = (sq_task){ .task = { .fn = square, .index = i }, .in = i + 10 };
        fx_group_spawn(s->g, &s->extra[i].task);
    }
    return 0;
}

static void test_runtime_sched_task_spawns_into_its_group(void **state)
{
    (void)state;
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){ .threads = 2 });
    fx_ctx *ctx = fx_ctx_new();
    fx_group g;
    sq_task extra[5];
    spawner s = { .task = { .fn = spawn_more }, .g = &g, .extra = extra };
    assert_int_equal(fx_group_init(&g, rt, ctx, 0), 0);
    fx_group_spawn(&g, &s.task);
    assert_int_equal(fx_group_wait(&g), 0);
    for (int i = 0; i < 5; i++) assert_int_equal(extra[i].out, (int64_t)(i + 10) * (i + 10));
    fx_ctx_free(ctx);
    fx_runtime_free(rt);
}

/* fx_group_cancel from a task reaches every task's ctx. */
typedef struct canceller {
    fx_task task;
    fx_group *g;
    atomic_int *count;
    bool saw_done;
} canceller;

static int cancel_or_wait(fx_task *t, fx_ctx *ctx)
{
    canceller *c = (canceller *)(void *)t;
    if (t->index == 0) {
        spin_for(c->count, 2);
        fx_group_cancel(c->g);
        return 0;
    }
    atomic_fetch_add(c->count, 1);
    int64_t give_up = fx_clock_now(NULL) + 5000 * MS;
    while (!fx_ctx_done(ctx) && fx_clock_now(NULL) < give_up) sched_yield();
    c->saw_done = fx_ctx_done(ctx);
    return 0;
}

static void test_runtime_sched_group_cancel(void **state)
{
    (void)state;
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){ .threads = 3 });
    fx_ctx *ctx = fx_ctx_new();
    fx_group g;
    atomic_int count = 0;
    canceller cs[3];
    assert_int_equal(fx_group_init(&g, rt, ctx, 0), 0);
    for (int i = 0; i < 3; i++) {
        cs[i] = (canceller){ .task = { .fn = cancel_or_wait, .index = i }, .g = &g, .count = &count };
        fx_group_spawn(&g, &cs[i].task);
    }
    assert_int_equal(fx_group_wait(&g), 0);
    assert_true(cs[1].saw_done);
    assert_true(cs[2].saw_done);
    assert_false(fx_ctx_done(ctx));
    fx_ctx_free(ctx);
    fx_runtime_free(rt);
}

/* ------------------------------------------------------------ call sites */

/* fx_group_site.fx__state bits (sched.c) */
enum { SITE_INLINE_KNOWN = 1, SITE_PAR_KNOWN = 2, SITE_INLINE_STRIKE = 4, SITE_DECIDED = 16, SITE_BURST_SHIFT = 12 };

/* A site that has timed both ways: inline_ns for in_units on the caller,
 * par_ns for par_units on the workers; `runs` groups started there (no
 * multiple of 16 or 64 is a timed refresh, 63 mod 64 an exploration). */
static fx_group_site learnt_site(unsigned runs, unsigned inline_ns, unsigned in_units, unsigned par_ns,
                                 unsigned par_units)
{
    return (fx_group_site){ .fx__runs = runs, .fx__state = SITE_INLINE_KNOWN | SITE_PAR_KNOWN,
                            .fx__cost_ns = inline_ns, .fx__units = in_units,
                            .fx__par_ns = par_ns, .fx__par_units = par_units };
}

/* Starts and ends an empty group at site: true when it ran on the caller. */
static bool ran_inline(fx_runtime *rt, fx_ctx *ctx, fx_group_site *site, size_t units)
{
    fx_group g;
    assert_int_equal(fx_group_init_at(&g, rt, ctx, 0, site, units), 0);
    bool on_caller = fx_group_ctx(&g) == ctx;
    assert_int_equal(fx_group_wait(&g), 0);
    return on_caller;
}

typedef struct where_task {
    fx_task task;
    pthread_t ran_on;
    fx_ctx *ctx_seen;
    bool was_done;
    int fail_code;
    int64_t sleep_ns;
} where_task;

static int note_where(fx_task *t, fx_ctx *ctx)
{
    where_task *w = (where_task *)(void *)t;
    w->ran_on = pthread_self();
    w->ctx_seen = ctx;
    w->was_done = fx_ctx_done(ctx);
    if (w->sleep_ns > 0) fx_clock_sleep(fx_clock_real(), ctx, w->sleep_ns);
    if (w->fail_code != 0) return fx_fail(ctx, w->fail_code, "task %d broke", t->index);
    return 0;
}

static void spawn_where(fx_group *g, where_task *tasks, int n)
{
    for (int i = 0; i < n; i++) {
        tasks[i].task = (fx_task){ .fn = note_where, .index = i };
        fx_group_spawn(g, &tasks[i].task);
    }
}

/* A site known to be cheap: its groups run on the caller, in order, on the
 * caller's own ctx, whose earlier error record is left as it was. */
static void test_runtime_sched_cheap_site_runs_on_the_caller(void **state)
{
    (void)state;
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){ .threads = 2 });
    fx_ctx *ctx = fx_ctx_new();
    assert_int_equal(fx_fail(ctx, 99, "earlier"), 99);
    const fx_error *before = fx_ctx_error(ctx);
    /* runs = 1: no run of this test is one of the site's timed ones */
    fx_group_site site = learnt_site(1, 100, 8, 5000, 8);
    for (int round = 0; round < 10; round++) {
        where_task tasks[8] = { 0 };
        fx_group g;
        assert_int_equal(fx_group_init_at(&g, rt, ctx, 0, &site, 8), 0);
        assert_ptr_equal(fx_group_ctx(&g), ctx);   /* no group context */
        spawn_where(&g, tasks, 8);
        assert_int_equal(fx_group_wait(&g), 0);
        assert_null(fx_group_failed(&g));
        for (int i = 0; i < 8; i++) {
            assert_true(pthread_equal(tasks[i].ran_on, pthread_self()));
            assert_ptr_equal(tasks[i].ctx_seen, ctx);
            assert_false(tasks[i].was_done);
        }
        assert_ptr_equal(fx_ctx_error(ctx), before);
        assert_int_equal(fx_ctx_error(ctx)->code, 99);
    }
    assert_int_equal(site.fx__cost_ns, 100);   /* untimed: the site learnt nothing new */
    assert_int_equal(site.fx__runs, 11);
    fx_ctx_free(ctx);
    fx_runtime_free(rt);
}

/* A failure in a group run on the caller: recorded like any group's, the
 * tasks after it run once each on a cancelled group context. */
static void test_runtime_sched_cheap_site_failure(void **state)
{
    (void)state;
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){ .threads = 2 });
    fx_ctx *ctx = fx_ctx_new();
    fx_group_site site = learnt_site(1, 100, 4, 5000, 4);
    where_task tasks[4] = { [1] = { .fail_code = 42 } };
    fx_group g;
    assert_int_equal(fx_group_init_at(&g, rt, ctx, 3, &site, 4), 0);
    spawn_where(&g, tasks, 4);
    assert_int_equal(fx_group_wait(&g), 42);
    const fx_task *bad = fx_group_failed(&g);
    assert_non_null(bad);
    assert_int_equal(bad->index, 1);
    assert_int_equal(bad->error->code, 42);
    assert_string_equal(bad->error->message, "task 1 broke");
    assert_ptr_equal(tasks[0].ctx_seen, ctx);
    assert_false(tasks[0].was_done);
    for (int i = 2; i < 4; i++) {
        assert_ptr_not_equal(tasks[i].ctx_seen, ctx);
        assert_true(tasks[i].was_done);
        assert_true(pthread_equal(tasks[i].ran_on, pthread_self()));
    }
    assert_false(fx_ctx_done(ctx));
    fx_ctx_free(ctx);
    fx_runtime_free(rt);
}

/* Concurrency 1 always runs on the caller; a cheap site's group with many
 * more units than measured does not. */
static void test_runtime_sched_inline_choice(void **state)
{
    (void)state;
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){ .threads = 2 });
    fx_ctx *ctx = fx_ctx_new();
    sq_task tasks[16];
    fx_group g;
    assert_int_equal(fx_group_init(&g, rt, ctx, 1), 0);
    assert_ptr_equal(fx_group_ctx(&g), ctx);
    for (int i = 0; i < 16; i++) {
        tasks[i] = (sq_task){ .task = { .fn = square, .index = i }, .in = i };
        fx_group_spawn(&g, &tasks[i].task);
    }
    assert_int_equal(fx_group_wait(&g), 0);
    for (int i = 0; i < 16; i++) assert_int_equal(tasks[i].out, (int64_t)i * i);

    fx_group_site site = learnt_site(1, 3000, 10, 6000, 10);
    assert_int_equal(fx_group_init_at(&g, rt, ctx, 0, &site, 10), 0);   /* 3 us: inline */
    assert_ptr_equal(fx_group_ctx(&g), ctx);
    assert_int_equal(fx_group_wait(&g), 0);
    assert_int_equal(fx_group_init_at(&g, rt, ctx, 0, &site, 100), 0);  /* about 30 us: not */
    assert_ptr_not_equal(fx_group_ctx(&g), ctx);
    run_squares_into(&g, tasks, 16);
    assert_int_equal(fx_group_wait(&g), 0);
    for (int i = 0; i < 16; i++) assert_int_equal(tasks[i].out, (int64_t)i * i);
    fx_ctx_free(ctx);
    fx_runtime_free(rt);
}

/* A site's timed inline run that takes longer than the budget sends its
 * next groups to the workers, but only once a second timed run confirms
 * it. And a new site's first groups run in parallel, then a timed burst. */
static void test_runtime_sched_site_learns_expensive(void **state)
{
    (void)state;
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){ .threads = 2 });
    fx_ctx *ctx = fx_ctx_new();
    fx_group_site site = learnt_site(0, 100, 2, 5000, 2);
    where_task tasks[2] = { [0] = { .sleep_ns = 2 * MS }, [1] = { .sleep_ns = 2 * MS } };
    fx_group g;
    /* Two slow timed runs in a row: one alone only puts the site on
     * probation (a preemption must not move it). */
    for (int strike = 0; strike < 2; strike++) {
        assert_int_equal(fx_group_init_at(&g, rt, ctx, 0, &site, 2), 0);   /* run 0, then probation: timed */
        assert_ptr_equal(fx_group_ctx(&g), ctx);
        spawn_where(&g, tasks, 2);
        assert_int_equal(fx_group_wait(&g), 0);
        if (strike == 0) {
            assert_true(site.fx__state & SITE_INLINE_STRIKE);
            assert_int_equal(site.fx__cost_ns, 100);
        } else {
            assert_false(site.fx__state & SITE_INLINE_STRIKE);
            assert_true(site.fx__cost_ns >= 4 * MS);   /* two 2 ms tasks, one after the other */
        }
    }
    assert_false(ran_inline(rt, ctx, &site, 2));

    /* A new site: parallel runs, untimed while no worker spins (these empty
     * groups wake none), at most 63 of them, then a burst of three timed. */
    fx_group_site fresh = { 0 };
    int runs = 0;
    while (!(fresh.fx__state & SITE_PAR_KNOWN) || (fresh.fx__state >> SITE_BURST_SHIFT & 3u)) {
        assert_false(ran_inline(rt, ctx, &fresh, 2));
        assert_true(++runs <= 63 + 3);
    }
    assert_int_equal(fresh.fx__runs, (unsigned)runs);
    fx_ctx_free(ctx);
    fx_runtime_free(rt);
}

/* Where the workers were faster, groups of that size go to them, and
 * smaller ones (whose time on the caller is below the workers' hand-off)
 * stay on the caller; now and then one runs on the caller again, timed,
 * in case that changed. */
static void test_runtime_sched_site_prefers_the_faster_way(void **state)
{
    (void)state;
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){ .threads = 2 });
    fx_ctx *ctx = fx_ctx_new();
    /* 170 ns per unit on the caller, 1.5 us for 10 units on the workers */
    fx_group_site site = learnt_site(1, 1700, 10, 1500, 10);
    assert_false(ran_inline(rt, ctx, &site, 10));
    assert_true(ran_inline(rt, ctx, &site, 5));     /* 850 ns < 1.5 us */
    assert_false(ran_inline(rt, ctx, &site, 100));  /* past the inline budget */
    site.fx__runs = 63;                             /* an exploring run */
    assert_true(ran_inline(rt, ctx, &site, 10));
    assert_int_equal(site.fx__runs, 64);
    /* Beyond the inline budget the caller is never tried. */
    fx_group_site big = learnt_site(63, 1700, 10, 1500, 10);
    assert_false(ran_inline(rt, ctx, &big, 1000));
    fx_ctx_free(ctx);
    fx_runtime_free(rt);
}

/* A site whose last timed run on the caller came out a little over the
 * inline budget (a busy moment) goes to the workers, but still tries the
 * caller now and then, and comes back to it when that is within the budget
 * again: one slow sample must not keep it on workers three times slower
 * for good. */
static void test_runtime_sched_site_over_budget_tries_the_caller_again(void **state)
{
    (void)state;
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){ .threads = 2 });
    fx_ctx *ctx = fx_ctx_new();
    /* 4.4 us for 1000 units on the caller (the budget is 4 us), 13 us on
     * the workers: the workers now, the caller tried every 1024th run (the
     * back-off floor for a 3x difference). */
    fx_group_site site = learnt_site(1, 4400, 1000, 13000, 1000);
    assert_false(ran_inline(rt, ctx, &site, 1000));
    site.fx__runs = 1023;
    assert_true(ran_inline(rt, ctx, &site, 1000));   /* the try, timed: an empty group */
    assert_true(site.fx__cost_ns < 4000);
    assert_true(ran_inline(rt, ctx, &site, 1000));   /* back on the caller */
    /* Twice the budget and more: never tried. */
    fx_group_site far = learnt_site(1023, 8800, 1000, 13000, 1000);
    assert_false(ran_inline(rt, ctx, &far, 1000));
    fx_ctx_free(ctx);
    fx_runtime_free(rt);
}

/* A site that prefers the caller tries the workers now and then, in a
 * burst of three timed parallel runs (with spinning on, timed only once a
 * worker spins: a sleeping one takes longer to wake than such a burst),
 * but only while its time on the caller is at least half of theirs, and
 * seldom enough that the tries cost about 1% (100 x 3 runs x 0.4 lost):
 * here, where the workers take 1.4x as long, every 128th run. */
static void test_runtime_sched_site_explores_the_workers(void **state)
{
    (void)state;
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){ .threads = 2, .spin_us = -1 });
    fx_ctx *ctx = fx_ctx_new();
    fx_group_site site = learnt_site(62, 1000, 10, 1400, 10);
    assert_true(ran_inline(rt, ctx, &site, 10));    /* run 62 */
    assert_true(ran_inline(rt, ctx, &site, 10));    /* run 63: not yet */
    site.fx__runs = 127;
    for (int i = 0; i < 3; i++) {                   /* runs 127..129, all timed */
        assert_false(ran_inline(rt, ctx, &site, 10));
        assert_int_equal(site.fx__state >> SITE_BURST_SHIFT & 3u, (unsigned)(2 - i));
    }
    /* 30 ns on the caller against 1.2 us on the workers: never tried */
    fx_group_site tiny = learnt_site(62, 30, 3, 1200, 3);
    for (int i = 0; i < 200; i++) {
        if (tiny.fx__runs % 64 == 0) tiny.fx__runs++;   /* skip the timed refreshes */
        assert_true(ran_inline(rt, ctx, &tiny, 3));
    }
    assert_int_equal(tiny.fx__par_ns, 1200);
    fx_ctx_free(ctx);
    fx_runtime_free(rt);
}

/* After a timed run, which noted this machine's real time for an empty
 * group (several microseconds under valgrind, past the inline budget):
 * the site as it was settled, its run count aside, so that these tests
 * see the choice of a settled site whatever the machine. */
static void keep_settled(fx_group_site *site, const fx_group_site *settled)
{
    unsigned runs = site->fx__runs;
    *site = *settled;
    site->fx__runs = runs;
}

/* A site decided for the caller starts its groups there without asking
 * the scheduler (fx_group_init_at's fast path), and still counts every run,
 * times every 64th and sets the caller's record aside and back, as the
 * full choice does. */
static void test_runtime_sched_site_decided_stays_on_the_caller(void **state)
{
    (void)state;
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){ .threads = 2 });
    fx_ctx *ctx = fx_ctx_new();
    /* 390 ns per unit on the caller (within the budget for 10), 50 us on the workers */
    fx_group_site site = learnt_site(1, 3900, 10, 50000, 10);
    fx_group g;
    assert_int_equal(fx_group_init_at(&g, rt, ctx, 0, &site, 10), 0);   /* decides */
    assert_null(fx_group_end_inline(&g, 0));
    const fx_group_site settled = site;
    assert_int_equal(fx_fail(ctx, 7, "earlier"), 7);
    const fx_error *earlier = fx_ctx_error(ctx);
    int fast = 0;
    for (int i = 0; i < 300; i++) {
        unsigned run = site.fx__runs, st = site.fx__state;
        bool fast_expected = run % 64 != 0 && run % 64 != 63 && (st & SITE_DECIDED) &&
                             !(st & SITE_INLINE_STRIKE);
        assert_int_equal(fx_group_init_at(&g, rt, ctx, 0, &site, 10), 0);
        assert_true(fx_group_is_inline(&g));
        bool timed = g.fx__p.timed;
        if (run % 64 == 0) assert_true(timed);
        if (fast_expected) {
            assert_false(timed);
            fast++;
        }
        assert_int_equal(site.fx__runs, run + 1);
        assert_null(fx_ctx_error(ctx));                 /* set aside for the group */
        assert_null(fx_group_end_inline(&g, 0));
        assert_ptr_equal(fx_ctx_error(ctx), earlier);   /* and put back */
        if (timed) keep_settled(&site, &settled);
    }
    assert_true(fast >= 280);
    /* A failure on the fast path is the group's cause, and stays recorded. */
    site.fx__runs = 5;
    assert_int_equal(fx_group_init_at(&g, rt, ctx, 0, &site, 10), 0);
    assert_false(g.fx__p.timed);
    assert_int_equal(fx_fail(ctx, 5, "branch %d", 2), 5);
    const fx_error *cause = fx_group_end_inline(&g, 5);
    assert_non_null(cause);
    assert_int_equal(cause->code, 5);
    assert_string_equal(cause->message, "branch 2");
    assert_int_equal(fx_ctx_error(ctx)->code, 5);
    fx_ctx_free(ctx);
    fx_runtime_free(rt);
}

/* The header's inline start and end (fluxus/sched.h, what generated fanout
 * and parallel call first): the same choice as fx_group_init_at on a
 * settled site, nothing written when it cannot decide alone, and the
 * caller's record set aside and put back. */
static void test_runtime_sched_site_fast_start_in_the_header(void **state)
{
    (void)state;
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){ .threads = 2 });
    fx_ctx *ctx = fx_ctx_new();
    fx_group_site site = learnt_site(1, 3900, 10, 50000, 10);
    fx_group g;
    assert_false(fx__group_init_fast(&g, ctx, 0, &site, 10));   /* not decided yet */
    assert_int_equal(site.fx__runs, 1);
    assert_int_equal(fx_group_init_at(&g, rt, ctx, 0, &site, 10), 0);   /* decides */
    assert_null(fx__group_end_fast(&g, 0));
    const fx_group_site settled = site;
    assert_int_equal(fx_fail(ctx, 7, "earlier"), 7);
    const fx_error *earlier = fx_ctx_error(ctx);
    int fast = 0;
    for (int i = 0; i < 200; i++) {
        unsigned run = site.fx__runs;
        bool expected = run % 64 != 0 && run % 64 != 63 && !(site.fx__state & SITE_INLINE_STRIKE);
        bool took = fx__group_init_fast(&g, ctx, 0, &site, 10);
        if (!expected) assert_false(took);
        if (!took) {
            assert_int_equal(site.fx__runs, run);   /* untouched: the full choice counts it */
            assert_int_equal(fx_group_init_at(&g, rt, ctx, 0, &site, 10), 0);
        } else {
            fast++;
            assert_false(g.fx__p.timed);
        }
        assert_int_equal(site.fx__runs, run + 1);
        assert_true(fx_group_is_inline(&g));
        bool timed = g.fx__p.timed;
        assert_null(fx_ctx_error(ctx));
        assert_null(fx__group_end_fast(&g, 0));
        assert_ptr_equal(fx_ctx_error(ctx), earlier);
        if (timed) keep_settled(&site, &settled);
    }
    assert_true(fast >= 190);
    assert_false(fx__group_init_fast(&g, ctx, 0, &site, (size_t)1 << 30));   /* beyond fx__inline_max */
    /* A failure ends through fx_group_end_inline: the cause, kept recorded. */
    site.fx__runs = 5;
    assert_true(fx__group_init_fast(&g, ctx, 0, &site, 10));
    assert_int_equal(fx_fail(ctx, 5, "branch %d", 2), 5);
    const fx_error *cause = fx__group_end_fast(&g, 5);
    assert_non_null(cause);
    assert_string_equal(cause->message, "branch 2");
    assert_int_equal(fx_ctx_error(ctx)->code, 5);
    fx_ctx_free(ctx);
    fx_runtime_free(rt);
}

/* A thread that is not the arena's owner, allocating through a context of
 * its own (as a worker's task context does): its first text carves a
 * region from the arena's shared room. */
static void *carve_a_region(void *arg)
{
    fx_ctx *mine = fx_ctx_with_cancel(arg);
    assert_non_null(mine);
    assert_non_null(fx_sprintf(mine, "%s-%d", "test", 7));
    fx_ctx_free(mine);
    return NULL;
}

/* A parallel group makes room, as it starts, for the regions its workers'
 * contexts may carve: a worker allocating for the first time later (here:
 * after a group whose tasks all ran on the owner) calls no malloc. */
static void test_runtime_sched_parallel_group_reserves_worker_room(void **state)
{
    (void)state;
    assert_true(fx_test_malloc_wrapped());
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){ .threads = 2 });
    fx_ctx *root = fx_ctx_new();
    assert_non_null(fx_alloc(root, 16));   /* the owner's first chunk */
    fx_group g;
    assert_int_equal(fx_group_init(&g, rt, root, 0), 0);   /* no site: on the workers */
    assert_false(fx_group_is_inline(&g));
    assert_int_equal(fx_group_wait(&g), 0);   /* nothing spawned: no worker allocated */
    fx_ctx_reset(root);
    size_t before = fx_test_malloc_calls();
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, carve_a_region, root), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(fx_test_malloc_calls() - before, 0);
    fx_ctx_free(root);
    fx_runtime_free(rt);
}

/* fx_group_cancel by a task of a group running on the caller: the tasks
 * after it run on a done context; the caller's is untouched. */
typedef struct inline_canceller {
    fx_task task;
    fx_group *g;
    bool saw_done;
} inline_canceller;

static int cancel_group_or_look(fx_task *t, fx_ctx *ctx)
{
    inline_canceller *c = (inline_canceller *)(void *)t;
    if (t->index == 1) fx_group_cancel(c->g);
    c->saw_done = fx_ctx_done(ctx);
    return 0;
}

static void test_runtime_sched_cancel_inline_group(void **state)
{
    (void)state;
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){ .threads = 2 });
    fx_ctx *ctx = fx_ctx_new();
    fx_group g;
    inline_canceller cs[4];
    assert_int_equal(fx_group_init(&g, rt, ctx, 1), 0);
    for (int i = 0; i < 4; i++) {
        cs[i] = (inline_canceller){ .task = { .fn = cancel_group_or_look, .index = i }, .g = &g };
        fx_group_spawn(&g, &cs[i].task);
    }
    assert_int_equal(fx_group_wait(&g), 0);
    assert_false(cs[0].saw_done);
    assert_true(cs[2].saw_done);
    assert_true(cs[3].saw_done);
    assert_false(fx_ctx_done(ctx));
    fx_ctx_free(ctx);
    fx_runtime_free(rt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runtime_sched_runs_every_task),
        cmocka_unit_test(test_runtime_sched_runtime_free_joins_workers),
        cmocka_unit_test(test_runtime_sched_spawn_allocates_nothing),
        cmocka_unit_test(test_runtime_sched_concurrency_limit_is_exact),
        cmocka_unit_test(test_runtime_sched_first_failure_cancels_siblings),
        cmocka_unit_test(test_runtime_sched_tasks_after_failure_run_on_done_ctx),
        cmocka_unit_test(test_runtime_sched_cancelled_caller_ctx_reaches_tasks),
        cmocka_unit_test(test_runtime_sched_nested_groups_never_deadlock),
        cmocka_unit_test(test_runtime_sched_many_callers_share_a_runtime),
        cmocka_unit_test(test_runtime_sched_task_spawns_into_its_group),
        cmocka_unit_test(test_runtime_sched_group_cancel),
        cmocka_unit_test(test_runtime_sched_cheap_site_runs_on_the_caller),
        cmocka_unit_test(test_runtime_sched_cheap_site_failure),
        cmocka_unit_test(test_runtime_sched_inline_choice),
        cmocka_unit_test(test_runtime_sched_site_learns_expensive),
        cmocka_unit_test(test_runtime_sched_site_prefers_the_faster_way),
        cmocka_unit_test(test_runtime_sched_site_over_budget_tries_the_caller_again),
        cmocka_unit_test(test_runtime_sched_site_explores_the_workers),
        cmocka_unit_test(test_runtime_sched_site_decided_stays_on_the_caller),
        cmocka_unit_test(test_runtime_sched_site_fast_start_in_the_header),
        cmocka_unit_test(test_runtime_sched_parallel_group_reserves_worker_room),
        cmocka_unit_test(test_runtime_sched_cancel_inline_group),
    };
    return cmocka_run_group_tests_name("runtime_sched", tests, NULL, NULL);
}
