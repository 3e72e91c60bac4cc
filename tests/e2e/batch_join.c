/* End to end: join_by_key groups by first appearance with items in input
 * order, over str, integer, bool and struct keys; empty input; a key error
 * names the item. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "batch_join.h"

int sale_region(fx_ctx *ctx, const Sale *in, const char **out)
{
    if (in->region == NULL)
        return fx_fail(ctx, 21, "sale of %lld has no region", (long long)in->amount);
    *out = in->region;
    return 0;
}

int sale_year(fx_ctx *ctx, const Sale *in, int32_t *out)
{
    (void)ctx;
    *out = in->year;
    return 0;
}

int sale_where(fx_ctx *ctx, const Sale *in, Where *out)
{
    (void)ctx;
    /* a fresh copy of the text: equal keys need not share storage */
    out->region = in->region != NULL ? fx_strdup(ctx, in->region) : NULL;
    out->year = in->year;
    return 0;
}

int sale_place(fx_ctx *ctx, const Sale *in, Place *out)
{
    int rc = sale_where(ctx, in, &out->where);
    out->online = in->amount % 2 == 1;
    return rc;
}

int sale_is_big(fx_ctx *ctx, const Sale *in, bool *out)
{
    (void)ctx;
    *out = in->amount >= 100;
    return 0;
}

static Sale sales[] = {
    {"north", 2023, 10}, {"south", 2024, 200}, {"north", 2024, 30},
    {"east", 2023, 400}, {"south", 2023, 50}, {"north", 2023, 61},
};
static const fx_slice_Sale all_sales = {sales, 6};

