/* tests/test_runtime_ctx.c — contexts: cancellation, deadlines, arena,
 * error record, and the gen.h attribution rules. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdalign.h>
#include <stdio.h>
#include <string.h>

#include <fluxus/fluxus.h>

#include "fx_test.h"
#include "malloc_count.h"

#define MS FX_TEST_MS

static void test_ctx_cancel_propagates_down_not_up(void **state)
{
    (void)state;
    fx_ctx *root = fx_ctx_new();
    fx_ctx *parent = fx_ctx_with_cancel(root);
    fx_ctx *child = fx_ctx_with_cancel(parent);
    fx_ctx *grandchild = fx_ctx_with_timeout(child, 3600000 * MS);
    fx_ctx *sibling = fx_ctx_with_cancel(root);
    assert_false(fx_ctx_done(grandchild));
    assert_int_equal(fx_ctx_err(grandchild), 0);

    fx_ctx_cancel(parent);
    assert_true(fx_ctx_done(parent));
    assert_true(fx_ctx_done(child));
    assert_true(fx_ctx_done(grandchild));
    assert_int_equal(fx_ctx_err(grandchild), FX_ECANCELED);
    assert_false(fx_ctx_done(root));
    assert_false(fx_ctx_done(sibling));
    assert_int_equal(fx_ctx_err(root), 0);

    fx_ctx_cancel(parent);                         /* idempotent */
    assert_int_equal(fx_ctx_err(child), FX_ECANCELED);
    fx_ctx *late = fx_ctx_with_cancel(child);      /* born cancelled */
    assert_int_equal(fx_ctx_err(late), FX_ECANCELED);

    fx_ctx_free(late);
    fx_ctx_free(grandchild);
    fx_ctx_free(child);
    fx_ctx_free(parent);
    fx_ctx_free(sibling);
    fx_ctx_free(root);
    fx_ctx_cancel(NULL);
}

static void test_ctx_timeout_on_fake_clock(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(1000);
    fx_ctx *root = fx_ctx_new_clock(c);
    assert_ptr_equal(fx_ctx_clock(root), c);
    fx_ctx *ctx = fx_ctx_with_timeout(root, 10 * MS);
    assert_ptr_equal(fx_ctx_clock(ctx), c);
    fx_clock_fake_advance(c, 10 * MS - 1);
    assert_false(fx_ctx_done(ctx));
    assert_int_equal(fx_ctx_err(ctx), 0);
    fx_clock_fake_advance(c, 1);                   /* exactly the deadline */
    assert_true(fx_ctx_done(ctx));
    assert_int_equal(fx_ctx_err(ctx), FX_EDEADLINE);
    assert_false(fx_ctx_done(root));
    fx_ctx *under = fx_ctx_with_cancel(ctx);       /* inherits the deadline */
    assert_int_equal(fx_ctx_err(under), FX_EDEADLINE);
    fx_ctx_cancel(under);                          /* cancellation wins */
    assert_int_equal(fx_ctx_err(under), FX_ECANCELED);
    assert_int_equal(fx_ctx_err(ctx), FX_EDEADLINE);
    fx_ctx *zero = fx_ctx_with_timeout(root, 0);   /* due at once */
    assert_int_equal(fx_ctx_err(zero), FX_EDEADLINE);
    fx_ctx_free(zero);
    fx_ctx_free(under);
    fx_ctx_free(ctx);
    fx_ctx_free(root);
    fx_clock_free(c);
}

