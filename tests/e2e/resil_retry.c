/* End to end: retry on the fake clock — the result of the try that worked,
 * exhaustion after exactly N tries, retry_if, the exact backoff waits
 * (constant, exponential capped, jitter reproducible for a seed, a user
 * function), cancellation during a wait, and retry events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "resil_retry.h"
#include "fx_test.h"

#define MS FX_TEST_MS
#define SEC (1000 * MS)

enum { TRANSIENT = 11, PERMANENT = 12, MAX_CALLS = 16 };

/* The script of flaky_call: the first `fail_first` calls fail with
 * fail_code[i] (TRANSIENT when 0), the others succeed with in*10 + call. */
static fx_clock *clock_;
static int calls, fail_first;
static int fail_code[MAX_CALLS];
static int64_t call_at[MAX_CALLS];

int flaky_call(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    int i = calls++;
    if (i < MAX_CALLS)
        call_at[i] = fx_clock_now(clock_);
    if (i < fail_first) {
        int code = i < MAX_CALLS && fail_code[i] != 0 ? fail_code[i] : TRANSIENT;
        return fx_fail(ctx, code, "try %d failed", i + 1);
    }
    *out = *in * 10 + calls;
    return 0;
}

/* The script of bare_call, per try: what it does before failing with
 * TRANSIENT (or succeeding: in * 10 + call, when do_[i] is SUCCEED). */
enum { BARE, STALE_FAIL, CANCEL_BARE, CANCEL_OWN, SUCCEED, WRITE_FAIL };
static int do_[MAX_CALLS];
static int bare_calls;
static int dirty_outputs;   /* tries that found their output not zeroed */

int bare_call(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    int i = bare_calls++;
    if (*out != 0)
        dirty_outputs++;
    switch (i < MAX_CALLS ? do_[i] : BARE) {
    case WRITE_FAIL:   /* a partial output, then a failure */
        *out = 999;
        return TRANSIENT;
    case STALE_FAIL:   /* an fx_fail with another code than the one returned */
        fx_fail(ctx, PERMANENT, "stale %d", i + 1);
        return TRANSIENT;
    case CANCEL_BARE:
        fx_ctx_cancel(ctx);
        return TRANSIENT;
    case CANCEL_OWN:
        fx_ctx_cancel(ctx);
        return fx_fail(ctx, FX_ECANCELED, "stopped at %d", i + 1);
    case SUCCEED:
        *out = *in * 10 + bare_calls;
        return 0;
    default:
        return TRANSIENT;
    }
}

bool is_transient(const fx_error *err) { return err->code == TRANSIENT; }

int64_t squares(int attempt) { return (int64_t)(attempt + 1) * (attempt + 1) * MS; }

typedef struct env {
    fx_runtime *rt;
    fx_ctx *ctx;
} env;

static int setup(void **state)
{
    static env e;
    clock_ = fx_clock_fake_new(0);
    fx_clock_fake_set_auto(clock_, true);          /* every backoff jumps the clock */
    e.rt = fx_runtime_new(&(fx_runtime_config){ .clock = clock_, .threads = 1 });
    e.ctx = fx_ctx_new();
    calls = 0;
    fail_first = 0;
    memset(fail_code, 0, sizeof fail_code);
    memset(call_at, 0, sizeof call_at);
    *state = &e;
    return 0;
}

static int teardown(void **state)
{
    env *e = *state;
    fx_ctx_free(e->ctx);
    fx_runtime_free(e->rt);
    fx_clock_free(clock_);
    return 0;
}

static void test_resil_retry_succeeds_on_third_of_five(void **state)
{
    env *e = *state;
    resil_retry_five *p = resil_retry_five_new(e->rt);
    fail_first = 2;
    int64_t in = 4, out = 0;
    assert_int_equal(resil_retry_five_process(p, e->ctx, &in, &out), 0);
    assert_int_equal(calls, 3);
    assert_int_equal(out, 43);                      /* the third try's result */
    assert_null(fx_ctx_error(e->ctx));              /* earlier failures leave no record */
    resil_retry_five_free(p);
}

static void test_resil_retry_exhausted_after_exactly_n(void **state)
{
    env *e = *state;
    resil_retry_five *p = resil_retry_five_new(e->rt);
    fail_first = 100;
    int64_t in = 4, out = -1;
    assert_int_equal(resil_retry_five_process(p, e->ctx, &in, &out), FX_ERETRY_EXHAUSTED);
    assert_int_equal(calls, 5);
    assert_int_equal(out, -1);
    const fx_error *err = fx_ctx_error(e->ctx);
    assert_int_equal(err->code, FX_ERETRY_EXHAUSTED);
    assert_int_equal(err->attempts, 5);
    assert_non_null(err->cause);
    assert_int_equal(err->cause->code, TRANSIENT);  /* the last error */
    assert_string_equal(err->cause->message, "try 5 failed");
    assert_true(fx_error_is(err, TRANSIENT));
    char text[256];
    fx_error_format(err, text, sizeof text);
    assert_string_equal(text, "retry: retry exhausted 5 attempts: flaky: try 5 failed");
    resil_retry_five_free(p);
}

