/* tests/test_runtime_ctx.c — contexts: cancellation, deadlines, arena,
 * error record, and the gen.h attribution rules. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdalign.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

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

/* The arena's geometry, as runtime/internal.h has it: an owner's chunk of
 * FX__ARENA_CHUNK bytes, a worker context's region of FX__ARENA_LOCAL,
 * everything in 16-byte (max_align_t) steps. */
enum { CHUNK = 8192, REGION = 1024, STEP = 16 };

static char *text_of(char c, int n)
{
    static char buf[20001];
    assert_true(n >= 0 && (size_t)n < sizeof buf);
    memset(buf, c, (size_t)n);
    buf[n] = '\0';
    return buf;
}

/* A text that exactly fills the owner's free space is formatted in place;
 * one byte more goes to a fresh chunk, and neither overlaps what follows. */
static void test_ctx_sprintf_exact_fill_and_one_more(void **state)
{
    (void)state;
    for (int free_steps = 1; free_steps <= 3; free_steps++) {
        for (int extra = 0; extra <= 1; extra++) {
            fx_ctx *ctx = fx_ctx_new();
            int blocks = CHUNK / STEP - free_steps;
            unsigned char *base = fx_alloc(ctx, STEP);   /* the start of the first chunk */
            assert_non_null(base);
            for (int b = 1; b < blocks; b++) assert_ptr_equal(fx_alloc(ctx, STEP), base + b * STEP);
            memset(base, 0x5a, (size_t)blocks * STEP);
            int len = free_steps * STEP - 1 + extra;
            char *s = fx_sprintf(ctx, "%s", text_of('q', len));
            assert_non_null(s);
            if (extra == 0) assert_ptr_equal(s, base + blocks * STEP);
            else assert_ptr_not_equal(s, base + blocks * STEP);
            unsigned char *after = fx_alloc(ctx, 64);
            assert_non_null(after);
            memset(after, 0xa5, 64);
            char *t = fx_sprintf(ctx, "%d", 7);
            assert_non_null(t);
            assert_string_equal(s, text_of('q', len));
            assert_string_equal(t, "7");
            for (int i = 0; i < 64; i++) assert_int_equal(after[i], 0xa5);
            for (int i = 0; i < blocks * STEP; i++) assert_int_equal(base[i], 0x5a);
            fx_ctx_free(ctx);
        }
    }
}

static char *sprintf_via_v(fx_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = fx_vsprintf(ctx, fmt, ap);
    va_end(ap);
    return s;
}

static const wchar_t unencodable[] = { 0x100, 0 };   /* no byte for it in the C locale */

/* A format error is NULL and uses no space: the next text goes where the
 * failed one would have. */
static void test_ctx_sprintf_format_error_is_null(void **state)
{
    (void)state;
    fx_ctx *ctx = fx_ctx_new();
    assert_null(fx_sprintf(ctx, "x%lsy", unencodable));   /* no chunk yet */
    char *a = fx_sprintf(ctx, "a");
    assert_non_null(a);
    assert_null(fx_sprintf(ctx, "x%lsy", unencodable));
    assert_null(sprintf_via_v(ctx, "x%lsy", unencodable));
    char *b = sprintf_via_v(ctx, "b%d", 2);
    assert_ptr_equal(b, a + STEP);
    assert_string_equal(a, "a");
    assert_string_equal(b, "b2");
    fx_ctx_free(ctx);
}

/* A worker's own context formats in place through its region, a region
 * at a time; a miss at the region's end goes to a fresh one. */
typedef struct {
    fx_ctx *root;
    char *texts[REGION / STEP + 1];
    char *shared_short, *shared_long, *shared_bad;
    char *fresh_bad, *fresh_long, *fresh_after, *fresh_short, *fresh_next;
} region_job;