static void test_ctx_child_deadline_never_exceeds_parent(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_clock *other = fx_clock_fake_new(0);
    fx_ctx *root = fx_ctx_new_clock(c);
    fx_ctx *parent = fx_ctx_with_timeout(root, 10 * MS);
    fx_ctx *longer = fx_ctx_with_timeout(parent, 100 * MS);
    fx_ctx *via_cancel = fx_ctx_with_cancel(parent);
    fx_ctx *longer2 = fx_ctx_with_timeout(via_cancel, 100 * MS);
    fx_ctx *abs = fx_ctx_with_deadline(parent, c, 1000 * MS);
    fx_ctx *elsewhere = fx_ctx_with_deadline(parent, other, 1000 * MS);
    fx_ctx *shorter = fx_ctx_with_timeout(parent, 5 * MS);
    assert_ptr_equal(fx_ctx_clock(elsewhere), other);

    fx_clock_fake_advance(c, 5 * MS);
    assert_int_equal(fx_ctx_err(shorter), FX_EDEADLINE);
    assert_int_equal(fx_ctx_err(longer), 0);
    fx_clock_fake_advance(c, 5 * MS);              /* t = 10 ms: the parent's deadline */
    assert_int_equal(fx_ctx_err(parent), FX_EDEADLINE);
    assert_int_equal(fx_ctx_err(longer), FX_EDEADLINE);
    assert_int_equal(fx_ctx_err(longer2), FX_EDEADLINE);
    assert_int_equal(fx_ctx_err(abs), FX_EDEADLINE);
    assert_int_equal(fx_ctx_err(elsewhere), FX_EDEADLINE);   /* other clock still at 0 */
    assert_false(fx_ctx_done(root));

    /* a deadline on another clock applies on that clock */
    fx_ctx *root2 = fx_ctx_new_clock(c);
    fx_ctx *on_other = fx_ctx_with_deadline(root2, other, 1 * MS);
    fx_ctx *back = fx_ctx_with_deadline(on_other, c, 1000 * MS);
    assert_int_equal(fx_ctx_err(back), 0);
    fx_clock_fake_advance(other, 1 * MS);
    assert_int_equal(fx_ctx_err(on_other), FX_EDEADLINE);
    assert_int_equal(fx_ctx_err(back), FX_EDEADLINE);
    assert_false(fx_ctx_done(root2));

    fx_ctx_free(back);
    fx_ctx_free(on_other);
    fx_ctx_free(root2);
    fx_ctx_free(shorter);
    fx_ctx_free(elsewhere);
    fx_ctx_free(abs);
    fx_ctx_free(longer2);
    fx_ctx_free(via_cancel);
    fx_ctx_free(longer);
    fx_ctx_free(parent);
    fx_ctx_free(root);
    fx_clock_free(other);
    fx_clock_free(c);
}

static void test_ctx_cancel_wakes_fake_clock_sleeper(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_ctx *root = fx_ctx_new_clock(c);
    fx_ctx *mid = fx_ctx_with_cancel(root);
    fx_ctx *leaf = fx_ctx_with_timeout(mid, 3600000 * MS);
    fx_test_sleeper s;
    fx_test_sleeper_start(&s, c, leaf, 1000 * MS);
    assert_true(fx_test_wait_waiters(c, 1));
    fx_ctx_cancel(mid);                            /* an ancestor of the sleeper's ctx */
    assert_int_equal(fx_test_sleeper_join(&s), FX_ECANCELED);
    assert_int_equal(fx_clock_fake_waiters(c), 0);
    assert_int_equal(fx_clock_now(c), 0);
    fx_ctx_free(leaf);
    fx_ctx_free(mid);
    fx_ctx_free(root);
    fx_clock_free(c);
}

static void test_ctx_cancel_wakes_real_clock_sleeper(void **state)
{
    (void)state;
    fx_ctx *root = fx_ctx_new();
    fx_ctx *ctx = fx_ctx_with_cancel(root);
    fx_test_sleeper s;
    fx_test_sleeper_start(&s, NULL, ctx, 60000 * MS);
    fx_clock_sleep(NULL, NULL, 5 * MS);            /* usually asleep by now; either way it must return */
    fx_ctx_cancel(root);
    assert_int_equal(fx_test_sleeper_join(&s), FX_ECANCELED);
    assert_true(s.real_elapsed < 30000 * MS);      /* not the 60 s sleep */
    fx_ctx_free(ctx);
    fx_ctx_free(root);
}

static void test_ctx_arena_alignment(void **state)
{
    (void)state;
    fx_ctx *ctx = fx_ctx_new();
    static const size_t sizes[] = { 1, 3, 0, 7, 16, 17, 100, 2047, 2049, 5000, 9000, 65536, 1 };
    void *prev = NULL;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        unsigned char *p = fx_alloc(ctx, sizes[i]);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % alignof(max_align_t), 0);
        assert_ptr_not_equal(p, prev);
        memset(p, 0xab, sizes[i] ? sizes[i] : 1);
        prev = p;
    }
    void *z1 = fx_alloc(ctx, 0), *z2 = fx_alloc(ctx, 0);
    assert_non_null(z1);
    assert_ptr_not_equal(z1, z2);
    assert_null(fx_alloc(ctx, SIZE_MAX));
    assert_null(fx_alloc(ctx, SIZE_MAX - 8));
    fx_ctx *child = fx_ctx_with_cancel(ctx);
    char *s = fx_strdup(child, "hello");
    char *f = fx_sprintf(child, "%s-%d-%05.1f", "x", 42, 3.25);
    fx_ctx_free(child);                            /* child memory lives on in the root */
    assert_string_equal(s, "hello");
    assert_string_equal(f, "x-42-003.2");
    assert_null(fx_strdup(ctx, NULL));
    fx_ctx_free(ctx);
}

