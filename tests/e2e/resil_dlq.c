/* End to end: dlq — called once with the item and its error on failure;
 * never on success, context errors, filtered items or an open circuit;
 * `when` chooses; a failing handler is reported (on_handler_error or one
 * line on stderr) and the original error is returned in every case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "resil_dlq.h"

enum { ODD = 7, TRANSIENT = 11, HANDLER_DOWN = 42 };

static int work_calls, dlq_calls, report_calls, report_code;
static int64_t dlq_item;
static int dlq_code;
static char dlq_text[256];

int work_item(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    work_calls++;
    if (*in == -1)
        return FX_EFILTERED;
    if (*in == -2)
        return fx_fail(ctx, TRANSIENT, "try later");
    if (*in % 2)
        return fx_fail(ctx, ODD, "%lld is odd", (long long)*in);
    *out = *in / 2;
    return 0;
}

int to_dlq(fx_ctx *ctx, const int64_t *item, const fx_error *err)
{
    (void)ctx;
    dlq_calls++;
    dlq_item = *item;
    dlq_code = err->code;
    fx_error_format(err, dlq_text, sizeof dlq_text);
    return 0;
}

bool only_transient(const fx_error *err) { return err->code == TRANSIENT; }

int broken_dlq(fx_ctx *ctx, const int64_t *item, const fx_error *err)
{
    (void)item;
    (void)err;
    dlq_calls++;
    return fx_fail(ctx, HANDLER_DOWN, "dead-letter store unreachable");
}

void report_handler(fx_ctx *ctx, const int64_t *item, const fx_error *err, int handler_code)
{
    (void)ctx;
    report_calls++;
    report_code = handler_code;
    dlq_item = *item;
    dlq_code = err->code;
}

static int setup(void **state)
{
    (void)state;
    work_calls = dlq_calls = report_calls = report_code = dlq_code = 0;
    dlq_item = 0;
    dlq_text[0] = '\0';
    return 0;
}

static void test_resil_dlq_called_once_on_failure(void **state)
{
    (void)state;
    resil_dlq_dead *p = resil_dlq_dead_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    int64_t in = 5, out = -1;
    assert_int_equal(resil_dlq_dead_process(p, ctx, &in, &out), ODD);   /* the original error */
    assert_int_equal(dlq_calls, 1);
    assert_int_equal(dlq_item, 5);
    assert_int_equal(dlq_code, ODD);
    assert_string_equal(dlq_text, "work: 5 is odd");
    assert_int_equal(fx_ctx_error(ctx)->code, ODD);
    fx_ctx_free(ctx);
    resil_dlq_dead_free(p);
}

static void test_resil_dlq_never_on_success(void **state)
{
    (void)state;
    resil_dlq_dead *p = resil_dlq_dead_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    int64_t in = 8, out = 0;
    assert_int_equal(resil_dlq_dead_process(p, ctx, &in, &out), 0);
    assert_int_equal(out, 4);
    assert_int_equal(dlq_calls, 0);
    fx_ctx_free(ctx);
    resil_dlq_dead_free(p);
}

static void test_resil_dlq_never_on_context_errors(void **state)
{
    (void)state;
    resil_dlq_dead *p = resil_dlq_dead_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    fx_ctx_cancel(ctx);
    int64_t in = 5, out = 0;
    assert_int_equal(resil_dlq_dead_process(p, ctx, &in, &out), FX_ECANCELED);
    fx_ctx_free(ctx);
    fx_clock *c = fx_clock_fake_new(0);
    fx_ctx *root = fx_ctx_new_clock(c);
    ctx = fx_ctx_with_timeout(root, 0);                 /* already past its deadline */
    assert_int_equal(resil_dlq_dead_process(p, ctx, &in, &out), FX_EDEADLINE);
    assert_int_equal(dlq_calls, 0);
    assert_int_equal(work_calls, 0);
    fx_ctx_free(ctx);
    fx_ctx_free(root);
    fx_clock_free(c);
    resil_dlq_dead_free(p);
}