static void *region_main(void *arg)
{
    region_job *job = arg;
    fx_ctx *mine = fx_ctx_with_cancel(job->root);   /* made here: this thread's regions */
    for (int i = 0; i < REGION / STEP; i++)         /* 15 characters: one step each */
        job->texts[i] = fx_sprintf(mine, "%015d", i);
    job->texts[REGION / STEP] = fx_sprintf(mine, "%016d", 1);   /* one byte more than a step */
    fx_ctx_free(mine);
    /* Fresh contexts, no region yet: one is taken before formatting. */
    fx_ctx *fresh = fx_ctx_with_cancel(job->root);
    job->fresh_bad = fx_sprintf(fresh, "x%lsy", unencodable);
    job->fresh_long = fx_sprintf(fresh, "%s", text_of('R', 3000));   /* more than a region */
    job->fresh_after = fx_sprintf(fresh, "%s", "after");
    fx_ctx_free(fresh);
    fresh = fx_ctx_with_cancel(job->root);
    job->fresh_short = fx_sprintf(fresh, "%s-%d", "test", 3);
    job->fresh_next = fx_sprintf(fresh, "%s-%d", "test", 4);
    fx_ctx_free(fresh);
    /* The root is not this thread's: the shared, locked way. */
    job->shared_short = fx_sprintf(job->root, "w%d", 5);
    job->shared_long = fx_sprintf(job->root, "%s", text_of('L', 5000));
    job->shared_bad = fx_sprintf(job->root, "x%lsy", unencodable);
    return NULL;
}

static void test_ctx_sprintf_worker_region(void **state)
{
    (void)state;
    fx_ctx *root = fx_ctx_new();
    static region_job job;
    job.root = root;
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, region_main, &job), 0);
    char *mine[200];
    for (int i = 0; i < 200; i++) assert_non_null(mine[i] = fx_sprintf(root, "owner %d", i));
    assert_int_equal(pthread_join(th, NULL), 0);
    char *first = job.texts[0];
    assert_non_null(first);
    assert_int_equal((uintptr_t)first % alignof(max_align_t), 0);
    for (int i = 0; i < REGION / STEP; i++) {
        char want[32];
        snprintf(want, sizeof want, "%015d", i);
        assert_ptr_equal(job.texts[i], first + i * STEP);   /* in place, the region filled exactly */
        assert_string_equal(job.texts[i], want);
    }
    char *last = job.texts[REGION / STEP];
    assert_non_null(last);
    assert_true(last < first || last >= first + REGION);   /* not in the full region */
    assert_string_equal(last, "0000000000000001");
    assert_null(job.fresh_bad);
    assert_string_equal(job.fresh_long, text_of('R', 3000));
    assert_string_equal(job.fresh_after, "after");
    assert_string_equal(job.fresh_short, "test-3");
    assert_ptr_equal(job.fresh_next, job.fresh_short + STEP);   /* in the region it took */
    assert_string_equal(job.fresh_next, "test-4");
    assert_string_equal(job.shared_short, "w5");
    assert_string_equal(job.shared_long, text_of('L', 5000));
    assert_null(job.shared_bad);
    for (int i = 0; i < 200; i++) {
        char want[32];
        snprintf(want, sizeof want, "owner %d", i);
        assert_string_equal(mine[i], want);
    }
    fx_ctx_free(root);
}

/* One run of texts of every kind: in place, exactly filling, a miss into
 * the next chunk, a long one (its own chunk), a format error. */
static void sprintf_run(fx_ctx *root, char *got[8])
{
    int i = 0;
    got[i++] = fx_sprintf(root, "%s-%d", "test", 1);
    for (int b = 0; b < 500; b++) assert_non_null(fx_alloc(root, STEP));
    got[i++] = fx_sprintf(root, "%s", text_of('e', CHUNK - 501 * STEP - 1));   /* the rest, exactly */
    got[i++] = fx_sprintf(root, "%s", text_of('m', 40));                       /* the next chunk */
    got[i++] = fx_sprintf(root, "%s", text_of('g', 20000));                    /* its own chunk */
    got[i++] = fx_sprintf(root, "%s", text_of('h', 3000));                     /* big, but it fits */
    got[i++] = fx_sprintf(root, "x%lsy", unencodable);
    got[i++] = fx_sprintf(root, "%s-%d", "test", 2);
    got[i++] = NULL;
}

static void check_run(char *got[8])
{
    assert_string_equal(got[0], "test-1");
    assert_string_equal(got[1], text_of('e', CHUNK - 501 * STEP - 1));
    assert_string_equal(got[2], text_of('m', 40));
    assert_string_equal(got[3], text_of('g', 20000));
    assert_string_equal(got[4], text_of('h', 3000));
    assert_null(got[5]);
    assert_string_equal(got[6], "test-2");
    assert_ptr_equal(got[1], got[0] + 501 * STEP);   /* in place */
    assert_ptr_equal(got[4], got[2] + 48);          /* fits in the rest of the chunk */
    assert_ptr_equal(got[6], got[4] + 3008);
}