/* fx_sprintf formats straight into the free space when the text fits and
 * formats again into a fresh block when it does not: around the end of a
 * chunk (every amount of room from none to more than the text needs), and
 * for a text larger than a chunk, the text is whole, aligned, and nothing
 * allocated before or after overlaps it. */
static void test_ctx_sprintf_around_chunk_ends(void **state)
{
    (void)state;
    char want[3001];
    for (size_t i = 0; i < sizeof want - 1; i++) want[i] = (char)('a' + i % 26);
    want[sizeof want - 1] = '\0';
    static const int lens[] = { 0, 1, 15, 16, 40, 3000 };
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        for (int blocks = 500; blocks <= 514; blocks++) {   /* 16-byte blocks: 8000 to 8224 bytes */
            fx_ctx *ctx = fx_ctx_new();
            unsigned char *before[514];
            for (int b = 0; b < blocks; b++) {
                before[b] = fx_alloc(ctx, 16);
                assert_non_null(before[b]);
                memset(before[b], 0x5a, 16);
            }
            char *s = fx_sprintf(ctx, "%.*s", lens[li], want);
            assert_non_null(s);
            assert_int_equal((uintptr_t)s % alignof(max_align_t), 0);
            unsigned char *after = fx_alloc(ctx, 64);
            assert_non_null(after);
            assert_int_equal((uintptr_t)after % alignof(max_align_t), 0);
            memset(after, 0xa5, 64);
            assert_int_equal(strlen(s), (size_t)lens[li]);
            assert_memory_equal(s, want, (size_t)lens[li]);
            for (int b = 0; b < blocks; b++)
                for (int j = 0; j < 16; j++) assert_int_equal(before[b][j], 0x5a);
            fx_ctx_free(ctx);
        }
    }
}

enum { ALLOC_THREADS = 8, ALLOCS_PER_THREAD = 2000 };

typedef struct {
    fx_ctx *ctx;
    int id;
    unsigned char *ptrs[ALLOCS_PER_THREAD];
    size_t sizes[ALLOCS_PER_THREAD];
} alloc_job;

static void *alloc_main(void *arg)
{
    alloc_job *job = arg;
    for (int i = 0; i < ALLOCS_PER_THREAD; i++) {
        size_t n = (size_t)(i * 37 + job->id * 11) % 300 + (i % 97 == 0 ? 4000 : 1);
        job->sizes[i] = n;
        job->ptrs[i] = fx_alloc(job->ctx, n);
        if (job->ptrs[i] != NULL) memset(job->ptrs[i], job->id + 1, n);
    }
    return NULL;
}

static void test_ctx_arena_concurrent_alloc(void **state)
{
    (void)state;
    fx_ctx *root = fx_ctx_new();
    static alloc_job jobs[ALLOC_THREADS];
    pthread_t threads[ALLOC_THREADS];
    for (int t = 0; t < ALLOC_THREADS; t++) {
        jobs[t].ctx = t % 2 ? fx_ctx_with_cancel(root) : root;   /* children share the arena */
        jobs[t].id = t;
        assert_int_equal(pthread_create(&threads[t], NULL, alloc_main, &jobs[t]), 0);
    }
    for (int t = 0; t < ALLOC_THREADS; t++) assert_int_equal(pthread_join(threads[t], NULL), 0);
    for (int t = 0; t < ALLOC_THREADS; t++) {
        for (int i = 0; i < ALLOCS_PER_THREAD; i++) {
            unsigned char *p = jobs[t].ptrs[i];
            assert_non_null(p);
            assert_int_equal((uintptr_t)p % alignof(max_align_t), 0);
            for (size_t k = 0; k < jobs[t].sizes[i]; k++)
                if (p[k] != (unsigned char)(t + 1)) fail_msg("thread %d alloc %d overwritten", t, i);
        }
        if (jobs[t].ctx != root) fx_ctx_free(jobs[t].ctx);
    }
    fx_ctx_free(root);
}