static void test_resil_retry_default_is_three_attempts(void **state)
{
    env *e = *state;
    resil_retry_three *p = resil_retry_three_new(e->rt);
    fail_first = 100;
    int64_t in = 1, out = 0;
    assert_int_equal(resil_retry_three_process(p, e->ctx, &in, &out), FX_ERETRY_EXHAUSTED);
    assert_int_equal(calls, 3);
    assert_int_equal(fx_ctx_error(e->ctx)->attempts, 3);
    assert_int_equal(fx_clock_now(clock_), 0);      /* no backoff: no wait */
    resil_retry_three_free(p);
}

static void test_resil_retry_if_false_stops(void **state)
{
    env *e = *state;
    resil_retry_picky *p = resil_retry_picky_new(e->rt);
    fail_first = 100;
    fail_code[1] = PERMANENT;                       /* the 2nd try fails for good */
    int64_t in = 1, out = 0;
    assert_int_equal(resil_retry_picky_process(p, e->ctx, &in, &out), PERMANENT);
    assert_int_equal(calls, 2);
    const fx_error *err = fx_ctx_error(e->ctx);
    assert_int_equal(err->attempts, 2);
    assert_string_equal(err->message, "retry giving up after 2 attempts");
    assert_int_equal(err->cause->code, PERMANENT);
    char text[256];
    fx_error_format(err, text, sizeof text);
    assert_string_equal(text, "retry: retry giving up after 2 attempts: flaky: try 2 failed");
    resil_retry_picky_free(p);
}

/* The waits between the tries, from the fake clock's reading at each call. */
static void assert_waits(const int64_t *want, int n)
{
    assert_int_equal(calls, n + 1);
    for (int i = 0; i < n; i++)
        assert_int_equal(call_at[i + 1] - call_at[i], want[i]);
}

static void test_resil_retry_constant_backoff(void **state)
{
    env *e = *state;
    resil_retry_fixed *p = resil_retry_fixed_new(e->rt);
    fail_first = 100;
    int64_t in = 1, out = 0;
    assert_int_equal(resil_retry_fixed_process(p, e->ctx, &in, &out), FX_ERETRY_EXHAUSTED);
    const int64_t want[] = { 100 * MS, 100 * MS, 100 * MS };   /* none after the last */
    assert_waits(want, 3);
    assert_int_equal(fx_clock_now(clock_), 300 * MS);
    resil_retry_fixed_free(p);
}

static void test_resil_retry_exponential_backoff_capped(void **state)
{
    env *e = *state;
    resil_retry_expo *p = resil_retry_expo_new(e->rt);
    fail_first = 100;
    int64_t in = 1, out = 0;
    assert_int_equal(resil_retry_expo_process(p, e->ctx, &in, &out), FX_ERETRY_EXHAUSTED);
    const int64_t want[] = { 100 * MS, 200 * MS, 400 * MS, 800 * MS, SEC };
    assert_waits(want, 5);
    resil_retry_expo_free(p);
}

static void test_resil_retry_jitter_reproducible_for_a_seed(void **state)
{
    env *e = *state;
    resil_retry_jitter *p = resil_retry_jitter_new(e->rt);
    fx_retry_set_seed(resil_retry_jitter_r(p), 42);
    fail_first = 100;
    int64_t in = 1, out = 0;
    assert_int_equal(resil_retry_jitter_process(p, e->ctx, &in, &out), FX_ERETRY_EXHAUSTED);
    fx_backoff b = { .kind = FX_BACKOFF_EXPONENTIAL, .base_ns = 100 * MS, .factor = 2.0,
                     .max_ns = 5 * SEC, .jitter = 0.2 };
    fx_retry *ref = fx_retry_new(&b, 42);
    int64_t want[5];
    for (int k = 0; k < 5; k++) {
        want[k] = fx_retry_backoff(ref, k);
        int64_t d = (100 * MS) << k;
        assert_true(want[k] >= d - d / 5 && want[k] <= d + d / 5);   /* within ±20% */
    }
    assert_waits(want, 5);

    /* the same seed again: the same waits */
    int64_t first[6];
    memcpy(first, call_at, sizeof first);
    calls = 0;
    fx_retry_set_seed(resil_retry_jitter_r(p), 42);
    fx_ctx_reset(e->ctx);
    assert_int_equal(resil_retry_jitter_process(p, e->ctx, &in, &out), FX_ERETRY_EXHAUSTED);
    for (int i = 0; i < 5; i++) assert_int_equal(call_at[i + 1] - call_at[i], first[i + 1] - first[i]);
    fx_retry_free(ref);
    resil_retry_jitter_free(p);
}

