/* tests/test_runtime_pool.c — fx_pool: counting, capacity, prewarm, slice
 * storage, lazy module-level pools, and many threads at once. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>

#include <fluxus/fluxus.h>

#include "malloc_count.h"

typedef struct point {
    int64_t x, y;
} point;

static void assert_stats(fx_pool *pool, size_t gets, size_t puts, size_t misses, size_t size)
{
    fx_pool_stats s = fx_pool_read_stats(pool);
    assert_int_equal(s.gets, gets);
    assert_int_equal(s.puts, puts);
    assert_int_equal(s.misses, misses);
    assert_int_equal(s.size, size);
}

static void test_pool_counts_gets_puts_and_misses(void **state)
{
    (void)state;
    fx_pool *pool = fx_pool_new(&(fx_pool_config){ .size = sizeof(point), .capacity = 4 });
    assert_non_null(pool);
    assert_stats(pool, 0, 0, 0, 0);

    point *a = fx_pool_get(pool);                 /* empty: a miss, zeroed */
    assert_non_null(a);
    assert_int_equal(a->x, 0);
    assert_int_equal(a->y, 0);
    assert_stats(pool, 1, 0, 1, 0);
    a->x = 7;
    fx_pool_put(pool, a);
    assert_stats(pool, 1, 1, 1, 1);

    point *b = fx_pool_get(pool);                 /* reused: same object, contents kept */
    assert_ptr_equal(b, a);
    assert_int_equal(b->x, 7);
    assert_stats(pool, 2, 1, 1, 0);
    fx_pool_put(pool, b);
    fx_pool_put(pool, NULL);                      /* no-op, not counted */
    assert_stats(pool, 2, 2, 1, 1);
    fx_pool_free(pool);
}

static void test_pool_prewarm_makes_hits(void **state)
{
    (void)state;
    fx_pool *pool = fx_pool_new(&(fx_pool_config){ .size = sizeof(point), .capacity = 8, .prewarm = 3 });
    assert_non_null(pool);
    assert_stats(pool, 0, 0, 0, 3);
    point *got[4];
    for (int i = 0; i < 4; i++) got[i] = fx_pool_get(pool);
    assert_stats(pool, 4, 0, 1, 0);               /* three prewarmed, the fourth a miss */
    for (int i = 0; i < 4; i++) fx_pool_put(pool, got[i]);
    assert_stats(pool, 4, 4, 1, 4);
    fx_pool_free(pool);
}

static void test_pool_prewarm_is_clamped_to_capacity(void **state)
{
    (void)state;
    fx_pool *pool = fx_pool_new(&(fx_pool_config){ .size = 16, .capacity = 2, .prewarm = 10 });
    assert_non_null(pool);
    assert_stats(pool, 0, 0, 0, 2);
    fx_pool_free(pool);
}

static void test_pool_keeps_at_most_capacity(void **state)
{
    (void)state;
    fx_pool *pool = fx_pool_new(&(fx_pool_config){ .size = sizeof(point), .capacity = 2 });
    point *got[5];
    for (int i = 0; i < 5; i++) got[i] = fx_pool_get(pool);
    for (int i = 0; i < 5; i++) fx_pool_put(pool, got[i]);   /* three of them are freed */
    assert_stats(pool, 5, 5, 5, 2);
    for (int i = 0; i < 3; i++) got[i] = fx_pool_get(pool);
    assert_stats(pool, 8, 5, 6, 0);               /* two hits, one miss */
    for (int i = 0; i < 3; i++) fx_pool_put(pool, got[i]);
    assert_stats(pool, 8, 8, 6, 2);
    fx_pool_free(pool);
}

static void test_pool_capacity_zero_keeps_nothing(void **state)
{
    (void)state;
    fx_pool *pool = fx_pool_new(&(fx_pool_config){ .size = 8, .capacity = 0 });
    void *a = fx_pool_get(pool);
    fx_pool_put(pool, a);
    a = fx_pool_get(pool);
    fx_pool_put(pool, a);
    assert_stats(pool, 2, 2, 2, 0);
    fx_pool_free(pool);
}

static void test_pool_null_arguments(void **state)
{
    (void)state;
    assert_null(fx_pool_new(NULL));
    assert_null(fx_pool_get(NULL));
    fx_pool_put(NULL, NULL);
    fx_pool_stats s = fx_pool_read_stats(NULL);
    assert_int_equal(s.gets + s.puts + s.misses + s.size, 0);
    fx_pool_free(NULL);
}

typedef struct slice_i64 {
    int64_t *ptr;
    size_t len;
} slice_i64;

static void test_pool_storage_grows_and_is_kept(void **state)
{
    (void)state;
    fx_pool *pool = fx_pool_new(&(fx_pool_config){
        .size = sizeof(slice_i64), .capacity = 2, .elem_size = sizeof(int64_t) });
    slice_i64 *s = fx_pool_get(pool);
    assert_null(fx_pool_storage(pool, s, 0));     /* never had storage */
    s->ptr = fx_pool_storage(pool, s, 100);
    assert_non_null(s->ptr);
    for (int64_t i = 0; i < 100; i++) s->ptr[s->len++] = i;
    int64_t *grown = fx_pool_storage(pool, s, 1000);   /* contents kept */
    assert_non_null(grown);
    for (int64_t i = 0; i < 100; i++) assert_int_equal(grown[i], i);
    fx_pool_put(pool, s);

    slice_i64 *again = fx_pool_get(pool);
    assert_ptr_equal(again, s);
    assert_ptr_equal(fx_pool_storage(pool, again, 1000), grown);   /* big enough: as it was */
    assert_ptr_equal(fx_pool_storage(pool, again, 5), grown);
    fx_pool_put(pool, again);
    fx_pool_free(pool);
}