/* A worker's own child context: it bumps through regions of its own,
 * carved from the shared chunk, while the owner and other workers allocate
 * at the same time. */
typedef struct {
    fx_ctx *root;
    int id;
    unsigned char *ptrs[ALLOCS_PER_THREAD];
    size_t sizes[ALLOCS_PER_THREAD];
    char *texts[ALLOCS_PER_THREAD / 10];
} child_job;

static void *child_alloc_main(void *arg)
{
    child_job *job = arg;
    fx_ctx *mine = fx_ctx_with_cancel(job->root);   /* made here: this thread's regions */
    for (int i = 0; i < ALLOCS_PER_THREAD; i++) {
        size_t n = (size_t)(i * 13 + job->id) % 400 + 1;   /* some above the region's limit */
        job->sizes[i] = n;
        job->ptrs[i] = fx_alloc(mine, n);
        if (job->ptrs[i] != NULL) memset(job->ptrs[i], job->id + 1, n);
        if (i % 10 == 0) job->texts[i / 10] = fx_sprintf(mine, "worker %d item %d", job->id, i);
    }
    fx_ctx_free(mine);   /* its memory lives on in the root */
    return NULL;
}

static void test_ctx_arena_worker_children_alloc(void **state)
{
    (void)state;
    fx_ctx *root = fx_ctx_new();
    static child_job jobs[ALLOC_THREADS];
    pthread_t threads[ALLOC_THREADS];
    for (int t = 0; t < ALLOC_THREADS; t++) {
        jobs[t].root = root;
        jobs[t].id = t;
        assert_int_equal(pthread_create(&threads[t], NULL, child_alloc_main, &jobs[t]), 0);
    }
    unsigned char *mine[ALLOCS_PER_THREAD];   /* the owner allocates meanwhile */
    for (int i = 0; i < ALLOCS_PER_THREAD; i++) {
        mine[i] = fx_alloc(root, 24);
        assert_non_null(mine[i]);
        memset(mine[i], 0xee, 24);
    }
    for (int t = 0; t < ALLOC_THREADS; t++) assert_int_equal(pthread_join(threads[t], NULL), 0);
    for (int t = 0; t < ALLOC_THREADS; t++) {
        for (int i = 0; i < ALLOCS_PER_THREAD; i++) {
            unsigned char *p = jobs[t].ptrs[i];
            assert_non_null(p);
            assert_int_equal((uintptr_t)p % alignof(max_align_t), 0);
            for (size_t k = 0; k < jobs[t].sizes[i]; k++)
                if (p[k] != (unsigned char)(t + 1)) fail_msg("worker %d alloc %d overwritten", t, i);
            if (i % 10 == 0) {
                char want[64];
                snprintf(want, sizeof want, "worker %d item %d", t, i);
                assert_string_equal(jobs[t].texts[i / 10], want);
            }
        }
    }
    for (int i = 0; i < ALLOCS_PER_THREAD; i++)
        for (int k = 0; k < 24; k++)
            if (mine[i][k] != 0xee) fail_msg("owner alloc %d overwritten", i);
    fx_ctx_free(root);
}

/* One "run" of a pipeline-shaped workload on root. */
static void arena_run(fx_ctx *root)
{
    for (int i = 0; i < 500; i++) assert_non_null(fx_alloc(root, (size_t)(i % 50) + 1));
    assert_non_null(fx_alloc(root, 5000));
    assert_non_null(fx_alloc(root, 3000));
    assert_non_null(fx_alloc(root, 100000));
    assert_non_null(fx_sprintf(root, "item %d of %s", 3, "orders"));
    fx_ctx *child = fx_ctx_with_timeout(root, 30000 * MS);       /* the timeout combinator */
    assert_non_null(child);
    assert_non_null(fx_alloc(child, 64));
    assert_int_equal(fx_fail(child, 7, "bad %s", "order"), 7);
    fx_ctx_free(child);
    assert_int_equal(fx_fail(root, 9, "failed after %d", 3), 9);
    assert_int_equal(fx__stage_fail(root, 9, "store"), 9);
    for (int i = 0; i < 300; i++) assert_non_null(fx_alloc(root, 200));
}

