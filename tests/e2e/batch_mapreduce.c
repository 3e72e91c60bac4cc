/* End to end: mapreduce word count (the runtime's threads, parallelism 1
 * and 4), empty and single inputs, mapper and reducer errors, a deadline in
 * either phase, cancellation in the map phase, struct keys, output in order
 * of first appearance; many keys (the key table grows) and one instance
 * run after run on different key sets (its table starts at the last size);
 * a mapper failure and a cancellation late in a run, after the table grew. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <stdatomic.h>

#include "batch_mapreduce.h"

#define MS ((int64_t)1000000)

static atomic_int map_calls, reduce_calls;
static fx_ctx *cancel_ctx;                /* the mapper's call number cancel_at cancels it */
static int cancel_at = -1;
static fx_clock *fake;                    /* auto mode: a sleep jumps it forward */
static bool slow_map, slow_reduce;        /* the stage sleeps an hour (polls its context) */

/* A long stage, done right: it waits on its context, so a deadline or a
 * cancellation ends the wait at once. On the fake clock in auto mode the
 * first sleeper moves time past the context's deadline. */
static int sleep_an_hour(fx_ctx *ctx)
{
    return fx_clock_sleep(fake, ctx, 3600 * 1000 * MS);
}

int word_one(fx_ctx *ctx, const char *const *in, fx_kv_str_i64 *out)
{
    if (atomic_fetch_add(&map_calls, 1) == cancel_at)
        fx_ctx_cancel(cancel_ctx);   /* and succeeds: the next item sees it */
    if (strcmp(*in, "BAD") == 0)
        return fx_fail(ctx, 31, "unreadable word");
    if (slow_map)
        return sleep_an_hour(ctx);
    out->key = *in;
    out->value = 1;
    return 0;
}

int word_total(fx_ctx *ctx, const fx_group_str_i64 *in, fx_kv_str_i64 *out)
{
    atomic_fetch_add(&reduce_calls, 1);
    if (strcmp(in->key, "zzz") == 0)
        return fx_fail(ctx, 32, "cannot sum %s", in->key);
    if (slow_reduce)
        return sleep_an_hour(ctx);
    out->key = in->key;
    out->value = 0;
    for (size_t i = 0; i < in->values.len; i++)
        out->value += in->values.ptr[i];
    return 0;
}

int number_cell(fx_ctx *ctx, const int64_t *in, fx_kv_Cell_i64 *out)
{
    (void)ctx;
    out->key.row = (int32_t)(*in / 10);
    out->key.col = (int32_t)(*in % 2);
    out->value = *in;
    return 0;
}

int cell_total(fx_ctx *ctx, const fx_group_Cell_i64 *in, int64_t *out)
{
    (void)ctx;
    *out = 0;
    for (size_t i = 0; i < in->values.len; i++)
        *out = *out * 100 + in->values.ptr[i];
    return 0;
}

static void reset(void)
{
    atomic_store(&map_calls, 0);
    atomic_store(&reduce_calls, 0);
    slow_map = slow_reduce = false;
    cancel_ctx = NULL;
    cancel_at = -1;
}

typedef int (*count_fn)(fx_ctx *ctx, const fx_slice_str *in, fx_slice_kv_str_i64 *out);

static int run_count(fx_ctx *ctx, const fx_slice_str *in, fx_slice_kv_str_i64 *out)
{
    batch_mapreduce_count *p = batch_mapreduce_count_new(NULL);
    int rc = batch_mapreduce_count_process(p, ctx, in, out);
    batch_mapreduce_count_free(p);
    return rc;
}

static int run_count1(fx_ctx *ctx, const fx_slice_str *in, fx_slice_kv_str_i64 *out)
{
    batch_mapreduce_count1 *p = batch_mapreduce_count1_new(NULL);
    int rc = batch_mapreduce_count1_process(p, ctx, in, out);
    batch_mapreduce_count1_free(p);
    return rc;
}

static fx_runtime *rt4;   /* 4 worker threads, for count4 */

static int run_count4(fx_ctx *ctx, const fx_slice_str *in, fx_slice_kv_str_i64 *out)
{
    batch_mapreduce_count4 *p = batch_mapreduce_count4_new(rt4);
    int rc = batch_mapreduce_count4_process(p, ctx, in, out);
    batch_mapreduce_count4_free(p);
    return rc;
}

static const char *words[] = {"a", "b", "a", "c", "a", "b", "d", "a"};
static const fx_slice_str text = {words, 8};

