/* End to end: the functions fluxc generates for `pool` declarations count
 * gets, puts and misses, respect capacity and prewarm, keep a slice's
 * storage, and survive 8 threads x 100k get/put. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include <pthread.h>

#include "batch_pool.h"

/* Every test starts from the stats the earlier ones left: pools are
 * module-level and live as long as the program. */

static void assert_counts(fx_pool_stats before, fx_pool_stats now, size_t gets, size_t puts, size_t misses)
{
    assert_int_equal(now.gets - before.gets, gets);
    assert_int_equal(now.puts - before.puts, puts);
    assert_int_equal(now.misses - before.misses, misses);
}

static void test_batch_pool_prewarm_then_counts(void **state)
{
    (void)state;
    fx_pool_stats s = batch_pool_receipts_stats();    /* the first call makes the pool */
    assert_int_equal(s.gets, 0);
    assert_int_equal(s.size, 2);                      /* prewarm: 2 */

    Receipt *a = batch_pool_receipts_get();
    Receipt *b = batch_pool_receipts_get();
    Receipt *c = batch_pool_receipts_get();           /* the pool is empty now: a miss */
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_true(a != b && b != c && a != c);
    assert_int_equal(c->id, 0);                       /* new objects are zeroed */
    assert_null(c->note);
    s = batch_pool_receipts_stats();
    assert_int_equal(s.gets, 3);
    assert_int_equal(s.misses, 1);
    assert_int_equal(s.size, 0);

    a->id = 42;
    batch_pool_receipts_put(a);
    batch_pool_receipts_put(b);
    batch_pool_receipts_put(c);
    batch_pool_receipts_put(NULL);                    /* no-op */
    s = batch_pool_receipts_stats();
    assert_int_equal(s.puts, 3);
    assert_int_equal(s.size, 3);

    Receipt *again = batch_pool_receipts_get();       /* the last one put back */
    assert_ptr_equal(again, c);
    batch_pool_receipts_put(again);
}

static void test_batch_pool_respects_capacity(void **state)
{
    (void)state;
    fx_pool_stats before = batch_pool_receipts_stats();
    Receipt *got[10];
    for (int i = 0; i < 10; i++)
        got[i] = batch_pool_receipts_get();
    for (int i = 0; i < 10; i++)
        batch_pool_receipts_put(got[i]);
    fx_pool_stats now = batch_pool_receipts_stats();
    assert_int_equal(now.size, 4);                    /* capacity: 4 */
    assert_counts(before, now, 10, 10, 10 - before.size);
}

static void test_batch_pool_default_capacity_is_64(void **state)
{
    (void)state;
    Receipt *got[100];
    for (int i = 0; i < 100; i++)
        got[i] = batch_pool_defaults_get();
    for (int i = 0; i < 100; i++)
        batch_pool_defaults_put(got[i]);
    fx_pool_stats s = batch_pool_defaults_stats();
    assert_int_equal(s.size, 64);
    assert_int_equal(s.misses, 100);
}

static void test_batch_pool_builtin_type(void **state)
{
    (void)state;
    int64_t *n = batch_pool_counters_get();
    assert_non_null(n);
    *n = 5;
    batch_pool_counters_put(n);
    int64_t *m = batch_pool_counters_get();
    assert_ptr_equal(m, n);
    assert_int_equal(*m, 5);                          /* reused objects keep their contents */
    batch_pool_counters_put(m);
}

static void test_batch_pool_slice_get_cap(void **state)
{
    (void)state;
    fx_slice_i64 *s = batch_pool_rows_get_cap(100);
    assert_non_null(s);
    assert_int_equal(s->len, 0);
    assert_non_null(s->ptr);
    for (int64_t i = 0; i < 100; i++)
        s->ptr[s->len++] = i * i;
    int64_t *storage = s->ptr;
    batch_pool_rows_put(s);

    fx_slice_i64 *t = batch_pool_rows_get_cap(50);    /* room already there: same storage */
    assert_ptr_equal(t, s);
    assert_ptr_equal(t->ptr, storage);
    assert_int_equal(t->len, 0);
    batch_pool_rows_put(t);

    fx_slice_i64 *u = batch_pool_rows_get();          /* plain get: length 0, storage kept */
    assert_ptr_equal(u->ptr, storage);
    assert_int_equal(u->len, 0);
    u->ptr = NULL;                                    /* the user may point it elsewhere ... */
    batch_pool_rows_put(u);
    fx_slice_i64 *v = batch_pool_rows_get_cap(10);    /* ... the pool still knows its storage */
    assert_ptr_equal(v->ptr, storage);
    batch_pool_rows_put(v);
}

enum { THREADS = 8, ROUNDS = 100000 };

static void *hammer(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        Receipt *r = batch_pool_receipts_get();
        fx_slice_i64 *row = batch_pool_rows_get_cap(4);
        if (r == NULL || row == NULL)
            return (void *)1;
        r->id = (uint64_t)i;
        row->ptr[row->len++] = i;
        if (r->id != (uint64_t)i || row->ptr[0] != i)
            return (void *)1;
        batch_pool_rows_put(row);
        batch_pool_receipts_put(r);
    }
    return NULL;
}

static void test_batch_pool_survives_8_threads_of_100k_get_put(void **state)
{
    (void)state;
    fx_pool_stats before = batch_pool_receipts_stats();
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, hammer, NULL), 0);
    for (int i = 0; i < THREADS; i++) {
        void *bad = NULL;
        assert_int_equal(pthread_join(t[i], &bad), 0);
        assert_null(bad);
    }
    fx_pool_stats now = batch_pool_receipts_stats();
    assert_int_equal(now.gets - before.gets, (size_t)THREADS * ROUNDS);
    assert_int_equal(now.puts - before.puts, (size_t)THREADS * ROUNDS);
    assert_true(now.size <= 4);
    assert_true(batch_pool_rows_stats().size <= 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_pool_prewarm_then_counts),
        cmocka_unit_test(test_batch_pool_respects_capacity),
        cmocka_unit_test(test_batch_pool_default_capacity_is_64),
        cmocka_unit_test(test_batch_pool_builtin_type),
        cmocka_unit_test(test_batch_pool_slice_get_cap),
        cmocka_unit_test(test_batch_pool_survives_8_threads_of_100k_get_put),
    };
    return cmocka_run_group_tests_name("batch_pool", tests, NULL, NULL);
}