static void test_pool_storage_needs_a_slice_pool(void **state)
{
    (void)state;
    fx_pool *pool = fx_pool_new(&(fx_pool_config){ .size = 8, .capacity = 1 });
    void *obj = fx_pool_get(pool);
    assert_null(fx_pool_storage(pool, obj, 4));
    fx_pool_put(pool, obj);
    fx_pool_free(pool);
}

static void test_pool_storage_overflow_fails(void **state)
{
    (void)state;
    fx_pool *pool = fx_pool_new(&(fx_pool_config){ .size = 8, .capacity = 1, .elem_size = 16 });
    void *obj = fx_pool_get(pool);
    assert_null(fx_pool_storage(pool, obj, SIZE_MAX / 8));
    fx_pool_put(pool, obj);
    fx_pool_free(pool);
}

static void test_pool_warm_get_put_allocates_nothing(void **state)
{
    (void)state;
    assert_true(fx_test_malloc_wrapped());
    fx_pool *pool = fx_pool_new(&(fx_pool_config){
        .size = sizeof(slice_i64), .capacity = 4, .prewarm = 1, .elem_size = sizeof(int64_t) });
    slice_i64 *s = fx_pool_get(pool);
    s->ptr = fx_pool_storage(pool, s, 64);
    fx_pool_put(pool, s);
    size_t before = fx_test_malloc_calls();
    for (int i = 0; i < 10000; i++) {
        s = fx_pool_get(pool);
        s->ptr = fx_pool_storage(pool, s, 64);
        s->len = 0;
        fx_pool_put(pool, s);
    }
    assert_int_equal(fx_test_malloc_calls() - before, 0);
    fx_pool_free(pool);
}

enum { THREADS = 8, ROUNDS = 100000 };

static void *hammer(void *arg)
{
    fx_pool *pool = arg;
    for (int i = 0; i < ROUNDS; i++) {
        point *p = fx_pool_get(pool);
        if (p == NULL) return (void *)1;
        p->x = i;                     /* the object is ours alone until put */
        p->y = -i;
        if (p->x + p->y != 0) return (void *)1;
        fx_pool_put(pool, p);
    }
    return NULL;
}

static void test_pool_survives_8_threads_of_100k_get_put(void **state)
{
    (void)state;
    fx_pool *pool = fx_pool_new(&(fx_pool_config){ .size = sizeof(point), .capacity = 4, .prewarm = 4 });
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) assert_int_equal(pthread_create(&t[i], NULL, hammer, pool), 0);
    for (int i = 0; i < THREADS; i++) {
        void *bad = NULL;
        assert_int_equal(pthread_join(t[i], &bad), 0);
        assert_null(bad);
    }
    fx_pool_stats s = fx_pool_read_stats(pool);
    assert_int_equal(s.gets, (size_t)THREADS * ROUNDS);
    assert_int_equal(s.puts, (size_t)THREADS * ROUNDS);
    assert_true(s.size <= 4);
    assert_true(s.misses <= s.gets);
    fx_pool_free(pool);
}

static fx_pool *lazy_slot;
static const fx_pool_config lazy_cfg = { .size = sizeof(point), .capacity = 3, .prewarm = 2 };

static void *get_lazy(void *arg)
{
    *(fx_pool **)arg = fx_pool_once(&lazy_slot, &lazy_cfg);
    return NULL;
}

static void test_pool_once_makes_one_pool(void **state)
{
    (void)state;
    pthread_t t[THREADS];
    fx_pool *got[THREADS];
    for (int i = 0; i < THREADS; i++) assert_int_equal(pthread_create(&t[i], NULL, get_lazy, &got[i]), 0);
    for (int i = 0; i < THREADS; i++) assert_int_equal(pthread_join(t[i], NULL), 0);
    assert_non_null(got[0]);
    for (int i = 1; i < THREADS; i++) assert_ptr_equal(got[i], got[0]);
    assert_ptr_equal(fx_pool_once(&lazy_slot, &lazy_cfg), got[0]);
    assert_stats(got[0], 0, 0, 0, 2);
    fx_pool_free(lazy_slot);                      /* a test may; generated pools never do */
    lazy_slot = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_counts_gets_puts_and_misses),
        cmocka_unit_test(test_pool_prewarm_makes_hits),
        cmocka_unit_test(test_pool_prewarm_is_clamped_to_capacity),
        cmocka_unit_test(test_pool_keeps_at_most_capacity),
        cmocka_unit_test(test_pool_capacity_zero_keeps_nothing),
        cmocka_unit_test(test_pool_null_arguments),
        cmocka_unit_test(test_pool_storage_grows_and_is_kept),
        cmocka_unit_test(test_pool_storage_needs_a_slice_pool),
        cmocka_unit_test(test_pool_storage_overflow_fails),
        cmocka_unit_test(test_pool_warm_get_put_allocates_nothing),
        cmocka_unit_test(test_pool_survives_8_threads_of_100k_get_put),
        cmocka_unit_test(test_pool_once_makes_one_pool),
    };
    return cmocka_run_group_tests_name("runtime_pool", tests, NULL, NULL);
}