static void check_word_count(count_fn run)
{
    reset();
    fx_ctx *ctx = fx_ctx_new();
    fx_slice_kv_str_i64 out = {0};
    assert_int_equal(run(ctx, &text, &out), 0);
    assert_int_equal(out.len, 4);
    const char *keys[] = {"a", "b", "c", "d"};
    const int64_t counts[] = {4, 2, 1, 1};
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(out.ptr[i].key, keys[i]);
        assert_int_equal(out.ptr[i].value, counts[i]);
    }
    assert_int_equal(atomic_load(&map_calls), 8);
    assert_int_equal(atomic_load(&reduce_calls), 4);
    fx_ctx_free(ctx);
}

static void test_batch_mapreduce_word_count(void **state)
{
    (void)state;
    check_word_count(run_count);
    check_word_count(run_count1);
}

static void test_batch_mapreduce_word_count_parallelism_4(void **state)
{
    (void)state;
    for (int round = 0; round < 50; round++)   /* the same order every time */
        check_word_count(run_count4);
}

static void check_empty_and_single(count_fn run)
{
    reset();
    fx_ctx *ctx = fx_ctx_new();
    fx_slice_str none = {NULL, 0};
    fx_slice_kv_str_i64 out = {(fx_kv_str_i64 *)1, 5};
    assert_int_equal(run(ctx, &none, &out), 0);
    assert_int_equal(out.len, 0);
    assert_null(out.ptr);
    assert_int_equal(atomic_load(&reduce_calls), 0);

    const char *only[] = {"solo"};
    fx_slice_str one = {only, 1};
    assert_int_equal(run(ctx, &one, &out), 0);
    assert_int_equal(out.len, 1);
    assert_string_equal(out.ptr[0].key, "solo");
    assert_int_equal(out.ptr[0].value, 1);
    fx_ctx_free(ctx);
}

static void test_batch_mapreduce_empty_and_single_inputs(void **state)
{
    (void)state;
    check_empty_and_single(run_count);
    check_empty_and_single(run_count1);
    check_empty_and_single(run_count4);
}

static void check_mapper_error(count_fn run, const char *component)
{
    reset();
    fx_ctx *ctx = fx_ctx_new();
    const char *bad[] = {"a", "b", "BAD", "c"};
    fx_slice_str in = {bad, 4};
    fx_slice_kv_str_i64 out = {0};
    assert_int_equal(run(ctx, &in, &out), 31);
    assert_null(out.ptr);
    assert_int_equal(atomic_load(&reduce_calls), 0);
    const fx_error *err = fx_ctx_error(ctx);
    assert_int_equal(err->code, 31);
    assert_string_equal(err->stage, component);
    assert_string_equal(err->message, "map phase failed");
    assert_int_equal(err->index, 2);
    assert_true(fx_error_is(err, 31));
    char buf[200];
    fx_error_format(err, buf, sizeof buf);
    assert_non_null(strstr(buf, "map phase failed: one: unreadable word"));
    fx_ctx_free(ctx);
}

static void test_batch_mapreduce_mapper_error(void **state)
{
    (void)state;
    check_mapper_error(run_count, "mapreduce");
    check_mapper_error(run_count4, "wordcount");
    check_mapper_error(run_count1, "mapreduce");
    assert_int_equal(atomic_load(&map_calls), 3);   /* one task, in order: stops at "BAD" */
}

static void check_reducer_error(count_fn run)
{
    reset();
    fx_ctx *ctx = fx_ctx_new();
    const char *in_words[] = {"a", "zzz", "b", "zzz"};
    fx_slice_str in = {in_words, 4};
    fx_slice_kv_str_i64 out = {0};
    assert_int_equal(run(ctx, &in, &out), 32);
    assert_null(out.ptr);
    const fx_error *err = fx_ctx_error(ctx);
    assert_string_equal(err->message, "reduce phase failed");
    assert_int_equal(err->index, 1);                   /* the second group: "zzz" */
    assert_true(fx_error_is(err, 32));
    assert_string_equal(err->cause->stage, "total");
    assert_string_equal(err->cause->message, "cannot sum zzz");
    fx_ctx_free(ctx);
}

static void test_batch_mapreduce_reducer_error(void **state)
{
    (void)state;
    check_reducer_error(run_count);
    check_reducer_error(run_count1);
    check_reducer_error(run_count4);
}