static void test_resil_retry_function_backoff(void **state)
{
    env *e = *state;
    resil_retry_custom *p = resil_retry_custom_new(e->rt);
    fail_first = 3;
    int64_t in = 2, out = 0;
    assert_int_equal(resil_retry_custom_process(p, e->ctx, &in, &out), 0);
    assert_int_equal(out, 24);
    const int64_t want[] = { 1 * MS, 4 * MS, 9 * MS };
    assert_waits(want, 3);
    resil_retry_custom_free(p);
}

typedef struct runner {
    resil_retry_fixed *p;
    fx_ctx *ctx;
    int rc;
    pthread_t thread;
} runner;

static void *run_fixed(void *arg)
{
    runner *r = arg;
    int64_t in = 1, out = 0;
    r->rc = resil_retry_fixed_process(r->p, r->ctx, &in, &out);
    return NULL;
}

static void test_resil_retry_cancel_during_backoff(void **state)
{
    env *e = *state;
    fx_clock_fake_set_auto(clock_, false);         /* the wait really waits */
    resil_retry_fixed *p = resil_retry_fixed_new(e->rt);
    fail_first = 100;
    runner r = { .p = p, .ctx = e->ctx, .rc = 1 };
    assert_int_equal(pthread_create(&r.thread, NULL, run_fixed, &r), 0);
    assert_true(fx_test_wait_waiters(clock_, 1));  /* in the first backoff */
    fx_ctx_cancel(e->ctx);
    assert_int_equal(pthread_join(r.thread, NULL), 0);
    assert_int_equal(r.rc, FX_ECANCELED);
    assert_int_equal(calls, 1);
    assert_int_equal(fx_clock_now(clock_), 0);      /* it did not wait for the clock */
    assert_int_equal(fx_ctx_error(e->ctx)->code, FX_ECANCELED);
    assert_string_equal(fx_ctx_error(e->ctx)->stage, "retry");
    resil_retry_fixed_free(p);
}

static void test_resil_retry_done_context_runs_nothing(void **state)
{
    env *e = *state;
    resil_retry_five *p = resil_retry_five_new(e->rt);
    fx_ctx_cancel(e->ctx);
    int64_t in = 1, out = 0;
    assert_int_equal(resil_retry_five_process(p, e->ctx, &in, &out), FX_ECANCELED);
    assert_int_equal(calls, 0);
    assert_int_equal(out, 0);
    assert_string_equal(fx_ctx_error(e->ctx)->stage, "flaky");   /* the stage that did not run */
    resil_retry_five_free(p);
}

static int attempt_events, last_index, last_code;
static int64_t waited;

static void on_event(void *user, const fx_event *ev)
{
    (void)user;
    if (ev->kind != FX_EVENT_RETRY_ATTEMPT)
        return;
    attempt_events++;
    last_index = ev->index;
    last_code = ev->code;
    waited += ev->value;
}

static void test_resil_retry_reports_attempts(void **state)
{
    env *e = *state;
    fx_metrics m = { .event = on_event };
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){ .clock = clock_, .threads = 1, .metrics = &m });
    resil_retry_fixed *p = resil_retry_fixed_new(rt);
    fail_first = 2;
    attempt_events = 0;
    waited = 0;
    int64_t in = 1, out = 0;
    assert_int_equal(resil_retry_fixed_process(p, e->ctx, &in, &out), 0);
    assert_int_equal(attempt_events, 2);
    assert_int_equal(last_index, 3);                /* the third try is about to run */
    assert_int_equal(last_code, TRANSIENT);
    assert_int_equal(waited, 200 * MS);
    resil_retry_fixed_free(p);
    fx_runtime_free(rt);
}

/* Runs scripted5 on a fresh context with the script, unobserved and then
 * observed (a metrics table counting retry events): both must return the
 * same code and leave the same record. Returns the code; *text is the
 * unobserved record formatted, *stage its stage. */