static void test_ctx_reset_keeps_memory(void **state)
{
    (void)state;
    assert_true(fx_test_malloc_wrapped());          /* link with -Wl,--wrap=malloc,… */
    fx_ctx *root = fx_ctx_new();
    size_t before_first = fx_test_malloc_calls();
    arena_run(root);
    assert_true(fx_test_malloc_calls() > before_first);   /* the counter sees the arena */
    fx_ctx_reset(root);
    assert_null(fx_ctx_error(root));

    size_t before = fx_test_malloc_calls();
    size_t frees = fx_test_free_calls();
    arena_run(root);
    fx_ctx_reset(root);
    arena_run(root);
    fx_ctx_reset(root);
    assert_int_equal(fx_test_malloc_calls(), before);
    assert_int_equal(fx_test_free_calls(), frees);
    fx_ctx_free(root);
}

static void test_ctx_fail_records_code_and_message(void **state)
{
    (void)state;
    fx_ctx *root = fx_ctx_new();
    fx_ctx *child = fx_ctx_with_cancel(root);
    assert_null(fx_ctx_error(root));
    assert_int_equal(fx_fail(child, 42, "order %d: %s", 17, "no stock"), 42);
    const fx_error *e = fx_ctx_error(child);
    assert_non_null(e);
    assert_int_equal(e->code, 42);
    assert_string_equal(e->message, "order 17: no stock");
    assert_null(e->stage);
    assert_int_equal(e->index, -1);
    assert_int_equal(e->attempts, 0);
    assert_null(e->cause);
    assert_int_equal(e->count, 0);
    assert_null(fx_ctx_error(root));                /* each ctx has its own record */

    assert_int_equal(fx_fail(root, FX_ESTAGE, NULL), FX_ESTAGE);
    assert_null(fx_ctx_error(root)->message);
    assert_int_equal(fx_fail(root, 0, "oops"), FX_EINVAL);   /* code 0 is a bug */
    assert_int_equal(fx_ctx_error(root)->code, FX_EINVAL);
    assert_string_equal(fx_ctx_error(root)->message, "oops");

    fx_ctx_reset(child);
    assert_null(fx_ctx_error(child));
    assert_non_null(fx_ctx_error(root));
    fx_ctx_free(child);
    fx_ctx_reset(root);
    assert_null(fx_ctx_error(root));
    fx_ctx_free(root);
}

static void test_ctx_stage_fail_attributes_fresh_record(void **state)
{
    (void)state;
    fx_ctx *ctx = fx_ctx_new();
    /* stage called fx_fail, returned that code: the record gets the stage */
    fx_fail(ctx, 5, "bad input");
    const fx_error *first = fx_ctx_error(ctx);
    assert_int_equal(fx__stage_fail(ctx, 5, "parse"), 5);
    assert_ptr_equal(fx_ctx_error(ctx), first);
    assert_string_equal(first->stage, "parse");
    assert_string_equal(first->message, "bad input");
    /* an enclosing component returns the same code: innermost name stays */
    assert_int_equal(fx__stage_fail(ctx, 5, "ingest"), 5);
    assert_ptr_equal(fx_ctx_error(ctx), first);
    assert_string_equal(fx_ctx_error(ctx)->stage, "parse");

    /* a stage returns a code without fx_fail: new record */
    assert_int_equal(fx__stage_fail(ctx, 6, "store"), 6);
    const fx_error *e = fx_ctx_error(ctx);
    assert_int_equal(e->code, 6);
    assert_string_equal(e->stage, "store");
    assert_null(e->message);
    assert_int_equal(e->index, -1);

    /* fx_fail(7) then return 8: the fresh record is stale, replaced */
    fx_fail(ctx, 7, "noise");
    assert_int_equal(fx__stage_fail(ctx, 8, "load"), 8);
    assert_int_equal(fx_ctx_error(ctx)->code, 8);
    assert_null(fx_ctx_error(ctx)->message);

    /* a fresh record is consumed once: the same code failing again later
       without fx_fail is not attributed to the old message */
    fx__ctx_clear_error(ctx);
    fx_fail(ctx, 3, "first");
    fx__stage_fail(ctx, 3, "a");
    fx_fail(ctx, 3, "second");                      /* new failure, fresh again */
    fx__stage_fail(ctx, 3, "b");
    assert_string_equal(fx_ctx_error(ctx)->stage, "b");
    assert_string_equal(fx_ctx_error(ctx)->message, "second");

    /* a fresh record that already has a stage keeps it */
    fx__ctx_clear_error(ctx);
    assert_null(fx_ctx_error(ctx));
    assert_int_equal(fx__stage_fail(ctx, 0, "bug"), FX_EINVAL);
    assert_int_equal(fx_ctx_error(ctx)->code, FX_EINVAL);
    fx_ctx_free(ctx);
}

