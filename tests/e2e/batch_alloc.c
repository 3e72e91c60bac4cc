/* End to end: after a warm-up run, buffer, pooled_buffer and filter call no
 * malloc (counted through the linker's --wrap, tests/support/malloc_count.h).
 * Runs that allocate results reset the context in between, as a server
 * loop does: the arena then reuses its memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "batch_alloc.h"
#include "malloc_count.h"

int halve_batch(fx_ctx *ctx, const fx_slice_i64 *in, fx_slice_i64 *out)
{
    out->ptr = fx_alloc(ctx, in->len * sizeof *out->ptr);
    if (out->ptr == NULL)
        return FX_ENOMEM;
    for (size_t i = 0; i < in->len; i++)
        out->ptr[i] = in->ptr[i] / 2;
    out->len = in->len;
    return 0;
}

int is_small(fx_ctx *ctx, const int64_t *in, bool *out)
{
    (void)ctx;
    *out = *in < 10;
    return 0;
}

enum { N = 37, RUNS = 5000 };
static int64_t items[N];

static void fill(void)
{
    for (int i = 0; i < N; i++)
        items[i] = 2 * i;
}

static void test_batch_alloc_counter_is_active(void **state)
{
    (void)state;
    assert_true(fx_test_malloc_wrapped());
}

static void test_batch_alloc_buffer_allocates_nothing_per_run(void **state)
{
    (void)state;
    fill();
    batch_alloc_buffered *p = batch_alloc_buffered_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    fx_slice_i64 in = {items, N}, out = {0};
    assert_int_equal(batch_alloc_buffered_process(p, ctx, &in, &out), 0);   /* warm-up */
    fx_ctx_reset(ctx);
    size_t before = fx_test_malloc_calls();
    for (int r = 0; r < RUNS; r++) {
        assert_int_equal(batch_alloc_buffered_process(p, ctx, &in, &out), 0);
        if (out.len != N || out.ptr[N - 1] != N - 1)
            fail_msg("wrong result in run %d", r);
        fx_ctx_reset(ctx);
    }
    assert_int_equal(fx_test_malloc_calls() - before, 0);
    fx_ctx_free(ctx);
    batch_alloc_buffered_free(p);
}

static void test_batch_alloc_pooled_buffer_allocates_nothing_per_run(void **state)
{
    (void)state;
    fill();
    batch_alloc_pooled *p = batch_alloc_pooled_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    fx_slice_i64 in = {items, N}, out = {0};
    assert_int_equal(batch_alloc_pooled_process(p, ctx, &in, &out), 0);   /* warm-up */
    fx_ctx_reset(ctx);
    size_t before = fx_test_malloc_calls();
    for (int r = 0; r < RUNS; r++) {
        assert_int_equal(batch_alloc_pooled_process(p, ctx, &in, &out), 0);
        if (out.len != N || out.ptr[N - 1] != N - 1)
            fail_msg("wrong result in run %d", r);
        fx_ctx_reset(ctx);
    }
    assert_int_equal(fx_test_malloc_calls() - before, 0);
    fx_ctx_free(ctx);
    batch_alloc_pooled_free(p);
}

static void test_batch_alloc_filter_allocates_nothing_per_run(void **state)
{
    (void)state;
    batch_alloc_smalls *p = batch_alloc_smalls_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    int64_t in = 3, out = 0;
    assert_int_equal(batch_alloc_smalls_process(p, ctx, &in, &out), 0);      /* warm-up */
    in = 30;
    assert_int_equal(batch_alloc_smalls_process(p, ctx, &in, &out), FX_EFILTERED);
    fx_ctx_reset(ctx);
    size_t before = fx_test_malloc_calls();
    for (int64_t i = 0; i < RUNS; i++) {                /* kept: no reset needed */
        int64_t x = i % 10;
        assert_int_equal(batch_alloc_smalls_process(p, ctx, &x, &out), 0);
    }
    for (int64_t i = 0; i < RUNS; i++) {                /* dropped: the error record is in the arena */
        int64_t x = 10 + i;
        assert_int_equal(batch_alloc_smalls_process(p, ctx, &x, &out), FX_EFILTERED);
        fx_ctx_reset(ctx);
    }
    assert_int_equal(fx_test_malloc_calls() - before, 0);
    fx_ctx_free(ctx);
    batch_alloc_smalls_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_alloc_counter_is_active),
        cmocka_unit_test(test_batch_alloc_buffer_allocates_nothing_per_run),
        cmocka_unit_test(test_batch_alloc_pooled_buffer_allocates_nothing_per_run),
        cmocka_unit_test(test_batch_alloc_filter_allocates_nothing_per_run),
    };
    return cmocka_run_group_tests_name("batch_alloc", tests, NULL, NULL);
}
