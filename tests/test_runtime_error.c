/* tests/test_runtime_error.c — error codes, fx_strerror, fx_error_is,
 * fx_error_format. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <fluxus/fluxus.h>

static fx_error leaf(int code)
{
    return (fx_error){ .code = code, .index = -1 };
}

static void test_error_codes_are_consecutive_negative(void **state)
{
    (void)state;
    static const int codes[] = {
        FX_ECANCELED, FX_EDEADLINE, FX_ETIMEOUT, FX_EFILTERED, FX_ENOROUTE,
        FX_ECIRCUIT_OPEN, FX_ERATE_LIMITED, FX_ERETRY_EXHAUSTED, FX_EFANOUT,
        FX_EMULTI, FX_EMAP_ITEM, FX_EBUFFER, FX_ESTAGE, FX_ENOMEM, FX_EINVAL,
    };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        assert_int_equal(codes[i], -(int)i - 1);
    assert_int_equal(FX_ERRNO_LAST, FX_EINVAL);
}

static void test_error_strerror_texts_are_distinct(void **state)
{
    (void)state;
    for (int a = -1; a >= FX_ERRNO_LAST; a--) {
        const char *ta = fx_strerror(a);
        assert_non_null(ta);
        assert_string_not_equal(ta, "unknown error");
        assert_string_not_equal(ta, "application error");
        for (int b = a - 1; b >= FX_ERRNO_LAST; b--)
            assert_string_not_equal(ta, fx_strerror(b));
    }
    assert_string_equal(fx_strerror(FX_ECANCELED), "context canceled");
    assert_string_equal(fx_strerror(FX_EDEADLINE), "context deadline exceeded");
    assert_string_equal(fx_strerror(FX_ECIRCUIT_OPEN), "circuit breaker is open");
    assert_string_equal(fx_strerror(FX_EINVAL), "invalid argument");
}

static void test_error_strerror_special_codes(void **state)
{
    (void)state;
    assert_string_equal(fx_strerror(0), "success");
    assert_string_equal(fx_strerror(7), "application error");
    assert_string_equal(fx_strerror(FX_ERRNO_LAST - 1), "unknown error");
    assert_string_equal(fx_strerror(INT32_MIN), "unknown error");
}

static void test_error_is_walks_causes_and_children(void **state)
{
    (void)state;
    fx_error deepest = leaf(FX_ETIMEOUT);
    fx_error mid = leaf(42);
    mid.cause = &deepest;
    fx_error kids[2] = { leaf(FX_EFILTERED), leaf(7) };
    kids[1].cause = &mid;
    fx_error top = leaf(FX_EMULTI);
    top.count = 2;
    top.errors = kids;

    assert_true(fx_error_is(&top, FX_EMULTI));
    assert_true(fx_error_is(&top, FX_EFILTERED));
    assert_true(fx_error_is(&top, 7));
    assert_true(fx_error_is(&top, 42));
    assert_true(fx_error_is(&top, FX_ETIMEOUT));
    assert_false(fx_error_is(&top, FX_ECANCELED));
    assert_false(fx_error_is(&mid, FX_EMULTI));      /* never upwards */
    assert_false(fx_error_is(NULL, FX_ECANCELED));
    top.count = 1;                                   /* only the first child now */
    assert_false(fx_error_is(&top, FX_ETIMEOUT));
}

static void expect_format(const fx_error *e, const char *want)
{
    char buf[256];
    size_t n = fx_error_format(e, buf, sizeof buf);
    assert_string_equal(buf, want);
    assert_int_equal(n, strlen(want));
}

static void test_error_format_plain(void **state)
{
    (void)state;
    fx_error e = leaf(FX_ECANCELED);
    expect_format(&e, "context canceled");
    e.stage = "fetch";
    expect_format(&e, "fetch: context canceled");
    e.message = "socket closed";
    expect_format(&e, "fetch: socket closed");
    fx_error app = leaf(7);
    expect_format(&app, "application error (code 7)");
    app.message = "bad order";
    expect_format(&app, "bad order");
    expect_format(NULL, "success");
}