static int run_scripted(env *e, const int *script, int n, char *text, size_t size, const char **stage)
{
    fx_metrics m = { .event = on_event };
    fx_runtime *observed = fx_runtime_new(&(fx_runtime_config){ .clock = clock_, .threads = 1, .metrics = &m });
    fx_runtime *rts[2] = { e->rt, observed };
    int codes[2];
    char texts[2][256];
    for (int r = 0; r < 2; r++) {
        memset(do_, 0, sizeof do_);
        memcpy(do_, script, (size_t)n * sizeof *script);
        bare_calls = 0;
        dirty_outputs = 0;
        fx_ctx *ctx = fx_ctx_new();
        resil_retry_scripted5 *p = resil_retry_scripted5_new(rts[r]);
        int64_t in = 2, out = -1;
        codes[r] = resil_retry_scripted5_process(p, ctx, &in, &out);
        const fx_error *err = fx_ctx_error(ctx);
        if (codes[r] == 0) {
            assert_null(err);
            assert_int_equal(out, 20 + bare_calls);
            snprintf(texts[r], sizeof texts[r], "ok");
        } else {
            assert_int_equal(out, -1);
            assert_non_null(err);
            fx_error_format(err, texts[r], sizeof texts[r]);
            if (r == 0)
                *stage = err->stage;   /* a static string */
        }
        assert_int_equal(dirty_outputs, 0);   /* every try starts from a zero output */
        resil_retry_scripted5_free(p);
        fx_ctx_free(ctx);
    }
    fx_runtime_free(observed);
    assert_int_equal(codes[0], codes[1]);
    assert_string_equal(texts[0], texts[1]);
    snprintf(text, size, "%s", texts[0]);
    return codes[0];
}

static void test_resil_retry_records_only_where_it_stops(void **state)
{
    env *e = *state;
    char text[256];
    const char *stage = NULL;

    /* exhausted: the cause is the last try's bare failure, not try 1's stale
     * fx_fail (another code) nor anything of the tries in between */
    const int stale_then_bare[] = { STALE_FAIL, BARE, STALE_FAIL, BARE, BARE };
    assert_int_equal(run_scripted(e, stale_then_bare, 5, text, sizeof text, &stage), FX_ERETRY_EXHAUSTED);
    assert_string_equal(stage, "retry");
    assert_string_equal(text, "retry: retry exhausted 5 attempts: scripted: application error (code 11)");

    /* exhausted on a stale fx_fail: the last try's record is {TRANSIENT,
     * scripted}, its stale message not attributed */
    const int all_stale[] = { STALE_FAIL, STALE_FAIL, STALE_FAIL, STALE_FAIL, STALE_FAIL };
    assert_int_equal(run_scripted(e, all_stale, 5, text, sizeof text, &stage), FX_ERETRY_EXHAUSTED);
    assert_string_equal(text, "retry: retry exhausted 5 attempts: scripted: application error (code 11)");

    /* succeeds on the third: no record of the failures before */
    const int third[] = { STALE_FAIL, BARE, SUCCEED };
    assert_int_equal(run_scripted(e, third, 3, text, sizeof text, &stage), 0);
    assert_int_equal(bare_calls, 3);

    /* the stage cancels its context and fails with its own code: retry stops
     * and reports the cancellation as its own */
    const int cancel_bare[] = { BARE, CANCEL_BARE };
    assert_int_equal(run_scripted(e, cancel_bare, 2, text, sizeof text, &stage), FX_ECANCELED);
    assert_int_equal(bare_calls, 2);
    assert_string_equal(stage, "retry");

    /* the stage cancels and says so itself: its record stands */
    const int cancel_own[] = { STALE_FAIL, CANCEL_OWN };
    assert_int_equal(run_scripted(e, cancel_own, 2, text, sizeof text, &stage), FX_ECANCELED);
    assert_int_equal(bare_calls, 2);
    assert_string_equal(stage, "scripted");
    assert_non_null(strstr(text, "stopped at 2"));

    /* tries that write their output and fail: the caller's output stays as
     * it was (run_scripted checks it), the next try starts from zero */
    const int write_fail[] = { WRITE_FAIL, WRITE_FAIL, WRITE_FAIL, WRITE_FAIL, WRITE_FAIL };
    assert_int_equal(run_scripted(e, write_fail, 5, text, sizeof text, &stage), FX_ERETRY_EXHAUSTED);
    const int write_then_succeed[] = { WRITE_FAIL, WRITE_FAIL, SUCCEED };
    assert_int_equal(run_scripted(e, write_then_succeed, 3, text, sizeof text, &stage), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_resil_retry_succeeds_on_third_of_five, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_retry_exhausted_after_exactly_n, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_retry_default_is_three_attempts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_retry_if_false_stops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_retry_constant_backoff, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_retry_exponential_backoff_capped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_retry_jitter_reproducible_for_a_seed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_retry_function_backoff, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_retry_cancel_during_backoff, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_retry_done_context_runs_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_retry_reports_attempts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_retry_records_only_where_it_stops, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