static void assert_amounts(const fx_slice_Sale *values, const int64_t *want, size_t n)
{
    assert_int_equal(values->len, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(values->ptr[i].amount, want[i]);
}

static void test_batch_join_three_groups_in_first_seen_order(void **state)
{
    (void)state;
    batch_join_by_region *p = batch_join_by_region_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    fx_slice_group_str_Sale out = {0};
    assert_int_equal(batch_join_by_region_process(p, ctx, &all_sales, &out), 0);
    assert_int_equal(out.len, 3);
    assert_string_equal(out.ptr[0].key, "north");
    assert_string_equal(out.ptr[1].key, "south");
    assert_string_equal(out.ptr[2].key, "east");
    assert_amounts(&out.ptr[0].values, (const int64_t[]){10, 30, 61}, 3);
    assert_amounts(&out.ptr[1].values, (const int64_t[]){200, 50}, 2);
    assert_amounts(&out.ptr[2].values, (const int64_t[]){400}, 1);
    fx_ctx_free(ctx);
    batch_join_by_region_free(p);
}

static void test_batch_join_empty_input_gives_no_groups(void **state)
{
    (void)state;
    batch_join_by_region *p = batch_join_by_region_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    fx_slice_Sale none = {NULL, 0};
    fx_slice_group_str_Sale out = {(fx_group_str_Sale *)1, 99};
    assert_int_equal(batch_join_by_region_process(p, ctx, &none, &out), 0);
    assert_int_equal(out.len, 0);
    assert_null(out.ptr);
    fx_ctx_free(ctx);
    batch_join_by_region_free(p);
}

static void test_batch_join_key_error_names_the_item(void **state)
{
    (void)state;
    batch_join_by_region *p = batch_join_by_region_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    Sale bad[] = {{"north", 2023, 1}, {"south", 2023, 2}, {NULL, 2023, 3}, {"east", 2023, 4}};
    fx_slice_Sale in = {bad, 4};
    fx_slice_group_str_Sale out = {0};
    assert_int_equal(batch_join_by_region_process(p, ctx, &in, &out), 21);
    assert_null(out.ptr);
    const fx_error *err = fx_ctx_error(ctx);
    assert_int_equal(err->code, 21);
    assert_int_equal(err->index, 2);
    assert_string_equal(err->stage, "join_by_key");
    assert_non_null(err->cause);
    assert_string_equal(err->cause->stage, "region_of");
    assert_true(fx_error_is(err, 21));
    char buf[200];
    fx_error_format(err, buf, sizeof buf);
    assert_string_equal(buf, "join_by_key: key function error on item 2: region_of: sale of 3 has no region");
    fx_ctx_free(ctx);
    batch_join_by_region_free(p);
}

static void test_batch_join_integer_and_bool_keys(void **state)
{
    (void)state;
    fx_ctx *ctx = fx_ctx_new();
    batch_join_by_year *y = batch_join_by_year_new(NULL);
    fx_slice_group_i32_Sale years = {0};
    assert_int_equal(batch_join_by_year_process(y, ctx, &all_sales, &years), 0);
    assert_int_equal(years.len, 2);
    assert_int_equal(years.ptr[0].key, 2023);
    assert_int_equal(years.ptr[1].key, 2024);
    assert_amounts(&years.ptr[0].values, (const int64_t[]){10, 400, 50, 61}, 4);
    assert_amounts(&years.ptr[1].values, (const int64_t[]){200, 30}, 2);
    batch_join_by_year_free(y);

    batch_join_by_size *s = batch_join_by_size_new(NULL);
    fx_slice_group_bool_Sale sizes = {0};
    assert_int_equal(batch_join_by_size_process(s, ctx, &all_sales, &sizes), 0);
    assert_int_equal(sizes.len, 2);
    assert_false(sizes.ptr[0].key);
    assert_true(sizes.ptr[1].key);
    assert_amounts(&sizes.ptr[1].values, (const int64_t[]){200, 400}, 2);
    batch_join_by_size_free(s);
    fx_ctx_free(ctx);
}

static void test_batch_join_struct_keys_compare_by_value(void **state)
{
    (void)state;
    batch_join_by_where *p = batch_join_by_where_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    fx_slice_group_Where_Sale out = {0};
    assert_int_equal(batch_join_by_where_process(p, ctx, &all_sales, &out), 0);
    /* (north,2023) (south,2024) (north,2024) (east,2023) (south,2023) */
    assert_int_equal(out.len, 5);
    assert_string_equal(out.ptr[0].key.region, "north");
    assert_int_equal(out.ptr[0].key.year, 2023);
    assert_amounts(&out.ptr[0].values, (const int64_t[]){10, 61}, 2);
    assert_string_equal(out.ptr[4].key.region, "south");
    assert_int_equal(out.ptr[4].key.year, 2023);
    fx_ctx_free(ctx);
    batch_join_by_where_free(p);
}

static void test_batch_join_nested_struct_keys(void **state)
{
    (void)state;
    batch_join_by_place *p = batch_join_by_place_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    Sale s[] = {{"north", 2023, 1}, {"north", 2023, 2}, {"north", 2023, 3}, {NULL, 2023, 5}, {NULL, 2023, 4},
                {NULL, 2023, 7}};
    fx_slice_Sale in = {s, 6};
    fx_slice_group_Place_Sale out = {0};
    assert_int_equal(batch_join_by_place_process(p, ctx, &in, &out), 0);
    assert_int_equal(out.len, 4);   /* (north,odd) (north,even) (NULL,odd) (NULL,even) */
    assert_amounts(&out.ptr[0].values, (const int64_t[]){1, 3}, 2);
    assert_amounts(&out.ptr[1].values, (const int64_t[]){2}, 1);
    assert_amounts(&out.ptr[2].values, (const int64_t[]){5, 7}, 2);
    assert_null(out.ptr[2].key.where.region);
    assert_true(out.ptr[2].key.online);
    fx_ctx_free(ctx);
    batch_join_by_place_free(p);
}

/* Many distinct keys: the table is sized for them and none is lost. */
static void test_batch_join_many_keys(void **state)
{
    (void)state;
    enum { N = 5000 };
    Sale *many = calloc(N, sizeof *many);
    for (int i = 0; i < N; i++) {
        many[i].year = (int32_t)(i % 1000);
        many[i].amount = i;
    }
    batch_join_by_year *p = batch_join_by_year_new(NULL);
    fx_ctx *ctx = fx_ctx_new();
    fx_slice_Sale in = {many, N};
    fx_slice_group_i32_Sale out = {0};
    assert_int_equal(batch_join_by_year_process(p, ctx, &in, &out), 0);
    assert_int_equal(out.len, 1000);
    for (int g = 0; g < 1000; g++) {
        assert_int_equal(out.ptr[g].key, g);
        assert_int_equal(out.ptr[g].values.len, 5);
        for (int j = 0; j < 5; j++)
            assert_int_equal(out.ptr[g].values.ptr[j].amount, g + 1000 * j);
    }

    /* The same instance (its key table now starts big) on 7 keys, in a
     * scrambled first-seen order. */
    fx_ctx_reset(ctx);
    for (int i = 0; i < N; i++)
        many[i].year = (int32_t)(i * 3 % 7);
    assert_int_equal(batch_join_by_year_process(p, ctx, &in, &out), 0);
    assert_int_equal(out.len, 7);
    for (int g = 0; g < 7; g++) {
        assert_int_equal(out.ptr[g].key, g * 3 % 7);   /* item g is the first of its key */
        assert_int_equal(out.ptr[g].values.len, N / 7 + (g < N % 7));
        for (size_t j = 0; j < out.ptr[g].values.len; j++)
            assert_int_equal(out.ptr[g].values.ptr[j].amount, g + 7 * (int)j);
    }
    fx_ctx_free(ctx);
    batch_join_by_year_free(p);
    free(many);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_join_three_groups_in_first_seen_order),
        cmocka_unit_test(test_batch_join_empty_input_gives_no_groups),
        cmocka_unit_test(test_batch_join_key_error_names_the_item),
        cmocka_unit_test(test_batch_join_integer_and_bool_keys),
        cmocka_unit_test(test_batch_join_struct_keys_compare_by_value),
        cmocka_unit_test(test_batch_join_nested_struct_keys),
        cmocka_unit_test(test_batch_join_many_keys),
    };
    return cmocka_run_group_tests_name("batch_join", tests, NULL, NULL);
}