enum { MANY = 2000 };

/* MANY words over 20 distinct ones, under a 5 ms deadline on the fake clock. */
static int run_with_deadline(count_fn run, fx_slice_kv_str_i64 *out)
{
    static const char *many[MANY];
    static const char *names[20] = {"wa", "wb", "wc", "wd", "we", "wf", "wg", "wh", "wi", "wj",
                                    "wk", "wl", "wm", "wn", "wo", "wp", "wq", "wr", "ws", "wt"};
    for (int i = 0; i < MANY; i++)
        many[i] = names[i % 20];
    fx_slice_str in = {many, MANY};
    fx_ctx *root = fx_ctx_new_clock(fake);
    fx_ctx *ctx = fx_ctx_with_timeout(root, 5 * MS);
    int rc = run(ctx, &in, out);
    fx_ctx_free(ctx);
    fx_ctx_free(root);
    return rc;
}

/* Once the deadline passes, no task takes another item or group: at most
 * one call per task running at that moment, i.e. per worker. */
static void check_deadline_in_map_phase(count_fn run, int workers)
{
    reset();
    slow_map = true;
    fx_slice_kv_str_i64 out = {0};
    assert_int_equal(run_with_deadline(run, &out), FX_EDEADLINE);
    assert_true(atomic_load(&map_calls) >= 1);
    assert_true(atomic_load(&map_calls) <= workers);   /* not 2000 */
    assert_int_equal(atomic_load(&reduce_calls), 0);
    assert_null(out.ptr);
}

static void check_deadline_in_reduce_phase(count_fn run, int workers)
{
    reset();
    slow_reduce = true;
    fx_slice_kv_str_i64 out = {0};
    assert_int_equal(run_with_deadline(run, &out), FX_EDEADLINE);
    assert_int_equal(atomic_load(&map_calls), MANY);
    assert_true(atomic_load(&reduce_calls) >= 1);
    assert_true(atomic_load(&reduce_calls) <= workers); /* not 20 */
    assert_null(out.ptr);
}

static void test_batch_mapreduce_deadline_in_either_phase_returns_promptly(void **state)
{
    (void)state;
    int default_workers = fx_runtime_threads(fx_runtime_default());
    check_deadline_in_map_phase(run_count, default_workers);
    check_deadline_in_map_phase(run_count4, 4);
    check_deadline_in_map_phase(run_count1, 1);
    check_deadline_in_reduce_phase(run_count, default_workers < 20 ? default_workers : 19);
    check_deadline_in_reduce_phase(run_count4, 4);
    check_deadline_in_reduce_phase(run_count1, 1);
}

static void test_batch_mapreduce_struct_keys(void **state)
{
    (void)state;
    batch_mapreduce_cells *p = batch_mapreduce_cells_new(rt4);
    fx_ctx *ctx = fx_ctx_new();
    int64_t xs[] = {11, 12, 13, 21, 14, 22};
    fx_slice_i64 in = {xs, 6};
    fx_slice_i64 out = {0};
    assert_int_equal(batch_mapreduce_cells_process(p, ctx, &in, &out), 0);
    /* (1,1): 11 13   (1,0): 12 14   (2,1): 21   (2,0): 22 */
    assert_int_equal(out.len, 4);
    assert_int_equal(out.ptr[0], 1113);
    assert_int_equal(out.ptr[1], 1214);
    assert_int_equal(out.ptr[2], 21);
    assert_int_equal(out.ptr[3], 22);
    fx_ctx_free(ctx);
    batch_mapreduce_cells_free(p);
}

/* 512 words. With several tasks, the items other tasks start while the
 * mapper's call number 5 is still inside fx_ctx_cancel pass their context
 * check too: how many depends on timing (under TSan, more than three). On
 * the 8-word text all of them could be mapped, the map phase then
 * succeeded and the reduce phase reported the cancellation (seen in CI
 * under TSan); with 512, items are left that see it in the map phase. */
enum { CANCEL_WORDS = 512 };
static const char *words_many[CANCEL_WORDS];
static const fx_slice_str text_many = {words_many, CANCEL_WORDS};

/* The caller's context cancelled during the map phase (by the mapper's
 * call number 5, which itself succeeds): no item after the running ones is
 * mapped, nothing is reduced, the error is the cancellation. */
