/* End to end: buffer and pooled_buffer over small inputs with every batch
 * size that matters (1, 2, 3, 5, larger than the input), errors with the
 * batch offset, cancellation between batches, batch events; buffer's
 * result when the batch outputs are back to back in the arena (a view of
 * them), views of the input, views of a static array, empty outputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "batch_buffer.h"

/* What the batch stages saw, in call order. */
enum { MAX_BATCHES = 16 };
static size_t seen_len[MAX_BATCHES];
static int64_t seen_first[MAX_BATCHES];
static const int64_t *seen_ptr[MAX_BATCHES];
static int batches;
static int64_t fail_on = -1;       /* a batch whose first item is this fails with 77 */
static int64_t cancel_on = -1;     /* a batch whose first item is this cancels its ctx */

static void reset(void)
{
    batches = 0;
    fail_on = -1;
    cancel_on = -1;
}

static int note_batch(fx_ctx *ctx, const fx_slice_i64 *in)
{
    if (batches < MAX_BATCHES) {
        seen_len[batches] = in->len;
        seen_first[batches] = in->len > 0 ? in->ptr[0] : -1;
        seen_ptr[batches] = in->ptr;
    }
    batches++;
    if (in->len > 0 && in->ptr[0] == fail_on)
        return fx_fail(ctx, 77, "bad batch starting at %lld", (long long)in->ptr[0]);
    if (in->len > 0 && in->ptr[0] == cancel_on)
        fx_ctx_cancel(ctx);
    return 0;
}

int tag_batch(fx_ctx *ctx, const fx_slice_i64 *in, fx_slice_i64 *out)
{
    int rc = note_batch(ctx, in);
    if (rc != 0)
        return rc;
    out->ptr = fx_alloc(ctx, in->len * sizeof *out->ptr);
    for (size_t i = 0; i < in->len; i++)
        out->ptr[i] = in->ptr[i] * 10 + (int64_t)in->len;
    out->len = in->len;
    return 0;
}

int expand_batch(fx_ctx *ctx, const fx_slice_i64 *in, fx_slice_str *out)
{
    int rc = note_batch(ctx, in);
    if (rc != 0)
        return rc;
    out->ptr = fx_alloc(ctx, 2 * in->len * sizeof *out->ptr);
    for (size_t i = 0; i < in->len; i++) {
        out->ptr[2 * i] = fx_sprintf(ctx, "%lld", (long long)in->ptr[i]);
        out->ptr[2 * i + 1] = fx_sprintf(ctx, "%lld'", (long long)in->ptr[i]);
    }
    out->len = 2 * in->len;
    return 0;
}

/* The first output twice_batch made in this run. */
static const int64_t *first_twice;

int twice_batch(fx_ctx *ctx, const fx_slice_i64 *in, fx_slice_i64 *out)
{
    out->ptr = fx_alloc(ctx, in->len * sizeof *out->ptr);
    if (out->ptr == NULL)
        return FX_ENOMEM;
    for (size_t i = 0; i < in->len; i++)
        out->ptr[i] = in->ptr[i] * 2;
    out->len = in->len;
    if (first_twice == NULL)
        first_twice = out->ptr;
    return 0;
}

int same_batch(fx_ctx *ctx, const fx_slice_i64 *in, fx_slice_i64 *out)
{
    (void)ctx;
    *out = *in;
    return 0;
}

/* Each batch's output goes right after the one before in one static
 * array, as a stage keeping its results in its own storage would. */
static int64_t fixed_store[64];
static size_t fixed_used;

int fixed_batch(fx_ctx *ctx, const fx_slice_i64 *in, fx_slice_i64 *out)
{
    (void)ctx;
    if (fixed_used + in->len > 64)
        return FX_ENOMEM;
    out->ptr = fixed_store + fixed_used;
    for (size_t i = 0; i < in->len; i++)
        out->ptr[i] = in->ptr[i] * 3;
    out->len = in->len;
    fixed_used += in->len;
    return 0;
}