static void test_resil_dlq_never_on_filtered_or_open_circuit(void **state)
{
    (void)state;
    resil_dlq_dead *p = resil_dlq_dead_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    int64_t in = -1, out = 0;
    assert_int_equal(resil_dlq_dead_process(p, ctx, &in, &out), FX_EFILTERED);
    assert_int_equal(dlq_calls, 0);
    resil_dlq_dead_free(p);

    resil_dlq_guarded *g = resil_dlq_guarded_new(NULL);
    in = 3;
    fx_ctx_reset(ctx);
    assert_int_equal(resil_dlq_guarded_process(g, ctx, &in, &out), ODD);   /* fails: to the DLQ, opens */
    assert_int_equal(dlq_calls, 1);
    fx_ctx_reset(ctx);
    assert_int_equal(resil_dlq_guarded_process(g, ctx, &in, &out), FX_ECIRCUIT_OPEN);
    assert_int_equal(dlq_calls, 1);                     /* an open circuit is not a dead letter */
    fx_ctx_free(ctx);
    resil_dlq_guarded_free(g);
}

static void test_resil_dlq_when_chooses(void **state)
{
    (void)state;
    resil_dlq_picky *p = resil_dlq_picky_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    int64_t in = 5, out = 0;
    assert_int_equal(resil_dlq_picky_process(p, ctx, &in, &out), ODD);
    assert_int_equal(dlq_calls, 0);
    in = -2;
    fx_ctx_reset(ctx);
    assert_int_equal(resil_dlq_picky_process(p, ctx, &in, &out), TRANSIENT);
    assert_int_equal(dlq_calls, 1);
    assert_int_equal(dlq_item, -2);
    fx_ctx_free(ctx);
    resil_dlq_picky_free(p);
}

static void test_resil_dlq_failing_handler_reported(void **state)
{
    (void)state;
    resil_dlq_failing *p = resil_dlq_failing_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    int64_t in = 9, out = 0;
    assert_int_equal(resil_dlq_failing_process(p, ctx, &in, &out), ODD);
    assert_int_equal(dlq_calls, 1);
    assert_int_equal(report_calls, 1);
    assert_int_equal(report_code, HANDLER_DOWN);
    assert_int_equal(dlq_item, 9);
    assert_int_equal(dlq_code, ODD);
    const fx_error *err = fx_ctx_error(ctx);             /* the item's error, not the handler's */
    assert_int_equal(err->code, ODD);
    assert_string_equal(err->message, "9 is odd");
    fx_ctx_free(ctx);
    resil_dlq_failing_free(p);
}

static void test_resil_dlq_failing_handler_default_report(void **state)
{
    (void)state;
    resil_dlq_noisy *p = resil_dlq_noisy_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    int64_t in = 9, out = 0;
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    fflush(stderr);
    int saved = dup(fileno(stderr));
    assert_true(dup2(fileno(tmp), fileno(stderr)) >= 0);
    int rc = resil_dlq_noisy_process(p, ctx, &in, &out);
    fflush(stderr);
    assert_true(dup2(saved, fileno(stderr)) >= 0);
    close(saved);
    assert_int_equal(rc, ODD);
    char line[512] = "";
    rewind(tmp);
    assert_non_null(fgets(line, sizeof line, tmp));
    assert_string_equal(line, "fluxus: dlq dlq: handler failed (code 42), dead letter lost: work: 9 is odd\n");
    assert_null(fgets(line, sizeof line, tmp));         /* one line */
    fclose(tmp);
    assert_int_equal(fx_ctx_error(ctx)->code, ODD);
    fx_ctx_free(ctx);
    resil_dlq_noisy_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_resil_dlq_called_once_on_failure, setup),
        cmocka_unit_test_setup(test_resil_dlq_never_on_success, setup),
        cmocka_unit_test_setup(test_resil_dlq_never_on_context_errors, setup),
        cmocka_unit_test_setup(test_resil_dlq_never_on_filtered_or_open_circuit, setup),
        cmocka_unit_test_setup(test_resil_dlq_when_chooses, setup),
        cmocka_unit_test_setup(test_resil_dlq_failing_handler_reported, setup),
        cmocka_unit_test_setup(test_resil_dlq_failing_handler_default_report, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