static void check_cancel_in_map_phase(count_fn run, bool one_worker)
{
    reset();
    for (size_t i = 0; i < CANCEL_WORDS; i++) words_many[i] = words[i % 8];
    fx_ctx *ctx = fx_ctx_new();
    cancel_ctx = ctx;
    cancel_at = 4;
    fx_slice_kv_str_i64 out = {(fx_kv_str_i64 *)1, 7};
    assert_int_equal(run(ctx, &text_many, &out), FX_ECANCELED);
    assert_ptr_equal(out.ptr, (fx_kv_str_i64 *)1);   /* untouched */
    assert_int_equal(out.len, 7);
    assert_int_equal(atomic_load(&reduce_calls), 0);
    const fx_error *err = fx_ctx_error(ctx);
    assert_int_equal(err->code, FX_ECANCELED);
    assert_string_equal(err->message, "map phase failed");
    if (one_worker) {
        assert_int_equal(atomic_load(&map_calls), 5);
        assert_int_equal(err->index, 5);             /* the first item that saw it */
        assert_string_equal(err->cause->stage, "one");
    } else {
        assert_true(atomic_load(&map_calls) >= 5);
        assert_true(atomic_load(&map_calls) < CANCEL_WORDS);   /* the rest saw the cancellation */
    }
    fx_ctx_free(ctx);
}

static void test_batch_mapreduce_cancel_in_map_phase(void **state)
{
    (void)state;
    check_cancel_in_map_phase(run_count1, true);
    check_cancel_in_map_phase(run_count4, false);
    check_cancel_in_map_phase(run_count, false);
}

enum { WORDS = 6000, KEYS = 3000 };   /* at most KEYS distinct ids */
static char word_text[WORDS][24];
static const char *word_ptr[WORDS];

/* Item i of n is "<prefix><id>" with id = i * 7919 % keys: every id
 * appears, first in a scrambled order. */
static size_t word_id(size_t i, size_t keys)
{
    return i * 7919 % keys;
}

static fx_slice_str make_words(const char *prefix, size_t n, size_t keys)
{
    for (size_t i = 0; i < n; i++) {
        snprintf(word_text[i], sizeof word_text[i], "%s%zu", prefix, word_id(i, keys));
        word_ptr[i] = word_text[i];
    }
    return (fx_slice_str){word_ptr, n};
}

/* out is the word count of make_words(…, n, keys): one entry per id, in
 * order of first appearance, each with its number of items. */
static void check_counts(const fx_slice_str *in, size_t keys, const fx_slice_kv_str_i64 *out)
{
    static int64_t count[KEYS];
    static size_t first[KEYS];   /* first[g]: the item where group g's key first appears */
    size_t distinct = 0;
    memset(count, 0, sizeof count);
    for (size_t i = 0; i < in->len; i++)
        if (count[word_id(i, keys)]++ == 0)
            first[distinct++] = i;
    assert_int_equal(out->len, distinct);
    for (size_t g = 0; g < distinct; g++) {
        assert_string_equal(out->ptr[g].key, in->ptr[first[g]]);
        assert_int_equal(out->ptr[g].value, count[word_id(first[g], keys)]);
    }
}

typedef struct counter {
    void *p;
    int (*process)(void *p, fx_ctx *ctx, const fx_slice_str *in, fx_slice_kv_str_i64 *out);
} counter;

#define COUNTER(P, RT)                                                                               \
    static int process_##P(void *p, fx_ctx *ctx, const fx_slice_str *in, fx_slice_kv_str_i64 *out) \
    {                                                                                                \
        return batch_mapreduce_##P##_process(p, ctx, in, out);                                      \
    }                                                                                                \
    static counter new_##P(void) { return (counter){batch_mapreduce_##P##_new(RT), process_##P}; } \
    static void free_##P(counter c) { batch_mapreduce_##P##_free(c.p); }
COUNTER(count, NULL)
COUNTER(count1, NULL)
COUNTER(count4, rt4)

/* One instance, run after run: its key table starts at the size the last
 * run ended with, whatever keys come next. */
