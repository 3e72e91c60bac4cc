/* Stress: 100,000 items through map and through a fanout per item, with
 * random failures and random cancellations. Every item is accounted for:
 * it has its output, or a reported error names it (collect_errors), or the
 * whole run reported an error (fail-fast). Each run ends in bounded time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "flow_stress.h"

#define MS ((int64_t)1000000)
enum { N = 100000, RUNS = 6 };

static atomic_uint seed;

static bool unlucky(int64_t x)
{
    uint64_t h = ((uint64_t)x + atomic_load(&seed)) * 0x9E3779B97F4A7C15u;
    return (h >> 40) % 53 == 0;
}

int flaky_double(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    if (unlucky(*in)) return fx_fail(ctx, 21, "unlucky %lld", (long long)*in);
    *out = *in * 2;
    return 0;
}

int flaky_triple(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    if (unlucky(*in + 7)) return fx_fail(ctx, 22, NULL);
    *out = *in * 3;
    return 0;
}

/* Cancels ctx after a random delay (or never). */
typedef struct canceller {
    fx_ctx *ctx;
    int64_t after_ns;          /* < 0: never */
    pthread_t thread;
} canceller;

static void *cancel_later(void *arg)
{
    canceller *c = arg;
    if (c->after_ns >= 0) {
        fx_clock_sleep(NULL, NULL, c->after_ns);
        fx_ctx_cancel(c->ctx);
    }
    return NULL;
}

static int64_t items[N];
static fx_runtime *rt;

static int setup(void **state)
{
    (void)state;
    for (int i = 0; i < N; i++) items[i] = i;
    rt = fx_runtime_new(&(fx_runtime_config){ .threads = 4 });
    srand(12345);
    return rt == NULL;
}

static int teardown(void **state)
{
    (void)state;
    fx_runtime_free(rt);
    return 0;
}

/* A root ctx and a child that the canceller may cancel mid-run. */
static void start_run(int run, fx_ctx **root, fx_ctx **ctx, canceller *c)
{
    atomic_store(&seed, (unsigned)rand());
    *root = fx_ctx_new();
    *ctx = fx_ctx_with_cancel(*root);
    *c = (canceller){ .ctx = *ctx, .after_ns = run % 3 == 0 ? -1 : (int64_t)(rand() % 20) * MS / 2 };
    assert_int_equal(pthread_create(&c->thread, NULL, cancel_later, c), 0);
}

static void end_run(fx_ctx *root, fx_ctx *ctx, canceller *c, int64_t t0)
{
    assert_int_equal(pthread_join(c->thread, NULL), 0);
    assert_true(fx_clock_now(NULL) - t0 < 60000 * MS);
    fx_ctx_free(ctx);
    fx_ctx_free(root);
}

/* Errors in index order, each naming an item whose slot holds the zero
 * value; every other item has its output. */
static bool failed_item[N];

static void account(const fx_error *err, int rc, size_t n, bool (*ok_at)(size_t i), bool (*zero_at)(size_t i))
{
    memset(failed_item, 0, sizeof failed_item);
    if (rc == FX_EMULTI) {
        assert_int_equal(err->code, FX_EMULTI);
        for (size_t k = 0; k < err->count; k++) {
            int idx = err->errors[k].index;
            assert_true(idx >= 0 && (size_t)idx < n);
            if (k > 0) assert_true(idx > err->errors[k - 1].index);
            failed_item[idx] = true;
        }
    } else {
        assert_int_equal(rc, 0);
    }
    for (size_t i = 0; i < n; i++)
        if (failed_item[i] ? !zero_at(i) : !ok_at(i)) fail_msg("item %zu is not accounted for", i);
}

/* The canceller may fire before the map has started (its delay can be 0,
 * and a loaded machine may start it late): then the map runs nothing and
 * the whole input is the one reported error (SPEC 5.4: a done context
 * returns its error without running a stage). */
static bool cancelled_before_start(fx_ctx *ctx, int rc, size_t out_len)
{
    if (rc != FX_ECANCELED || out_len != 0)
        return false;
    assert_true(fx_ctx_done(ctx));
    assert_true(fx_error_is(fx_ctx_error(ctx), FX_ECANCELED));
    return true;
}

static fx_slice_i64 map_out;
static bool map_ok(size_t i) { return map_out.ptr[i] == (int64_t)i * 2; }
static bool map_zero(size_t i) { return map_out.ptr[i] == 0; }

static void test_flow_stress_map_collect_errors(void **state)
{
    (void)state;
    flow_stress_each *p = flow_stress_each_new(rt);
    for (int run = 0; run < RUNS; run++) {
        fx_ctx *root, *ctx;
        canceller c;
        int64_t t0 = fx_clock_now(NULL);
        start_run(run, &root, &ctx, &c);
        fx_slice_i64 in = { items, N };
        map_out = (fx_slice_i64){ 0 };
        int rc = flow_stress_each_process(p, ctx, &in, &map_out);
        if (!cancelled_before_start(ctx, rc, map_out.len)) {
            assert_int_equal(map_out.len, N);
            account(fx_ctx_error(ctx), rc, N, map_ok, map_zero);
        }
        end_run(root, ctx, &c, t0);
    }
    flow_stress_each_free(p);
}

