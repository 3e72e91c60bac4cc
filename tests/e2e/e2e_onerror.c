/* End to end: on_error swallowing and replacing errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "e2e_onerror.h"

enum { BAD_NUMBER = 7, ODD = 9, REPLACED = 100 };

static int handler_calls, last_code;

int parse_int(fx_ctx *ctx, const char *const *in, int64_t *out)
{
    char *end;
    long long v = strtoll(*in, &end, 10);
    if (end == *in || *end)
        return fx_fail(ctx, BAD_NUMBER, "'%s' is not a number", *in);
    *out = v;
    return 0;
}

int halve(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    (void)ctx;
    if (*in % 2)
        return ODD;   /* a bare code, no message */
    *out = *in / 2;
    return 0;
}

int swallow_parse_errors(fx_ctx *ctx, int code)
{
    (void)ctx;
    handler_calls++;
    last_code = code;
    return code == BAD_NUMBER || code == ODD ? 0 : code;
}

int replace_codes(fx_ctx *ctx, int code)
{
    (void)ctx;
    handler_calls++;
    last_code = code;
    return code == FX_ECANCELED ? code : REPLACED;
}

static void test_e2e_onerror_not_called_on_success(void **state)
{
    (void)state;
    handler_calls = 0;
    e2e_onerror_swallow *p = e2e_onerror_swallow_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    const char *in = "84";
    int64_t out = 0;
    assert_int_equal(e2e_onerror_swallow_process(p, ctx, &in, &out), 0);
    assert_int_equal(out, 42);
    assert_int_equal(handler_calls, 0);
    fx_ctx_free(ctx);
    e2e_onerror_swallow_free(p);
}

static void test_e2e_onerror_swallows(void **state)
{
    (void)state;
    handler_calls = 0;
    e2e_onerror_swallow *p = e2e_onerror_swallow_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    const char *in = "x1";
    int64_t out = 5;
    assert_int_equal(e2e_onerror_swallow_process(p, ctx, &in, &out), 0);
    assert_int_equal(handler_calls, 1);
    assert_int_equal(last_code, BAD_NUMBER);
    assert_int_equal(out, 0);   /* a swallowed error leaves the zero value */
    assert_null(fx_ctx_error(ctx));
    fx_ctx_free(ctx);
    e2e_onerror_swallow_free(p);
}

static void test_e2e_onerror_replaces(void **state)
{
    (void)state;
    handler_calls = 0;
    e2e_onerror_replace *p = e2e_onerror_replace_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    const char *in = "3";
    int64_t out = 5;
    assert_int_equal(e2e_onerror_replace_process(p, ctx, &in, &out), REPLACED);
    assert_int_equal(out, 5);
    assert_int_equal(last_code, ODD);
    const fx_error *err = fx_ctx_error(ctx);
    assert_non_null(err);
    assert_int_equal(err->code, REPLACED);
    assert_non_null(err->cause);
    assert_int_equal(err->cause->code, ODD);
    assert_string_equal(err->cause->stage, "half");
    assert_true(fx_error_is(err, ODD));
    fx_ctx_free(ctx);
    e2e_onerror_replace_free(p);
}

static void test_e2e_onerror_sees_context_errors(void **state)
{
    (void)state;
    handler_calls = 0;
    e2e_onerror_replace *p = e2e_onerror_replace_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    fx_ctx_cancel(ctx);
    const char *in = "4";
    int64_t out = 0;
    assert_int_equal(e2e_onerror_replace_process(p, ctx, &in, &out), FX_ECANCELED);
    assert_int_equal(handler_calls, 1);
    assert_int_equal(last_code, FX_ECANCELED);
    fx_ctx_free(ctx);
    e2e_onerror_replace_free(p);
}

static void test_e2e_onerror_inner_handler_scope(void **state)
{
    (void)state;
    handler_calls = 0;
    e2e_onerror_inner *p = e2e_onerror_inner_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    const char *bad = "zz", *odd = "5";
    int64_t out = 0;
    /* parse is outside the handler: its error goes through */
    assert_int_equal(e2e_onerror_inner_process(p, ctx, &bad, &out), BAD_NUMBER);
    assert_string_equal(fx_ctx_error(ctx)->stage, "parse");
    assert_int_equal(handler_calls, 0);
    fx_ctx_reset(ctx);
    /* half is inside: swallowed */
    assert_int_equal(e2e_onerror_inner_process(p, ctx, &odd, &out), 0);
    assert_int_equal(handler_calls, 1);
    fx_ctx_free(ctx);
    e2e_onerror_inner_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_onerror_not_called_on_success),
        cmocka_unit_test(test_e2e_onerror_swallows),
        cmocka_unit_test(test_e2e_onerror_replaces),
        cmocka_unit_test(test_e2e_onerror_sees_context_errors),
        cmocka_unit_test(test_e2e_onerror_inner_handler_scope),
    };
    return cmocka_run_group_tests_name("e2e_onerror", tests, NULL, NULL);
}