int gappy_batch(fx_ctx *ctx, const fx_slice_i64 *in, fx_slice_i64 *out)
{
    if (in->ptr[0] % 4 == 2) {
        out->ptr = NULL;
        out->len = 0;
        return 0;
    }
    return twice_batch(ctx, in, out);
}

/* Runs a [i64] -> [i64] pipeline of either kind. */
typedef int (*run_fn)(fx_ctx *ctx, const fx_slice_i64 *in, fx_slice_i64 *out);

#define RUNNER(P)                                                              \
    static int run_##P(fx_ctx *ctx, const fx_slice_i64 *in, fx_slice_i64 *out) \
    {                                                                          \
        batch_buffer_##P *p = batch_buffer_##P##_new(NULL);                    \
        assert_non_null(p);                                                    \
        int rc = batch_buffer_##P##_process(p, ctx, in, out);                  \
        batch_buffer_##P##_free(p);                                            \
        return rc;                                                             \
    }
RUNNER(by1)
RUNNER(by2)
RUNNER(by3)
RUNNER(by5)
RUNNER(by100)
RUNNER(pooled1)
RUNNER(pooled2)
RUNNER(pooled3)
RUNNER(pooled5)
RUNNER(pooled100)
RUNNER(doubled)
RUNNER(views)
RUNNER(statics)
RUNNER(gaps)

static int64_t items[] = {1, 2, 3, 4, 5, 6, 7};
static const fx_slice_i64 seven = {items, 7};

/* Runs 1..7 through run with batch size `size` and checks the batches and
 * the concatenated output. */
static void check_sizes(run_fn run, size_t size)
{
    reset();
    fx_ctx *ctx = fx_ctx_new();
    fx_slice_i64 out = {0};
    assert_int_equal(run(ctx, &seven, &out), 0);
    size_t want_batches = (7 + size - 1) / size;
    assert_int_equal(batches, (int)want_batches);
    for (size_t b = 0; b < want_batches; b++) {
        size_t len = 7 - b * size < size ? 7 - b * size : size;
        assert_int_equal(seen_len[b], len);
        assert_int_equal(seen_first[b], (int64_t)(b * size) + 1);
    }
    assert_int_equal(out.len, 7);
    for (size_t i = 0; i < 7; i++) {
        size_t b = i / size;
        size_t len = 7 - b * size < size ? 7 - b * size : size;
        assert_int_equal(out.ptr[i], (int64_t)(i + 1) * 10 + (int64_t)len);
    }
    fx_ctx_free(ctx);
}

static void test_batch_buffer_sizes(void **state)
{
    (void)state;
    check_sizes(run_by1, 1);
    check_sizes(run_by2, 2);
    check_sizes(run_by3, 3);
    check_sizes(run_by5, 5);
    check_sizes(run_by100, 100);
}

static void test_batch_buffer_pooled_sizes(void **state)
{
    (void)state;
    check_sizes(run_pooled1, 1);
    check_sizes(run_pooled2, 2);
    check_sizes(run_pooled3, 3);
    check_sizes(run_pooled5, 5);
    check_sizes(run_pooled100, 100);
}

static void check_empty(run_fn run)
{
    reset();
    fx_ctx *ctx = fx_ctx_new();
    fx_slice_i64 empty = {NULL, 0}, out = {items, 99};
    assert_int_equal(run(ctx, &empty, &out), 0);
    assert_int_equal(batches, 0);
    assert_int_equal(out.len, 0);
    fx_ctx_free(ctx);
}

static void test_batch_buffer_empty_input_runs_no_batch(void **state)
{
    (void)state;
    check_empty(run_by3);
    check_empty(run_pooled3);
}