/* After fx_ctx_reset the same texts land in the same places and call no
 * malloc. */
static void test_ctx_sprintf_after_reset(void **state)
{
    (void)state;
    assert_true(fx_test_malloc_wrapped());
    fx_ctx *root = fx_ctx_new();
    char *first[8], *again[8];
    sprintf_run(root, first);
    check_run(first);
    for (int run = 0; run < 2; run++) {
        fx_ctx_reset(root);
        size_t before = fx_test_malloc_calls();
        sprintf_run(root, again);
        assert_int_equal(fx_test_malloc_calls(), before);
        check_run(again);
        for (int i = 0; i < 8; i++) assert_ptr_equal(again[i], first[i]);
    }
    fx_ctx_free(root);
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

/* A reset from another thread: that thread owns the arena afterwards. */
static void *reset_and_alloc(void *arg)
{
    fx_ctx *root = arg;
    fx_ctx_reset(root);
    return fx_alloc(root, 16);
}

/* Each way a run can leave the arena (only the first chunk used, a large
 * block, further chunks, another thread's reset) is rewound by the next
 * reset: the same first block again, and no allocator call. */
static void test_ctx_reset_rewinds_every_way(void **state)
{
    (void)state;
    assert_true(fx_test_malloc_wrapped());
    fx_ctx *root = fx_ctx_new();
    void *first = fx_alloc(root, 16);
    assert_non_null(first);
    void *big = fx_alloc(root, 64 * 1024);   /* far above the large-block threshold */
    assert_non_null(big);
    void *spread[100];   /* ~12 chunks */
    for (int i = 0; i < 100; i++) assert_non_null(spread[i] = fx_alloc(root, 1000));
    fx_ctx_reset(root);

    size_t before = fx_test_malloc_calls();
    for (int round = 0; round < 3; round++) {
        assert_ptr_equal(fx_alloc(root, 16), first);   /* only the first chunk used */
        fx_ctx_reset(root);
        for (int pass = 0; pass < 2; pass++) {   /* further chunks, kept, in their order */
            assert_ptr_equal(fx_alloc(root, 16), first);
            for (int i = 0; i < 100; i++) assert_ptr_equal(fx_alloc(root, 1000), spread[i]);
            fx_ctx_reset(root);
        }
        assert_ptr_equal(fx_alloc(root, 16), first);
        assert_ptr_equal(fx_alloc(root, 64 * 1024), big);   /* a large block, kept */
        fx_ctx_reset(root);
        assert_ptr_equal(fx_alloc(root, 64 * 1024), big);   /* and free again */
        fx_ctx_reset(root);
    }
    assert_int_equal(fx_test_malloc_calls(), before);

    pthread_t th;
    void *theirs = NULL;
    assert_int_equal(pthread_create(&th, NULL, reset_and_alloc, root), 0);
    assert_int_equal(pthread_join(th, &theirs), 0);
    assert_ptr_equal(theirs, first);   /* the resetting thread owns the first chunk */
    fx_ctx_reset(root);                 /* and back: this thread owns it again */
    assert_ptr_equal(fx_alloc(root, 16), first);
    fx_ctx_reset(root);
    assert_ptr_equal(fx_alloc(root, 16), first);
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
        cmocka_unit_test(test_ctx_sprintf_exact_fill_and_one_more),
        cmocka_unit_test(test_ctx_sprintf_format_error_is_null),
        cmocka_unit_test(test_ctx_sprintf_worker_region),
        cmocka_unit_test(test_ctx_sprintf_after_reset),
        cmocka_unit_test(test_ctx_arena_concurrent_alloc),
        cmocka_unit_test(test_ctx_arena_worker_children_alloc),
        cmocka_unit_test(test_ctx_reset_keeps_memory),
        cmocka_unit_test(test_ctx_reset_rewinds_every_way),
        cmocka_unit_test(test_ctx_fail_records_code_and_message),
        cmocka_unit_test(test_ctx_stage_fail_attributes_fresh_record),
        cmocka_unit_test(test_ctx_ctx_fail_records_ctx_error),
        cmocka_unit_test(test_ctx_error_wrap_keeps_cause),
    };
    return cmocka_run_group_tests_name("runtime_ctx", tests, NULL, NULL);
}