static void test_error_format_retry_and_cause(void **state)
{
    (void)state;
    fx_error last = leaf(5);
    last.stage = "charge";
    last.message = "card declined";
    fx_error e = leaf(FX_ERETRY_EXHAUSTED);
    e.attempts = 3;
    e.cause = &last;
    expect_format(&e, "retry exhausted 3 attempts: charge: card declined");
    e.attempts = 1;
    expect_format(&e, "retry exhausted 1 attempt: charge: card declined");
    e.attempts = 0;
    expect_format(&e, "retry exhausted: charge: card declined");
    e.attempts = 3;
    e.message = "retry giving up after 3 attempts";
    expect_format(&e, "retry giving up after 3 attempts: charge: card declined");
}

static void test_error_format_children(void **state)
{
    (void)state;
    fx_error inner = leaf(FX_ETIMEOUT);
    fx_error kids[3] = { leaf(9), leaf(FX_EFILTERED), leaf(FX_ESTAGE) };
    kids[0].index = 1;
    kids[0].message = "parse failed";
    kids[1].index = 4;
    kids[2].cause = &inner;           /* index -1: no "[i] " */
    fx_error e = leaf(FX_EMULTI);
    e.stage = "enrich";
    e.count = 3;
    e.errors = kids;
    expect_format(&e, "enrich: multiple errors (3 errors: [1] parse failed; [4] item filtered; "
                      "stage failed: stage timed out)");
    e.count = 1;
    expect_format(&e, "enrich: multiple errors (1 error: [1] parse failed)");
    fx_error fan = leaf(FX_EFANOUT);
    fan.index = 2;
    fan.cause = &kids[0];
    expect_format(&fan, "fan-out stage failed: parse failed");
}

static void test_error_format_truncates(void **state)
{
    (void)state;
    fx_error e = leaf(FX_ECANCELED);
    e.stage = "fetch";                          /* "fetch: context canceled" = 23 */
    char buf[10];
    memset(buf, 'x', sizeof buf);
    assert_int_equal(fx_error_format(&e, buf, sizeof buf), 23);
    assert_string_equal(buf, "fetch: co");
    memset(buf, 'x', sizeof buf);
    assert_int_equal(fx_error_format(&e, buf, 1), 23);
    assert_int_equal(buf[0], '\0');
    assert_int_equal(buf[1], 'x');              /* nothing past n written */
    assert_int_equal(fx_error_format(&e, NULL, 0), 23);
    char exact[24];
    assert_int_equal(fx_error_format(&e, exact, sizeof exact), 23);
    assert_string_equal(exact, "fetch: context canceled");
    char one_short[23];
    assert_int_equal(fx_error_format(&e, one_short, sizeof one_short), 23);
    assert_string_equal(one_short, "fetch: context cancele");
}

static void test_error_version(void **state)
{
    (void)state;
    assert_int_equal(FX_VERSION_NUMBER, 100);
    assert_string_equal(fx_version(), FX_VERSION_STRING);
    assert_string_equal(fx_version(), "0.1.0");
    assert_true(FX_LIKELY(1));
    assert_false(FX_UNLIKELY(0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_codes_are_consecutive_negative),
        cmocka_unit_test(test_error_strerror_texts_are_distinct),
        cmocka_unit_test(test_error_strerror_special_codes),
        cmocka_unit_test(test_error_is_walks_causes_and_children),
        cmocka_unit_test(test_error_format_plain),
        cmocka_unit_test(test_error_format_retry_and_cause),
        cmocka_unit_test(test_error_format_children),
        cmocka_unit_test(test_error_format_truncates),
        cmocka_unit_test(test_error_version),
    };
    return cmocka_run_group_tests_name("runtime_error", tests, NULL, NULL);
}
