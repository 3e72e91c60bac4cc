/* tests/test_runtime_retry.c — fx_retry: the backoff sequences (constant,
 * exponential with cap, jitter bounds and reproducibility, user function)
 * and the dlq's default `when`. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>

#include <fluxus/fluxus.h>

#include "fx_test.h"

#define MS FX_TEST_MS
#define SEC (1000 * MS)

static void test_retry_none_and_constant(void **state)
{
    (void)state;
    fx_retry *none = fx_retry_new(&(fx_backoff){ .kind = FX_BACKOFF_NONE }, 1);
    fx_retry *cst = fx_retry_new(&(fx_backoff){ .kind = FX_BACKOFF_CONSTANT, .base_ns = 100 * MS }, 1);
    for (int k = 0; k < 5; k++) {
        assert_int_equal(fx_retry_backoff(none, k), 0);
        assert_int_equal(fx_retry_backoff(cst, k), 100 * MS);
    }
    fx_retry_free(none);
    fx_retry_free(cst);
    assert_null(fx_retry_new(NULL, 0));
    fx_retry_free(NULL);
}

static void test_retry_exponential_capped(void **state)
{
    (void)state;
    fx_backoff b = { .kind = FX_BACKOFF_EXPONENTIAL, .base_ns = 100 * MS, .factor = 2.0, .max_ns = SEC };
    fx_retry *r = fx_retry_new(&b, 7);
    const int64_t want[] = { 100 * MS, 200 * MS, 400 * MS, 800 * MS, SEC, SEC, SEC };
    for (int k = 0; k < 7; k++) assert_int_equal(fx_retry_backoff(r, k), want[k]);
    assert_int_equal(fx_retry_backoff(r, 100000), SEC);   /* no overflow far out */
    fx_retry_free(r);

    b.max_ns = 0;                                   /* no cap: saturates */
    b.factor = 10.0;
    r = fx_retry_new(&b, 7);
    assert_int_equal(fx_retry_backoff(r, 3), 100 * SEC);
    assert_int_equal(fx_retry_backoff(r, 1000), INT64_MAX);
    fx_retry_free(r);

    b.factor = 0.5;                                 /* < 1 is taken as 1 */
    r = fx_retry_new(&b, 7);
    assert_int_equal(fx_retry_backoff(r, 5), 100 * MS);
    fx_retry_free(r);
}

static void test_retry_jitter_bounds_and_seed(void **state)
{
    (void)state;
    fx_backoff b = { .kind = FX_BACKOFF_EXPONENTIAL, .base_ns = 100 * MS, .factor = 2.0,
                     .max_ns = 5 * SEC, .jitter = 0.2 };
    fx_retry *r1 = fx_retry_new(&b, 42), *r2 = fx_retry_new(&b, 42), *r3 = fx_retry_new(&b, 43);
    int64_t first[64];
    bool differs = false, varies = false;
    for (int i = 0; i < 64; i++) {
        int k = i % 8;
        int64_t d = (int64_t)(100 * MS) << k;
        if (d > 5 * SEC) d = 5 * SEC;
        int64_t w1 = fx_retry_backoff(r1, k);
        first[i] = w1;
        assert_true(w1 >= d - d / 5 && w1 <= d + d / 5);          /* within ±20% */
        assert_int_equal(fx_retry_backoff(r2, k), w1);             /* same seed, same waits */
        differs = differs || fx_retry_backoff(r3, k) != w1;
        varies = varies || (k == 0 && w1 != 100 * MS);
    }
    assert_true(differs);
    assert_true(varies);
    fx_retry_set_seed(r1, 42);                                      /* reseeding replays */
    for (int i = 0; i < 64; i++) assert_int_equal(fx_retry_backoff(r1, i % 8), first[i]);
    fx_retry_free(r1);
    fx_retry_free(r2);
    fx_retry_free(r3);
}

static int64_t squares(int attempt) { return (int64_t)attempt * attempt * MS - 1 * MS; }

static void test_retry_function_backoff(void **state)
{
    (void)state;
    fx_retry *r = fx_retry_new(&(fx_backoff){ .kind = FX_BACKOFF_FUNCTION, .fn = squares }, 0);
    assert_int_equal(fx_retry_backoff(r, 0), 0);    /* negative is 0 */
    assert_int_equal(fx_retry_backoff(r, 1), 0);
    assert_int_equal(fx_retry_backoff(r, 3), 8 * MS);
    fx_retry_free(r);
}

enum { THREADS = 8, DRAWS = 1000 };

static void *drawer(void *arg)
{
    for (int i = 0; i < DRAWS; i++) (void)fx_retry_backoff(arg, 0);
    return NULL;
}

static void test_retry_draws_from_many_threads(void **state)
{
    (void)state;
    fx_backoff b = { .kind = FX_BACKOFF_EXPONENTIAL, .base_ns = SEC, .factor = 1.0, .jitter = 1.0 };
    fx_retry *r = fx_retry_new(&b, 9), *ref = fx_retry_new(&b, 9);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) assert_int_equal(pthread_create(&t[i], NULL, drawer, r), 0);
    for (int i = 0; i < THREADS; i++) assert_int_equal(pthread_join(t[i], NULL), 0);
    /* every draw was taken once: the next one is draw number THREADS * DRAWS */
    for (int i = 0; i < THREADS * DRAWS; i++) (void)fx_retry_backoff(ref, 0);
    assert_int_equal(fx_retry_backoff(r, 0), fx_retry_backoff(ref, 0));
    fx_retry_free(r);
    fx_retry_free(ref);
}

static void test_retry_dlq_default_when(void **state)
{
    (void)state;
    const int skipped[] = { FX_ECANCELED, FX_EDEADLINE, FX_ECIRCUIT_OPEN, FX_EFILTERED, FX_ENOROUTE };
    for (size_t i = 0; i < sizeof skipped / sizeof *skipped; i++)
        assert_false(fx_dlq_default_when(&(fx_error){ .code = skipped[i], .index = -1 }));
    const int taken[] = { 7, FX_ETIMEOUT, FX_ERETRY_EXHAUSTED, FX_ERATE_LIMITED, FX_EMAP_ITEM };
    for (size_t i = 0; i < sizeof taken / sizeof *taken; i++)
        assert_true(fx_dlq_default_when(&(fx_error){ .code = taken[i], .index = -1 }));
    assert_false(fx_dlq_default_when(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retry_none_and_constant),
        cmocka_unit_test(test_retry_exponential_capped),
        cmocka_unit_test(test_retry_jitter_bounds_and_seed),
        cmocka_unit_test(test_retry_function_backoff),
        cmocka_unit_test(test_retry_draws_from_many_threads),
        cmocka_unit_test(test_retry_dlq_default_when),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