/* Batch size 3 over 1..7: batches at offsets 0, 3, 6; the second fails. */
static void check_second_batch_fails(run_fn run, const char *component)
{
    reset();
    fail_on = 4;
    fx_ctx *ctx = fx_ctx_new();
    fx_slice_i64 out = {NULL, 0};
    assert_int_equal(run(ctx, &seven, &out), FX_EBUFFER);
    assert_int_equal(batches, 2);                      /* the third never ran */
    assert_null(out.ptr);                              /* output untouched */
    const fx_error *err = fx_ctx_error(ctx);
    assert_non_null(err);
    assert_int_equal(err->code, FX_EBUFFER);
    assert_int_equal(err->index, 3);
    assert_string_equal(err->stage, component);
    assert_true(fx_error_is(err, 77));                 /* the application's code, through the wrapper */
    assert_non_null(err->cause);
    assert_int_equal(err->cause->code, 77);
    assert_string_equal(err->cause->stage, "tag");
    char buf[256];
    fx_error_format(err, buf, sizeof buf);
    assert_non_null(strstr(buf, "offset 3"));
    assert_non_null(strstr(buf, "bad batch starting at 4"));
    fx_ctx_free(ctx);
}

static void test_batch_buffer_error_in_second_batch_reports_its_offset(void **state)
{
    (void)state;
    check_second_batch_fails(run_by3, "buffer");
    check_second_batch_fails(run_pooled3, "pooled_buffer");
}

static void check_cancel_between_batches(run_fn run)
{
    reset();
    cancel_on = 1;                                     /* the first batch cancels */
    fx_ctx *ctx = fx_ctx_new();
    fx_slice_i64 out = {NULL, 0};
    assert_int_equal(run(ctx, &seven, &out), FX_ECANCELED);
    assert_int_equal(batches, 1);
    assert_null(out.ptr);
    fx_ctx_free(ctx);
}

static void test_batch_buffer_context_checked_before_each_batch(void **state)
{
    (void)state;
    check_cancel_between_batches(run_by3);
    check_cancel_between_batches(run_pooled3);
}

static void test_batch_buffer_done_context_runs_no_batch(void **state)
{
    (void)state;
    reset();
    fx_ctx *ctx = fx_ctx_new();
    fx_ctx_cancel(ctx);
    fx_slice_i64 out = {NULL, 0};
    assert_int_equal(run_by3(ctx, &seven, &out), FX_ECANCELED);
    assert_int_equal(run_pooled3(ctx, &seven, &out), FX_ECANCELED);
    assert_int_equal(batches, 0);
    fx_ctx_free(ctx);
}

static void test_batch_buffer_output_type_differs_from_input(void **state)
{
    (void)state;
    reset();
    fx_ctx *ctx = fx_ctx_new();
    int64_t xs[] = {1, 2, 3};
    fx_slice_i64 in = {xs, 3};
    fx_slice_str out = {0};
    batch_buffer_strings *p = batch_buffer_strings_new(NULL);
    assert_int_equal(batch_buffer_strings_process(p, ctx, &in, &out), 0);
    batch_buffer_strings_free(p);
    const char *want[] = {"1", "1'", "2", "2'", "3", "3'"};
    assert_int_equal(out.len, 6);
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(out.ptr[i], want[i]);

    batch_buffer_pooled_strings *q = batch_buffer_pooled_strings_new(NULL);
    fx_slice_str out2 = {0};
    assert_int_equal(batch_buffer_pooled_strings_process(q, ctx, &in, &out2), 0);
    batch_buffer_pooled_strings_free(q);
    assert_int_equal(out2.len, 6);
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(out2.ptr[i], want[i]);
    fx_ctx_free(ctx);
}

/* buffer hands each batch a view into the input; pooled_buffer a copy in
 * its pooled storage, the same storage run after run. */
