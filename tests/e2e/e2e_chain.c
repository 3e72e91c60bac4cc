/* End to end: a chain over str, a struct and a slice; errors attributed to
 * the failing stage with its message; a done context runs no stage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "e2e_chain.h"

static int calls_split, calls_measure, calls_render;

int split_words(fx_ctx *ctx, const char *const *in, fx_slice_str *out)
{
    calls_split++;
    const char *s = *in;
    size_t n = 0, cap = strlen(s) / 2 + 1;
    const char **words = fx_alloc(ctx, cap * sizeof *words);
    while (*s) {
        while (*s == ' ')
            s++;
        if (!*s)
            break;
        const char *start = s;
        while (*s && *s != ' ')
            s++;
        char *w = fx_alloc(ctx, (size_t)(s - start) + 1);
        memcpy(w, start, (size_t)(s - start));
        w[s - start] = '\0';
        words[n++] = w;
    }
    out->ptr = words;
    out->len = n;
    return 0;
}

int measure_words(fx_ctx *ctx, const fx_slice_str *in, Stats *out)
{
    calls_measure++;
    if (in->len == 0)
        return fx_fail(ctx, 42, "no words in input");
    out->words = (uint32_t)in->len;
    out->longest = in->ptr[0];
    for (size_t i = 1; i < in->len; i++)
        if (strlen(in->ptr[i]) > strlen(out->longest))
            out->longest = in->ptr[i];
    out->all = *in;
    return 0;
}

int render_stats(fx_ctx *ctx, const Stats *in, const char **out)
{
    calls_render++;
    *out = fx_sprintf(ctx, "%u words, longest '%s', last '%s'", (unsigned)in->words, in->longest,
                      in->all.ptr[in->all.len - 1]);
    return 0;
}

static void reset_calls(void)
{
    calls_split = calls_measure = calls_render = 0;
}

static void test_e2e_chain_runs_every_stage_in_order(void **state)
{
    (void)state;
    reset_calls();
    e2e_chain_describe *p = e2e_chain_describe_new(NULL);
    assert_non_null(p);
    fx_ctx *ctx = fx_ctx_new();
    const char *in = "the quick brownest fox";
    const char *out = NULL;
    assert_int_equal(e2e_chain_describe_process(p, ctx, &in, &out), 0);
    assert_string_equal(out, "4 words, longest 'brownest', last 'fox'");
    assert_int_equal(calls_split, 1);
    assert_int_equal(calls_measure, 1);
    assert_int_equal(calls_render, 1);
    assert_null(fx_ctx_error(ctx));
    fx_ctx_free(ctx);
    e2e_chain_describe_free(p);
}

static void test_e2e_chain_struct_output(void **state)
{
    (void)state;
    e2e_chain_shape *p = e2e_chain_shape_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    const char *in = "a bb ccc";
    Stats out;
    memset(&out, 0, sizeof out);
    assert_int_equal(e2e_chain_shape_process(p, ctx, &in, &out), 0);
    assert_int_equal(out.words, 3);
    assert_string_equal(out.longest, "ccc");
    assert_int_equal(out.all.len, 3);
    assert_string_equal(out.all.ptr[1], "bb");
    fx_ctx_free(ctx);
    e2e_chain_shape_free(p);
}

static void test_e2e_chain_middle_error_names_stage(void **state)
{
    (void)state;
    reset_calls();
    e2e_chain_describe *p = e2e_chain_describe_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    const char *in = "   ";
    const char *out = "untouched";
    assert_int_equal(e2e_chain_describe_process(p, ctx, &in, &out), 42);
    assert_string_equal(out, "untouched");   /* output untouched on error */
    assert_int_equal(calls_render, 0);       /* stops at the first error */
    const fx_error *err = fx_ctx_error(ctx);
    assert_non_null(err);
    assert_int_equal(err->code, 42);
    assert_string_equal(err->stage, "measure");
    assert_string_equal(err->message, "no words in input");
    char buf[128];
    fx_error_format(err, buf, sizeof buf);
    assert_string_equal(buf, "measure: no words in input");
    assert_true(fx_error_is(err, 42));
    fx_ctx_free(ctx);
    e2e_chain_describe_free(p);
}

static void test_e2e_chain_done_context_runs_nothing(void **state)
{
    (void)state;
    reset_calls();
    e2e_chain_describe *p = e2e_chain_describe_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    fx_ctx_cancel(ctx);
    const char *in = "a b";
    const char *out = NULL;
    assert_int_equal(e2e_chain_describe_process(p, ctx, &in, &out), FX_ECANCELED);
    assert_null(out);
    assert_int_equal(calls_split, 0);
    assert_true(fx_error_is(fx_ctx_error(ctx), FX_ECANCELED));
    fx_ctx_free(ctx);
    e2e_chain_describe_free(p);
}

static void test_e2e_chain_deadline_passed_runs_nothing(void **state)
{
    (void)state;
    reset_calls();
    fx_clock *clock = fx_clock_fake_new(0);
    fx_ctx *root = fx_ctx_new_clock(clock);
    fx_ctx *ctx = fx_ctx_with_timeout(root, 10 * 1000000);
    fx_clock_fake_advance(clock, 10 * 1000000);
    e2e_chain_describe *p = e2e_chain_describe_new(NULL);
    const char *in = "a b";
    const char *out = NULL;
    assert_int_equal(e2e_chain_describe_process(p, ctx, &in, &out), FX_EDEADLINE);
    assert_int_equal(calls_split, 0);
    e2e_chain_describe_free(p);
    fx_ctx_free(ctx);
    fx_ctx_free(root);
    fx_clock_free(clock);
}

static void test_e2e_chain_reuse_after_reset(void **state)
{
    (void)state;
    e2e_chain_describe *p = e2e_chain_describe_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    for (int i = 0; i < 100; i++) {
        const char *in = (i % 2) ? "x yy" : " ";
        const char *out = NULL;
        int rc = e2e_chain_describe_process(p, ctx, &in, &out);
        if (i % 2) {
            assert_int_equal(rc, 0);
            assert_string_equal(out, "2 words, longest 'yy', last 'yy'");
        } else {
            assert_int_equal(rc, 42);
        }
        fx_ctx_reset(ctx);
        assert_null(fx_ctx_error(ctx));
    }
    fx_ctx_free(ctx);
    e2e_chain_describe_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_chain_runs_every_stage_in_order),
        cmocka_unit_test(test_e2e_chain_struct_output),
        cmocka_unit_test(test_e2e_chain_middle_error_names_stage),
        cmocka_unit_test(test_e2e_chain_done_context_runs_nothing),
        cmocka_unit_test(test_e2e_chain_deadline_passed_runs_nothing),
        cmocka_unit_test(test_e2e_chain_reuse_after_reset),
    };
    return cmocka_run_group_tests_name("e2e_chain", tests, NULL, NULL);
}
