/* End to end: after warm-up, map (both modes), fanout, parallel and router
 * make no malloc call per run (counted through the linker's --wrap, see
 * tests/support/malloc_count.h), with fx_ctx_reset between runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "flow_alloc.h"
#include "malloc_count.h"

int twice_i64(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    (void)ctx;
    *out = *in * 2;
    return 0;
}

int thrice_i64(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    (void)ctx;
    *out = *in * 3;
    return 0;
}

int sum_i64(fx_ctx *ctx, const fx_slice_i64 *in, int64_t *out)
{
    (void)ctx;
    int64_t s = 0;
    for (size_t i = 0; i < in->len; i++) s += in->ptr[i];
    *out = s;
    return 0;
}

int pick_two(fx_ctx *ctx, const int64_t *in, fx_slice_u32 *out)
{
    (void)in;
    uint32_t *p = fx_alloc(ctx, 2 * sizeof *p);
    p[0] = 1;
    p[1] = 0;
    *out = (fx_slice_u32){ p, 2 };
    return 0;
}

enum { WARMUP = 200, RUNS = 2000, ITEMS = 256 };

static fx_runtime *rt;
static int64_t items[ITEMS];

static int setup(void **state)
{
    (void)state;
    for (int i = 0; i < ITEMS; i++) items[i] = i;
    rt = fx_runtime_new(&(fx_runtime_config){ .threads = 4 });
    return rt == NULL;
}

static int teardown(void **state)
{
    (void)state;
    fx_runtime_free(rt);
    return 0;
}

/* Runs `one` WARMUP times, then RUNS times counting malloc calls. The
 * warm-up starts the workers and lets the root keep as many recycled child
 * contexts as can be alive at once. */
#define COUNT_MALLOCS(one)                                                    \
    do {                                                                      \
        fx_ctx *ctx = fx_ctx_new();                                           \
        for (int run = 0; run < WARMUP; run++) {                                    \
            one;                                                              \
            fx_ctx_reset(ctx);                                                \
        }                                                                     \
        size_t before = fx_test_malloc_calls();                               \
        for (int run = 0; run < RUNS; run++) {                                      \
            one;                                                              \
            fx_ctx_reset(ctx);                                                \
        }                                                                     \
        size_t mallocs = fx_test_malloc_calls() - before;                     \
        print_message("  %s: %zu malloc calls in %d runs\n", #one, mallocs, RUNS); \
        assert_int_equal(mallocs, 0);                                         \
        fx_ctx_free(ctx);                                                     \
    } while (0)

static void test_flow_alloc_counter_is_active(void **state)
{
    (void)state;
    assert_true(fx_test_malloc_wrapped());
}

static void run_map(flow_alloc_mapped *p, fx_ctx *ctx)
{
    fx_slice_i64 in = { items, ITEMS }, out = { 0 };
    assert_int_equal(flow_alloc_mapped_process(p, ctx, &in, &out), 0);
    assert_int_equal(out.len, ITEMS);
    assert_int_equal(out.ptr[ITEMS - 1], 2 * (ITEMS - 1));
}

static void run_map_all(flow_alloc_mapped_all *p, fx_ctx *ctx)
{
    fx_slice_i64 in = { items, ITEMS }, out = { 0 };
    assert_int_equal(flow_alloc_mapped_all_process(p, ctx, &in, &out), 0);
    assert_int_equal(out.len, ITEMS);
}

static void run_fanout(flow_alloc_fanned *p, fx_ctx *ctx)
{
    int64_t in = 5;
    fx_slice_i64 out = { 0 };
    assert_int_equal(flow_alloc_fanned_process(p, ctx, &in, &out), 0);
    assert_int_equal(out.len, 3);
    assert_int_equal(out.ptr[1], 15);
}

static void run_parallel(flow_alloc_summed *p, fx_ctx *ctx)
{
    int64_t in = 5, out = 0;
    assert_int_equal(flow_alloc_summed_process(p, ctx, &in, &out), 0);
    assert_int_equal(out, 50);
}

static void run_router(flow_alloc_routed *p, fx_ctx *ctx)
{
    int64_t in = 5;
    fx_slice_i64 out = { 0 };
    assert_int_equal(flow_alloc_routed_process(p, ctx, &in, &out), 0);
    assert_int_equal(out.len, 2);
    assert_int_equal(out.ptr[0], 15);
}

static void test_flow_alloc_map_allocates_nothing_per_run(void **state)
{
    (void)state;
    flow_alloc_mapped *p = flow_alloc_mapped_new(rt);
    flow_alloc_mapped_all *q = flow_alloc_mapped_all_new(rt);
    COUNT_MALLOCS(run_map(p, ctx));
    COUNT_MALLOCS(run_map_all(q, ctx));
    flow_alloc_mapped_all_free(q);
    flow_alloc_mapped_free(p);
}

static void test_flow_alloc_fanout_parallel_router_allocate_nothing_per_run(void **state)
{
    (void)state;
    flow_alloc_fanned *f = flow_alloc_fanned_new(rt);
    flow_alloc_summed *s = flow_alloc_summed_new(rt);
    flow_alloc_routed *r = flow_alloc_routed_new(rt);
    COUNT_MALLOCS(run_fanout(f, ctx));
    COUNT_MALLOCS(run_parallel(s, ctx));
    COUNT_MALLOCS(run_router(r, ctx));
    flow_alloc_routed_free(r);
    flow_alloc_summed_free(s);
    flow_alloc_fanned_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flow_alloc_counter_is_active),
        cmocka_unit_test(test_flow_alloc_map_allocates_nothing_per_run),
        cmocka_unit_test(test_flow_alloc_fanout_parallel_router_allocate_nothing_per_run),
    };
    return cmocka_run_group_tests_name("flow_alloc", tests, setup, teardown);
}