static void check_runs(counter c)
{
    static const struct {
        const char *prefix;
        size_t n, keys;
    } runs[] = {
        {"w", WORDS, 2500},            /* the table grows from 8 slots */
        {"x", 10, 3},                  /* a big table, few keys */
        {"a-longer-word-", 500, 40},
        {"w", WORDS, 2500},            /* the same keys as the first run */
        {"v", WORDS, 1},               /* one group of every item */
        {"u", 3000, KEYS},             /* every item its own group */
    };
    fx_ctx *ctx = fx_ctx_new();
    assert_non_null(c.p);
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        reset();
        fx_slice_str in = make_words(runs[r].prefix, runs[r].n, runs[r].keys);
        fx_slice_kv_str_i64 out = {0};
        assert_int_equal(c.process(c.p, ctx, &in, &out), 0);
        check_counts(&in, runs[r].keys, &out);
        assert_int_equal(atomic_load(&map_calls), (int)runs[r].n);
        assert_int_equal(atomic_load(&reduce_calls), (int)out.len);
        fx_ctx_reset(ctx);
    }
    fx_ctx_free(ctx);
}

static void test_batch_mapreduce_many_keys_and_runs_on_one_instance(void **state)
{
    (void)state;
    counter c = new_count1();
    check_runs(c);
    free_count1(c);
    c = new_count4();
    check_runs(c);
    free_count4(c);
    c = new_count();
    check_runs(c);
    free_count(c);
}

/* A mapper failure, then a cancellation, late in a run whose key table has
 * grown (parallelism 1 maps and numbers each item in one pass): the error
 * names that item, nothing after it is mapped, nothing is reduced; the next
 * run on the same instance counts as usual. */
static void check_late_map_failures(counter c, bool one_worker)
{
    enum { N = 3000, AT = 2000 };
    fx_ctx *ctx = fx_ctx_new();
    reset();
    fx_slice_str in = make_words("w", N, 2500);
    word_ptr[AT] = "BAD";
    fx_slice_kv_str_i64 out = {0};
    assert_int_equal(c.process(c.p, ctx, &in, &out), 31);
    assert_null(out.ptr);
    const fx_error *err = fx_ctx_error(ctx);
    assert_string_equal(err->message, "map phase failed");
    assert_int_equal(err->index, AT);
    assert_string_equal(err->cause->stage, "one");
    assert_string_equal(err->cause->message, "unreadable word");
    assert_int_equal(atomic_load(&reduce_calls), 0);
    if (one_worker)
        assert_int_equal(atomic_load(&map_calls), AT + 1);
    fx_ctx_free(ctx);

    ctx = fx_ctx_new();
    reset();
    in = make_words("w", N, 2500);
    cancel_ctx = ctx;
    cancel_at = AT - 1;   /* item AT - 1 cancels and succeeds: item AT sees it */
    assert_int_equal(c.process(c.p, ctx, &in, &out), FX_ECANCELED);
    err = fx_ctx_error(ctx);
    assert_string_equal(err->message, "map phase failed");
    assert_int_equal(atomic_load(&reduce_calls), 0);
    if (one_worker) {
        assert_int_equal(err->index, AT);
        assert_string_equal(err->cause->stage, "one");
        assert_int_equal(atomic_load(&map_calls), AT);
    }
    fx_ctx_free(ctx);

    ctx = fx_ctx_new();
    reset();
    in = make_words("y", N, 2500);
    assert_int_equal(c.process(c.p, ctx, &in, &out), 0);
    check_counts(&in, 2500, &out);
    fx_ctx_free(ctx);
}

static void test_batch_mapreduce_late_map_failures(void **state)
{
    (void)state;
    counter c = new_count1();
    check_late_map_failures(c, true);
    free_count1(c);
    c = new_count4();
    check_late_map_failures(c, false);
    free_count4(c);
    c = new_count();
    check_late_map_failures(c, false);
    free_count(c);
}

/* A parallelism above 1 whose map phase settles on the caller: its untimed
 * runs there map and number the keys in one pass (the shuffle task), its
 * timed ones (every 64th) map on the cursor task and number after. Both
 * ways, run after run: the same counts, and a mapper failure names the
 * item, with nothing reduced. */
