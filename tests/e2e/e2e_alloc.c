/* End to end: a 50-stage chain makes no malloc call per run after warm-up
 * (counted through the linker's --wrap, see tests/support/malloc_count.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "e2e_alloc.h"
#include "malloc_count.h"

int add_one(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    (void)ctx;
    *out = *in + 1;
    return 0;
}

int show_int(fx_ctx *ctx, const int64_t *in, const char **out)
{
    *out = fx_sprintf(ctx, "%lld", (long long)*in);
    return 0;
}

static void test_e2e_alloc_counter_is_active(void **state)
{
    (void)state;
    assert_true(fx_test_malloc_wrapped());
}

static void test_e2e_alloc_chain_of_50_allocates_nothing_per_call(void **state)
{
    (void)state;
    e2e_alloc_deep *p = e2e_alloc_deep_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    int64_t in = 0, out = 0;
    assert_int_equal(e2e_alloc_deep_process(p, ctx, &in, &out), 0);   /* warm-up */
    assert_int_equal(out, 50);
    size_t before = fx_test_malloc_calls();
    for (int64_t i = 0; i < 10000; i++) {
        assert_int_equal(e2e_alloc_deep_process(p, ctx, &i, &out), 0);
        if (out != i + 50)
            fail_msg("wrong result %lld for %lld", (long long)out, (long long)i);
    }
    assert_int_equal(fx_test_malloc_calls() - before, 0);
    fx_ctx_free(ctx);
    e2e_alloc_deep_free(p);
}

static void test_e2e_alloc_arena_reused_after_reset(void **state)
{
    (void)state;
    e2e_alloc_shown *p = e2e_alloc_shown_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    int64_t in = 1;
    const char *out = NULL;
    assert_int_equal(e2e_alloc_shown_process(p, ctx, &in, &out), 0);   /* warm-up */
    assert_string_equal(out, "51");
    fx_ctx_reset(ctx);
    size_t before = fx_test_malloc_calls();
    for (int64_t i = 0; i < 10000; i++) {
        assert_int_equal(e2e_alloc_shown_process(p, ctx, &i, &out), 0);
        fx_ctx_reset(ctx);
    }
    assert_int_equal(fx_test_malloc_calls() - before, 0);
    fx_ctx_free(ctx);
    e2e_alloc_shown_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_alloc_counter_is_active),
        cmocka_unit_test(test_e2e_alloc_chain_of_50_allocates_nothing_per_call),
        cmocka_unit_test(test_e2e_alloc_arena_reused_after_reset),
    };
    return cmocka_run_group_tests_name("e2e_alloc", tests, NULL, NULL);
}