static void test_flow_stress_map_fail_fast(void **state)
{
    (void)state;
    flow_stress_fast *p = flow_stress_fast_new(rt);
    for (int run = 0; run < RUNS; run++) {
        fx_ctx *root, *ctx;
        canceller c;
        int64_t t0 = fx_clock_now(NULL);
        start_run(run, &root, &ctx, &c);
        fx_slice_i64 in = { items, N };
        fx_slice_i64 out = { 0 };
        int rc = flow_stress_fast_process(p, ctx, &in, &out);
        if (rc == 0) {                         /* no failure at all: every output */
            assert_int_equal(out.len, N);
            for (size_t i = 0; i < N; i++) assert_int_equal(out.ptr[i], (int64_t)i * 2);
        } else {                               /* the whole run failed, naming an item */
            const fx_error *err = fx_ctx_error(ctx);
            assert_true(rc == FX_EMAP_ITEM || rc == FX_ECANCELED);
            if (rc == FX_EMAP_ITEM) {
                assert_true(err->index >= 0 && err->index < N);
                assert_true(fx_error_is(err, 21) || fx_error_is(err, FX_ECANCELED));
            }
            assert_null(out.ptr);
        }
        end_run(root, ctx, &c, t0);
    }
    flow_stress_fast_free(p);
}

static fx_slice_slice_i64 fan_out;
static bool fan_ok(size_t i)
{
    const fx_slice_i64 *r = &fan_out.ptr[i];
    return r->len == 3 && r->ptr[0] == (int64_t)i * 2 && r->ptr[1] == (int64_t)i * 3 && r->ptr[2] == (int64_t)i * 2;
}
static bool fan_zero(size_t i) { return fan_out.ptr[i].len == 0 && fan_out.ptr[i].ptr == NULL; }

static void test_flow_stress_fanout_per_item(void **state)
{
    (void)state;
    flow_stress_fanned *p = flow_stress_fanned_new(rt);
    for (int run = 0; run < RUNS; run++) {
        fx_ctx *root, *ctx;
        canceller c;
        int64_t t0 = fx_clock_now(NULL);
        start_run(run, &root, &ctx, &c);
        fx_slice_i64 in = { items, N };
        fan_out = (fx_slice_slice_i64){ 0 };
        int rc = flow_stress_fanned_process(p, ctx, &in, &fan_out);
        if (cancelled_before_start(ctx, rc, fan_out.len)) {
            end_run(root, ctx, &c, t0);
            continue;
        }
        assert_int_equal(fan_out.len, N);
        account(fx_ctx_error(ctx), rc, N, fan_ok, fan_zero);
        if (rc == FX_EMULTI) {                 /* fan-out errors name their stage */
            const fx_error *e = &fx_ctx_error(ctx)->errors[0];
            assert_true(e->code == FX_EFANOUT || e->code == FX_ECANCELED);
            if (e->code == FX_EFANOUT) assert_true(e->cause != NULL);
        }
        end_run(root, ctx, &c, t0);
    }
    flow_stress_fanned_free(p);
}

/* One instance, four threads, input sizes that move its map's call site
 * between running on the caller (cheap) and on the workers: every run's
 * result is exactly what the items say (no cancellation here), whichever
 * way the scheduler chose. */
enum { SHARE_THREADS = 4, SHARE_RUNS = 240 };

typedef struct sharer {
    flow_stress_each *p;
    int id;
    int bad;                   /* runs that were not exactly right */
} sharer;

static void *share_main(void *arg)
{
    static const size_t sizes[] = { 1, 3, 40, 700, 5000, 10, 200, 2 };
    sharer *sh = arg;
    fx_ctx *ctx = fx_ctx_new();
    for (int run = 0; run < SHARE_RUNS; run++) {
        size_t n = sizes[(size_t)(run + sh->id) % (sizeof sizes / sizeof *sizes)];
        const int64_t *in_items = items + (size_t)sh->id * 5000;   /* each thread its own slice */
        fx_slice_i64 in = { (int64_t *)in_items, n };
        fx_slice_i64 out = { 0 };
        int rc = flow_stress_each_process(sh->p, ctx, &in, &out);
        size_t failed = 0, k = 0;
        for (size_t i = 0; i < n; i++) failed += unlucky(in_items[i]);
        const fx_error *err = fx_ctx_error(ctx);
        bool ok = out.len == n && (failed == 0 ? rc == 0 : rc == FX_EMULTI && err->count == failed);
        for (size_t i = 0; ok && i < n; i++) {
            if (unlucky(in_items[i])) {
                ok = out.ptr[i] == 0 && k < err->count && err->errors[k].index == (int)i &&
                     err->errors[k].code == 21;
                k++;
            } else {
                ok = out.ptr[i] == in_items[i] * 2;
            }
        }
        sh->bad += !ok;
        fx_ctx_reset(ctx);
    }
    fx_ctx_free(ctx);
    return NULL;
}

static void test_flow_stress_shared_instance_changing_sizes(void **state)
{
    (void)state;
    atomic_store(&seed, 777u);
    flow_stress_each *p = flow_stress_each_new(rt);
    sharer sh[SHARE_THREADS];
    pthread_t th[SHARE_THREADS];
    for (int t = 0; t < SHARE_THREADS; t++) {
        sh[t] = (sharer){ .p = p, .id = t };
        assert_int_equal(pthread_create(&th[t], NULL, share_main, &sh[t]), 0);
    }
    for (int t = 0; t < SHARE_THREADS; t++) {
        assert_int_equal(pthread_join(th[t], NULL), 0);
        assert_int_equal(sh[t].bad, 0);
    }
    flow_stress_each_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flow_stress_map_collect_errors),
        cmocka_unit_test(test_flow_stress_map_fail_fast),
        cmocka_unit_test(test_flow_stress_fanout_per_item),
        cmocka_unit_test(test_flow_stress_shared_instance_changing_sizes),
    };
    return cmocka_run_group_tests_name("flow_stress", tests, setup, teardown);
}
