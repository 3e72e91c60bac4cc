/* End to end: nested pipelines and stages with state. */
#include <ctype.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "e2e_nested.h"

int trim_spaces(fx_ctx *ctx, const char *const *in, const char **out)
{
    const char *s = *in;
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ')
        n--;
    if (n == 0)
        return fx_fail(ctx, 3, "empty after trimming");
    char *d = fx_alloc(ctx, n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    *out = d;
    return 0;
}

int add_prefix(fx_ctx *ctx, struct prefix *state, const char *const *in, const char **out)
{
    *out = fx_sprintf(ctx, "%s%s", state->text, *in);
    return 0;
}

int count_calls(fx_ctx *ctx, Counter *state, const char *const *in, const char **out)
{
    (void)ctx;
    atomic_fetch_add(&state->calls, 1);
    *out = *in;
    return 0;
}

int to_upper(fx_ctx *ctx, const char *const *in, const char **out)
{
    char *d = fx_strdup(ctx, *in);
    for (char *p = d; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    *out = d;
    return 0;
}

static void test_e2e_nested_pipeline_inside_pipeline(void **state)
{
    (void)state;
    Counter counter = {0};
    struct prefix prefix = {"item: "};
    e2e_nested_label_state st = {.tag = &prefix, .count = &counter};
    e2e_nested_label *p = e2e_nested_label_new(NULL, &st);
    assert_non_null(p);
    fx_ctx *ctx = fx_ctx_new();
    const char *in = "  bolt ";
    const char *out = NULL;
    assert_int_equal(e2e_nested_label_process(p, ctx, &in, &out), 0);
    assert_string_equal(out, "ITEM: BOLT");
    assert_int_equal(atomic_load(&counter.calls), 1);
    fx_ctx_free(ctx);
    e2e_nested_label_free(p);
}

static void test_e2e_nested_error_inside_nested_pipeline(void **state)
{
    (void)state;
    Counter counter = {0};
    struct prefix prefix = {"x"};
    e2e_nested_label_state st = {.tag = &prefix, .count = &counter};
    e2e_nested_label *p = e2e_nested_label_new(NULL, &st);
    fx_ctx *ctx = fx_ctx_new();
    const char *in = "   ";
    const char *out = NULL;
    assert_int_equal(e2e_nested_label_process(p, ctx, &in, &out), 3);
    assert_null(out);
    assert_string_equal(fx_ctx_error(ctx)->stage, "trim");
    assert_string_equal(fx_ctx_error(ctx)->message, "empty after trimming");
    assert_int_equal(atomic_load(&counter.calls), 0);
    fx_ctx_free(ctx);
    e2e_nested_label_free(p);
}

static void test_e2e_nested_state_is_required(void **state)
{
    (void)state;
    assert_null(e2e_nested_label_new(NULL, NULL));
}

static void test_e2e_nested_twice_uses_state_once_per_stage(void **state)
{
    (void)state;
    Counter counter = {0};
    struct prefix prefix = {"> "};
    e2e_nested_twice_state st = {.tag = &prefix, .count = &counter};
    e2e_nested_twice *p = e2e_nested_twice_new(NULL, &st);
    fx_ctx *ctx = fx_ctx_new();
    const char *in = "nut";
    const char *out = NULL;
    assert_int_equal(e2e_nested_twice_process(p, ctx, &in, &out), 0);
    assert_string_equal(out, "> NUT");
    assert_int_equal(atomic_load(&counter.calls), 2);   /* clean runs twice */
    fx_ctx_free(ctx);
    e2e_nested_twice_free(p);
}

typedef struct worker_arg {
    e2e_nested_label *p;
    int failures;
} worker_arg;

static void *worker(void *arg)
{
    worker_arg *w = arg;
    fx_ctx *ctx = fx_ctx_new();
    for (int i = 0; i < 500; i++) {
        const char *in = " w ";
        const char *out = NULL;
        if (e2e_nested_label_process(w->p, ctx, &in, &out) != 0 || strcmp(out, "- W") != 0)
            w->failures++;
        fx_ctx_reset(ctx);
    }
    fx_ctx_free(ctx);
    return NULL;
}

static void test_e2e_nested_instance_shared_by_threads(void **state)
{
    (void)state;
    Counter counter = {0};
    struct prefix prefix = {"- "};
    e2e_nested_label_state st = {.tag = &prefix, .count = &counter};
    e2e_nested_label *p = e2e_nested_label_new(NULL, &st);
    pthread_t t[4];
    worker_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i].p = p;
        args[i].failures = 0;
        assert_int_equal(pthread_create(&t[i], NULL, worker, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(args[i].failures, 0);
    }
    assert_int_equal(atomic_load(&counter.calls), 2000);
    e2e_nested_label_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_nested_pipeline_inside_pipeline),
        cmocka_unit_test(test_e2e_nested_error_inside_nested_pipeline),
        cmocka_unit_test(test_e2e_nested_state_is_required),
        cmocka_unit_test(test_e2e_nested_twice_uses_state_once_per_stage),
        cmocka_unit_test(test_e2e_nested_instance_shared_by_threads),
    };
    return cmocka_run_group_tests_name("e2e_nested", tests, NULL, NULL);
}