static void test_batch_buffer_views_and_pooled_copies(void **state)
{
    (void)state;
    fx_ctx *ctx = fx_ctx_new();
    fx_slice_i64 out = {0};
    reset();
    assert_int_equal(run_by3(ctx, &seven, &out), 0);
    assert_ptr_equal(seen_ptr[0], &items[0]);
    assert_ptr_equal(seen_ptr[1], &items[3]);

    batch_buffer_pooled3 *p = batch_buffer_pooled3_new(NULL);
    reset();
    assert_int_equal(batch_buffer_pooled3_process(p, ctx, &seven, &out), 0);
    const int64_t *storage = seen_ptr[0];
    assert_true(storage < items || storage >= items + 7);
    assert_ptr_equal(seen_ptr[1], storage);            /* one batch buffer, reused */
    reset();
    assert_int_equal(batch_buffer_pooled3_process(p, ctx, &seven, &out), 0);
    assert_ptr_equal(seen_ptr[0], storage);            /* and again on the next run */
    assert_int_equal(out.ptr[6], 71);
    batch_buffer_pooled3_free(p);
    fx_ctx_free(ctx);
}

/* Outputs allocated back to back in the arena already are the
 * concatenation: the result is a view of them, no copy. */
static void test_batch_buffer_arena_outputs_back_to_back_are_the_result(void **state)
{
    (void)state;
    fx_ctx *ctx = fx_ctx_new();
    for (int run = 0; run < 2; run++) {
        first_twice = NULL;
        fx_slice_i64 out = {0};
        assert_int_equal(run_doubled(ctx, &seven, &out), 0);
        assert_int_equal(out.len, 7);
        for (size_t i = 0; i < 7; i++)
            assert_int_equal(out.ptr[i], 2 * items[i]);
        assert_ptr_equal(out.ptr, first_twice);
        fx_ctx_reset(ctx);
    }
    fx_ctx_free(ctx);
}

/* More batches than buffer keeps on its stack (16): the outputs' list is
 * then in the arena; in place, copied, and a failure in batch 30. */
static void test_batch_buffer_many_batches(void **state)
{
    (void)state;
    int64_t many[61];
    for (int i = 0; i < 61; i++) many[i] = i + 1;
    const fx_slice_i64 in = {many, 61};
    fx_ctx *ctx = fx_ctx_new();
    first_twice = NULL;
    fx_slice_i64 out = {0};
    assert_int_equal(run_doubled(ctx, &in, &out), 0);   /* 31 batches, back to back */
    assert_int_equal(out.len, 61);
    for (size_t i = 0; i < 61; i++)
        assert_int_equal(out.ptr[i], 2 * many[i]);
    assert_ptr_equal(out.ptr, first_twice);
    fx_ctx_reset(ctx);
    out = (fx_slice_i64){0};
    assert_int_equal(run_views(ctx, &in, &out), 0);     /* views of the input: a copy */
    assert_int_equal(out.len, 61);
    assert_ptr_not_equal(out.ptr, many);
    for (size_t i = 0; i < 61; i++)
        assert_int_equal(out.ptr[i], many[i]);
    fx_ctx_reset(ctx);
    reset();
    fail_on = 31;                                        /* batch 30 of size 1 */
    out = (fx_slice_i64){0};
    assert_int_equal(run_by1(ctx, &in, &out), FX_EBUFFER);
    assert_null(out.ptr);
    assert_int_equal(batches, 31);
    assert_int_equal(fx_ctx_error(ctx)->index, 30);
    assert_int_equal(fx_ctx_error(ctx)->cause->code, 77);
    reset();
    fx_ctx_free(ctx);
}

/* Outputs that are views of the input, back to back as they are, are
 * copied: the result is not the caller's array. */
static void test_batch_buffer_views_of_the_input_are_copied(void **state)
{
    (void)state;
    fx_ctx *ctx = fx_ctx_new();
    fx_slice_i64 out = {0};
    assert_int_equal(run_views(ctx, &seven, &out), 0);
    assert_int_equal(out.len, 7);
    assert_true(out.ptr + 7 <= items || out.ptr >= items + 7);
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(out.ptr[i], items[i]);
    fx_ctx_free(ctx);
}

/* Outputs back to back in a stage's own storage are copied too: the
 * result stays what it was when the stage reuses that storage. */