static void test_ctx_ctx_fail_records_ctx_error(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_ctx *root = fx_ctx_new_clock(c);
    fx_ctx *t = fx_ctx_with_timeout(root, 1 * MS);
    fx_clock_fake_advance(c, 1 * MS);
    assert_int_equal(fx__ctx_fail(t, "slow"), FX_EDEADLINE);
    assert_int_equal(fx_ctx_error(t)->code, FX_EDEADLINE);
    assert_string_equal(fx_ctx_error(t)->stage, "slow");
    assert_null(fx_ctx_error(t)->message);
    /* outer components returning it keep the inner attribution */
    assert_int_equal(fx__stage_fail(t, FX_EDEADLINE, "outer"), FX_EDEADLINE);
    assert_string_equal(fx_ctx_error(t)->stage, "slow");
    fx_ctx_cancel(t);
    assert_int_equal(fx__ctx_fail(t, "again"), FX_ECANCELED);
    assert_int_equal(fx__ctx_fail(root, "not done"), FX_EINVAL);
    fx_ctx_free(t);
    fx_ctx_free(root);
    fx_clock_free(c);
}

static void test_ctx_error_wrap_keeps_cause(void **state)
{
    (void)state;
    fx_ctx *ctx = fx_ctx_new();
    fx_fail(ctx, 5, "disk full");
    fx__stage_fail(ctx, 5, "save");
    char msg[] = "fallback failed";
    assert_int_equal(fx__error_wrap(ctx, 77, "on_error", msg), 77);
    msg[0] = 'X';                                   /* the message was copied */
    const fx_error *e = fx_ctx_error(ctx);
    assert_int_equal(e->code, 77);
    assert_string_equal(e->stage, "on_error");
    assert_string_equal(e->message, "fallback failed");
    assert_non_null(e->cause);
    assert_int_equal(e->cause->code, 5);
    assert_string_equal(e->cause->stage, "save");
    assert_true(fx_error_is(e, 5));
    char buf[128];
    fx_error_format(e, buf, sizeof buf);
    assert_string_equal(buf, "on_error: fallback failed: save: disk full");
    /* the wrapped record is claimed: an outer component keeps it */
    fx__stage_fail(ctx, 77, "pipeline");
    assert_string_equal(fx_ctx_error(ctx)->stage, "on_error");

    fx__ctx_clear_error(ctx);
    assert_int_equal(fx__error_wrap(ctx, FX_ESTAGE, "x", NULL), FX_ESTAGE);
    assert_null(fx_ctx_error(ctx)->cause);
    assert_null(fx_ctx_error(ctx)->message);
    fx_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ctx_cancel_propagates_down_not_up),
        cmocka_unit_test(test_ctx_timeout_on_fake_clock),
        cmocka_unit_test(test_ctx_child_deadline_never_exceeds_parent),
        cmocka_unit_test(test_ctx_cancel_wakes_fake_clock_sleeper),
        cmocka_unit_test(test_ctx_cancel_wakes_real_clock_sleeper),
        cmocka_unit_test(test_ctx_arena_alignment),
        cmocka_unit_test(test_ctx_sprintf_around_chunk_ends),
        cmocka_unit_test(test_ctx_arena_concurrent_alloc),
        cmocka_unit_test(test_ctx_arena_worker_children_alloc),
        cmocka_unit_test(test_ctx_reset_keeps_memory),
        cmocka_unit_test(test_ctx_fail_records_code_and_message),
        cmocka_unit_test(test_ctx_stage_fail_attributes_fresh_record),
        cmocka_unit_test(test_ctx_ctx_fail_records_ctx_error),
        cmocka_unit_test(test_ctx_error_wrap_keeps_cause),
    };
    return cmocka_run_group_tests_name("runtime_ctx", tests, NULL, NULL);
}