static void check_settled_on_caller(counter c)
{
    fx_ctx *ctx = fx_ctx_new();
    const char *keys[] = {"a", "b", "c", "d"};
    const int64_t counts[] = {4, 2, 1, 1};
    for (int r = 0; r < 300; r++) {
        reset();
        fx_slice_kv_str_i64 out = {0};
        assert_int_equal(c.process(c.p, ctx, &text, &out), 0);
        assert_int_equal(out.len, 4);
        for (size_t i = 0; i < 4; i++) {
            assert_string_equal(out.ptr[i].key, keys[i]);
            assert_int_equal(out.ptr[i].value, counts[i]);
        }
        assert_int_equal(atomic_load(&map_calls), 8);
        assert_int_equal(atomic_load(&reduce_calls), 4);
        fx_ctx_reset(ctx);
    }
    const char *bad[] = {"a", "b", "BAD", "c"};
    fx_slice_str in = {bad, 4};
    for (int r = 0; r < 130; r++) {   /* past two timed runs */
        reset();
        fx_slice_kv_str_i64 out = {0};
        assert_int_equal(c.process(c.p, ctx, &in, &out), 31);
        assert_null(out.ptr);
        assert_int_equal(atomic_load(&reduce_calls), 0);
        const fx_error *err = fx_ctx_error(ctx);
        assert_string_equal(err->message, "map phase failed");
        assert_int_equal(err->index, 2);
        assert_string_equal(err->cause->stage, "one");
        assert_string_equal(err->cause->message, "unreadable word");
        fx_ctx_reset(ctx);
    }
    fx_ctx_free(ctx);
}

static void test_batch_mapreduce_settled_on_the_caller(void **state)
{
    (void)state;
    counter c = new_count();
    check_settled_on_caller(c);
    free_count(c);
    c = new_count4();
    check_settled_on_caller(c);
    free_count4(c);
}

/* cell_total of the values v, v + 2, ..., v + 8 (a group of cells). */
static int64_t five_cells(int64_t v)
{
    int64_t r = 0;
    for (int j = 0; j < 5; j++)
        r = r * 100 + v + 2 * j;
    return r;
}

/* 800 struct keys (the integer hash, growing), then the small case on the
 * same instance. */
static void test_batch_mapreduce_many_struct_keys(void **state)
{
    (void)state;
    enum { N = 4000 };
    static int64_t xs[N];
    for (int i = 0; i < N; i++)
        xs[i] = i;
    batch_mapreduce_cells *p = batch_mapreduce_cells_new(rt4);
    fx_ctx *ctx = fx_ctx_new();
    fx_slice_i64 in = {xs, N};
    fx_slice_i64 out = {0};
    assert_int_equal(batch_mapreduce_cells_process(p, ctx, &in, &out), 0);
    /* x = 10 row + col + 2 j: first (row, 0) at 10 row, then (row, 1) */
    assert_int_equal(out.len, N / 5);
    for (size_t g = 0; g < out.len; g++)
        assert_int_equal(out.ptr[g], five_cells((int64_t)(g / 2 * 10 + g % 2)));
    fx_ctx_reset(ctx);
    int64_t few[] = {11, 12, 13, 21, 14, 22};
    in = (fx_slice_i64){few, 6};
    assert_int_equal(batch_mapreduce_cells_process(p, ctx, &in, &out), 0);
    assert_int_equal(out.len, 4);
    assert_int_equal(out.ptr[0], 1113);
    assert_int_equal(out.ptr[1], 1214);
    assert_int_equal(out.ptr[2], 21);
    assert_int_equal(out.ptr[3], 22);
    fx_ctx_free(ctx);
    batch_mapreduce_cells_free(p);
}

static int setup(void **state)
{
    (void)state;
    rt4 = fx_runtime_new(&(fx_runtime_config){.threads = 4});
    fake = fx_clock_fake_new(0);
    if (fake != NULL)
        fx_clock_fake_set_auto(fake, true);
    return rt4 != NULL && fake != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    fx_runtime_free(rt4);
    fx_clock_free(fake);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_mapreduce_word_count),
        cmocka_unit_test(test_batch_mapreduce_word_count_parallelism_4),
        cmocka_unit_test(test_batch_mapreduce_empty_and_single_inputs),
        cmocka_unit_test(test_batch_mapreduce_mapper_error),
        cmocka_unit_test(test_batch_mapreduce_reducer_error),
        cmocka_unit_test(test_batch_mapreduce_deadline_in_either_phase_returns_promptly),
        cmocka_unit_test(test_batch_mapreduce_struct_keys),
        cmocka_unit_test(test_batch_mapreduce_cancel_in_map_phase),
        cmocka_unit_test(test_batch_mapreduce_many_keys_and_runs_on_one_instance),
        cmocka_unit_test(test_batch_mapreduce_many_struct_keys),
        cmocka_unit_test(test_batch_mapreduce_late_map_failures),
        cmocka_unit_test(test_batch_mapreduce_settled_on_the_caller),
    };
    return cmocka_run_group_tests_name("batch_mapreduce", tests, setup, teardown);
}