static void test_batch_buffer_outputs_outside_the_arena_are_copied(void **state)
{
    (void)state;
    fx_ctx *ctx = fx_ctx_new();
    fixed_used = 0;
    fx_slice_i64 out = {0};
    assert_int_equal(run_statics(ctx, &seven, &out), 0);
    assert_int_equal(out.len, 7);
    memset(fixed_store, 0, sizeof fixed_store);
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(out.ptr[i], 3 * items[i]);
    fx_ctx_free(ctx);
}

/* Empty outputs (no memory at all) between arena outputs. */
static void test_batch_buffer_empty_outputs_between_others(void **state)
{
    (void)state;
    fx_ctx *ctx = fx_ctx_new();
    int64_t xs[] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
    fx_slice_i64 in = {xs, 9};
    const int64_t want[] = {0, 2, 8, 10, 16};   /* batches [2 3] and [6 7] give nothing */
    fx_slice_i64 out = {0};
    assert_int_equal(run_gaps(ctx, &in, &out), 0);
    assert_int_equal(out.len, 5);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(out.ptr[i], want[i]);
    int64_t odd[] = {2, 3, 6, 7};   /* every output empty */
    in = (fx_slice_i64){odd, 4};
    out = (fx_slice_i64){xs, 9};
    assert_int_equal(run_gaps(ctx, &in, &out), 0);
    assert_int_equal(out.len, 0);
    assert_null(out.ptr);
    fx_ctx_free(ctx);
}

/* Batch events: one per batch, index = offset, value = size. */
typedef struct seen_events {
    int n;
    int index[8];
    int64_t value[8];
} seen_events;

static void on_event(void *user, const fx_event *ev)
{
    seen_events *s = user;
    if (ev->kind != FX_EVENT_BUFFER_BATCH || s->n >= 8)
        return;
    assert_string_equal(ev->component->name, "batches");
    s->index[s->n] = ev->index;
    s->value[s->n] = ev->value;
    s->n++;
}

static void test_batch_buffer_reports_batch_events(void **state)
{
    (void)state;
    reset();
    seen_events seen = {0};
    fx_metrics metrics = {.user = &seen, .event = on_event};
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){.metrics = &metrics});
    batch_buffer_strings *p = batch_buffer_strings_new(rt);
    fx_ctx *ctx = fx_ctx_new();
    int64_t xs[] = {1, 2, 3, 4, 5};
    fx_slice_i64 in = {xs, 5};
    fx_slice_str out = {0};
    assert_int_equal(batch_buffer_strings_process(p, ctx, &in, &out), 0);
    assert_int_equal(seen.n, 3);
    assert_int_equal(seen.index[0], 0);
    assert_int_equal(seen.index[1], 2);
    assert_int_equal(seen.index[2], 4);
    assert_int_equal(seen.value[0], 2);
    assert_int_equal(seen.value[2], 1);
    fx_ctx_free(ctx);
    batch_buffer_strings_free(p);
    fx_runtime_free(rt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_buffer_sizes),
        cmocka_unit_test(test_batch_buffer_pooled_sizes),
        cmocka_unit_test(test_batch_buffer_empty_input_runs_no_batch),
        cmocka_unit_test(test_batch_buffer_error_in_second_batch_reports_its_offset),
        cmocka_unit_test(test_batch_buffer_context_checked_before_each_batch),
        cmocka_unit_test(test_batch_buffer_done_context_runs_no_batch),
        cmocka_unit_test(test_batch_buffer_output_type_differs_from_input),
        cmocka_unit_test(test_batch_buffer_views_and_pooled_copies),
        cmocka_unit_test(test_batch_buffer_reports_batch_events),
        cmocka_unit_test(test_batch_buffer_arena_outputs_back_to_back_are_the_result),
        cmocka_unit_test(test_batch_buffer_many_batches),
        cmocka_unit_test(test_batch_buffer_views_of_the_input_are_copied),
        cmocka_unit_test(test_batch_buffer_outputs_outside_the_arena_are_copied),
        cmocka_unit_test(test_batch_buffer_empty_outputs_between_others),
    };
    return cmocka_run_group_tests_name("batch_buffer", tests, NULL, NULL);
}
