/* tests/test_fluxc_sema.c — the type checker (gen/sema.c) and the type table
 * (gen/types.c): the type of every combinator of SPEC §2.4, hash-consing,
 * the mangled names of §2.2, hashability, `as` labels, nested pipelines,
 * declared-vs-inferred signatures, and that independent errors are all
 * reported. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fluxc.h"

typedef struct Checked {
    Compiler *c;
    FILE *sink;
    char *diags;
    size_t diags_len;
    bool ok;
} Checked;

static Checked *check_text(const char *text)
{
    Checked *k = calloc(1, sizeof *k);
    assert_non_null(k);
    k->sink = open_memstream(&k->diags, &k->diags_len);
    assert_non_null(k->sink);
    k->c = compiler_new(k->sink);
    compiler_load_text(k->c, "t.fx", text, strlen(text));
    k->ok = compiler_check(k->c);
    fflush(k->sink);
    if (!k->diags)
        k->diags = strdup("");
    return k;
}

static Checked *check_ok(const char *text)
{
    Checked *k = check_text(text);
    if (!k->ok)
        fail_msg("unexpected diagnostics:\n%s", k->diags);
    return k;
}

static void checked_free(Checked *k)
{
    compiler_free(k->c);
    fclose(k->sink);
    free(k->diags);
    free(k);
}

static const Decl *decl(Checked *k, const char *name)
{
    const Decl *d = sema_lookup(k->c, name);
    if (!d)
        fail_msg("no declaration '%s'", name);
    return d;
}

static const Expr *body(Checked *k, const char *pipeline)
{
    const Decl *d = decl(k, pipeline);
    assert_int_equal(d->kind, D_PIPELINE);
    return d->body;
}

static void assert_sig(const Expr *e, const char *in, const char *out)
{
    assert_non_null(e->in);
    assert_non_null(e->out);
    if (strcmp(e->in->fx_name, in) != 0 || strcmp(e->out->fx_name, out) != 0)
        fail_msg("type %s -> %s, expected %s -> %s", e->in->fx_name, e->out->fx_name, in, out);
}

static size_t count_lines_with(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* Stages for every combinator. */
#define PRELUDE                                                            \
    "module shop;\n"                                                       \
    "extern type Order;\n"                                                 \
    "extern type Payment \"struct payment\";\n"                            \
    "struct Receipt { id: u64; total: f64; lines: [str]; }\n"              \
    "struct Key { region: str; id: u32; ok: bool; }\n"                     \
    "stage parse(str) -> Order = parse_order;\n"                           \
    "stage check(Order) -> Order = check_order;\n"                         \
    "stage total(Order) -> Receipt = make_receipt;\n"                      \
    "stage price(Order) -> f64 = price_order;\n"                           \
    "stage price2(Order) -> f64 = price_order2;\n"                         \
    "stage sum([f64]) -> f64 = sum_prices;\n"                              \
    "stage batch([str]) -> [Order] = parse_batch;\n"                       \
    "stage pair(str) -> KeyValue<str, i64> = make_pair;\n"                 \
    "stage count(Group<str, i64>) -> KeyValue<str, i64> = count_group;\n"  \
    "stage big(Order) -> bool = is_big;\n"                                 \
    "stage pick(Order) -> [u32] = pick_routes;\n"                          \
    "stage region(Order) -> Key = region_of;\n"                            \
    "stage pay(Order) -> Payment = pay_order;\n"

/* ---------------------------------------------------------------- combinator types */

static void test_fluxc_sema_combinator_types(void **state)
{
    (void)state;
    Checked *k = check_ok(PRELUDE
        "pipeline p_pipe(str) -> Receipt = parse |> check |> total;\n"
        "pipeline p_chain(str) -> Receipt = chain(parse, check, total);\n"
        "pipeline p_fanout(Order) -> [f64] = fanout(price, price2, concurrency: 2);\n"
        "pipeline p_fanin([f64]) -> f64 = fanin(sum);\n"
        "pipeline p_parallel(Order) -> f64 = parallel(price, price2, reduce: sum, concurrency: 0);\n"
        "pipeline p_map([str]) -> [Order] = map(parse, concurrency: 4, collect_errors: true);\n"
        "pipeline p_buffer([str]) -> [Order] = buffer(batch, size: 64);\n"
        "pipeline p_pooled([str]) -> [Order] = pooled_buffer(batch, size: 1);\n"
        "pipeline p_mapreduce([str]) -> [KeyValue<str, i64>] = mapreduce(pair, count, parallelism: 4);\n"
        "pipeline p_filter(Order) -> Order = filter(big);\n"
        "pipeline p_router(Order) -> [f64] = router(pick, price, price2, concurrency: 1);\n"
        "pipeline p_join([Order]) -> [Group<Key, Order>] = join_by_key(region);\n"
        "pipeline p_retry(Order) -> f64 = retry(price, attempts: 3, backoff: constant(10ms), retry_if: transient);\n"
        "pipeline p_timeout(Order) -> f64 = timeout(price, after: 30ms);\n"
        "pipeline p_breaker(Order) -> f64 = circuit_breaker(price, failures: 3, reset: 1s, window: 10s, failure_rate: 50%);\n"
        "pipeline p_limit(Order) -> f64 = rate_limit(price, rate: 10/s, burst: 2, wait: 1s);\n"
        "pipeline p_inf(Order) -> f64 = rate_limit(price, rate: inf);\n"
        "pipeline p_dlq(Order) -> f64 = dlq(price, handler: dead, when: should_dlq);\n"
        "pipeline p_on_error(Order) -> f64 = on_error(price, log_error);\n"
        "pipeline p_metrics(Order) -> f64 = metrics(price, name: \"pricing\");\n"
        "pipeline p_trace(Order) -> f64 = trace(price, name: \"pricing\", attrs: {team: \"core\"});\n");

    static const struct { const char *name; Op op; const char *in, *out; size_t nparts; } cases[] = {
        {"p_pipe", OP_CHAIN, "str", "Receipt", 3},
        {"p_chain", OP_CHAIN, "str", "Receipt", 3},
        {"p_fanout", OP_FANOUT, "Order", "[f64]", 2},
        {"p_fanin", OP_FANIN, "[f64]", "f64", 1},
        {"p_parallel", OP_PARALLEL, "Order", "f64", 2},
        {"p_map", OP_MAP, "[str]", "[Order]", 1},
        {"p_buffer", OP_BUFFER, "[str]", "[Order]", 1},
        {"p_pooled", OP_POOLED_BUFFER, "[str]", "[Order]", 1},
        {"p_mapreduce", OP_MAPREDUCE, "[str]", "[KeyValue<str, i64>]", 2},
        {"p_filter", OP_FILTER, "Order", "Order", 1},
        {"p_router", OP_ROUTER, "Order", "[f64]", 3},
        {"p_join", OP_JOIN_BY_KEY, "[Order]", "[Group<Key, Order>]", 1},
        {"p_retry", OP_RETRY, "Order", "f64", 1},
        {"p_timeout", OP_TIMEOUT, "Order", "f64", 1},
        {"p_breaker", OP_CIRCUIT_BREAKER, "Order", "f64", 1},
        {"p_limit", OP_RATE_LIMIT, "Order", "f64", 1},
        {"p_inf", OP_RATE_LIMIT, "Order", "f64", 1},
        {"p_dlq", OP_DLQ, "Order", "f64", 1},
        {"p_on_error", OP_ON_ERROR, "Order", "f64", 1},
        {"p_metrics", OP_METRICS, "Order", "f64", 1},
        {"p_trace", OP_TRACE, "Order", "f64", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const Expr *e = body(k, cases[i].name);
        if (e->op != cases[i].op)
            fail_msg("%s: op %s, expected %s", cases[i].name, op_name(e->op), op_name(cases[i].op));
        assert_sig(e, cases[i].in, cases[i].out);
        if (e->nparts != cases[i].nparts)
            fail_msg("%s: %zu parts, expected %zu", cases[i].name, e->nparts, cases[i].nparts);
        const Decl *d = decl(k, cases[i].name);
        assert_ptr_equal(d->in_t, e->in);
        assert_ptr_equal(d->out_t, e->out);
    }

    /* parts in the documented order */
    const Expr *e = body(k, "p_router");
    assert_string_equal(e->parts[0]->name, "pick");
    assert_string_equal(e->parts[1]->name, "price");
    assert_string_equal(e->parts[2]->name, "price2");
    e = body(k, "p_mapreduce");
    assert_string_equal(e->parts[0]->name, "pair");
    assert_string_equal(e->parts[1]->name, "count");
    e = body(k, "p_parallel");   /* reduce: stays an option */
    assert_string_equal(e->parts[0]->name, "price");
    assert_string_equal(e->parts[1]->name, "price2");
    const Expr *reduce = expr_opt(e, "reduce");
    assert_non_null(reduce);
    assert_int_equal(reduce->op, OP_STAGE);
    assert_sig(reduce, "[f64]", "f64");
    e = body(k, "p_on_error");   /* the C function is not a part */
    assert_int_equal(e->parts[0]->op, OP_STAGE);

    /* options after sema */
    e = body(k, "p_retry");
    assert_int_equal(expr_opt(e, "attempts")->ival, 3);
    assert_null(expr_opt(e, "nope"));
    assert_true(expr_opt(body(k, "p_inf"), "rate")->fval > 1e308);   /* inf */
    assert_true(expr_opt(body(k, "p_limit"), "rate")->fval == 10.0);

    /* labels: the combinator's name, the stage's name, metrics/trace name: */
    assert_string_equal(body(k, "p_retry")->label, "retry");
    assert_string_equal(body(k, "p_retry")->parts[0]->label, "price");
    assert_string_equal(body(k, "p_pipe")->label, "chain");
    assert_string_equal(body(k, "p_metrics")->parts[0]->label, "pricing");
    assert_string_equal(op_name(OP_JOIN_BY_KEY), "join_by_key");
    assert_string_equal(op_name(OP_STAGE), "stage");
    checked_free(k);
}

static void test_fluxc_sema_chain_is_flattened(void **state)
{
    (void)state;
    Checked *k = check_ok(PRELUDE
        "pipeline a(str) -> Receipt = parse |> (check |> check) |> chain(check, check) |> total;\n"
        "pipeline b(str) -> Receipt = (parse |> check) as front |> total;\n");
    const Expr *e = body(k, "a");
    assert_int_equal(e->op, OP_CHAIN);
    /* parenthesized |> chains flatten; a chain(...) call stays one member */
    assert_int_equal(e->nparts, 5);
    assert_string_equal(e->parts[0]->name, "parse");
    assert_string_equal(e->parts[1]->name, "check");
    assert_string_equal(e->parts[2]->name, "check");
    assert_int_equal(e->parts[3]->op, OP_CHAIN);
    assert_int_equal(e->parts[3]->kind, EX_CALL);
    assert_string_equal(e->parts[4]->name, "total");
    for (size_t i = 0; i < e->nparts; i++)
        assert_int_not_equal(e->parts[i]->kind, EX_PIPE);

    /* a named chain is one member */
    e = body(k, "b");
    assert_int_equal(e->nparts, 2);
    assert_int_equal(e->parts[0]->op, OP_AS);
    assert_int_equal(e->parts[0]->parts[0]->op, OP_CHAIN);
    assert_int_equal(e->parts[0]->parts[0]->nparts, 2);
    checked_free(k);
}

static void test_fluxc_sema_long_chain(void **state)
{
    (void)state;
    enum { N = 5000 };
    size_t cap = strlen(PRELUDE) + N * 12 + 128;
    char *text = malloc(cap);
    assert_non_null(text);
    strcpy(text, PRELUDE "pipeline p(Order) -> Order = check");
    size_t len = strlen(text);
    for (int i = 1; i < N; i++) {
        memcpy(text + len, " |> check", 9);
        len += 9;
    }
    strcpy(text + len, ";\n");
    Checked *k = check_ok(text);
    const Expr *e = body(k, "p");
    assert_int_equal(e->op, OP_CHAIN);
    assert_int_equal(e->nparts, N);
    assert_sig(e, "Order", "Order");
    checked_free(k);
    free(text);
}

/* ---------------------------------------------------------------- types */

/* 48 levels of structs, each holding the level below twice: 2^48 paths.
 * The hashability and self-containment checks must walk each struct once
 * (the fuzzer found the exponential walk: a hang, not a wrong answer). */
static void test_fluxc_sema_struct_dag_is_checked_per_struct(void **state)
{
    (void)state;
    Buf b;
    buf_init(&b);
    buf_puts(&b, "module m;\nstruct S0 { a: i64; b: str; }\n");
    for (int i = 1; i < 48; i++)
        buf_printf(&b, "struct S%d { a: S%d; b: S%d; }\n", i, i - 1, i - 1);
    buf_puts(&b, "stage key(S47) -> S47 = key_of;\n"
                 "pipeline j([S47]) -> [Group<S47, S47>] = join_by_key(key);\n");
    Checked *k = check_ok(b.data);
    assert_sig(body(k, "j"), "[S47]", "[Group<S47, S47>]");
    checked_free(k);
    buf_free(&b);
}

static void test_fluxc_sema_types_are_hash_consed(void **state)
{
    (void)state;
    Checked *k = check_ok(PRELUDE
        "stage a([str]) -> KeyValue<str, [i64]> = fa;\n"
        "stage b([str]) -> KeyValue<str, [i64]> = fb;\n");
    const Decl *a = decl(k, "a"), *b = decl(k, "b");
    assert_ptr_equal(a->in_t, b->in_t);
    assert_ptr_equal(a->out_t, b->out_t);
    Compiler *c = k->c;
    const Type *str = type_builtin(c, TY_STR);
    assert_ptr_equal(type_builtin_named(c, "str"), str);
    assert_null(type_builtin_named(c, "string"));
    assert_ptr_equal(type_slice(c, str), a->in_t);
    assert_ptr_equal(type_slice(c, str), type_slice(c, str));
    const Type *i64s = type_slice(c, type_builtin(c, TY_I64));
    assert_ptr_equal(type_kv(c, str, i64s), a->out_t);
    assert_ptr_not_equal(type_kv(c, str, i64s), type_group(c, str, i64s));
    assert_ptr_equal(type_group(c, str, i64s), type_group(c, str, i64s));
    assert_ptr_not_equal(type_slice(c, type_builtin(c, TY_I32)), i64s);
    /* a struct's type is its declaration's */
    assert_ptr_equal(decl(k, "total")->out_t, decl(k, "Receipt")->type);
    checked_free(k);
}

static void test_fluxc_sema_mangled_names(void **state)
{
    (void)state;
    Checked *k = check_ok(PRELUDE);
    Compiler *c = k->c;
    const Type *str = type_builtin(c, TY_STR), *i64 = type_builtin(c, TY_I64);
    const Type *order = decl(k, "Order")->type;
    static const struct { const char *fx, *mangled, *c_name; } want[] = {
        {"[[str]]", "slice_slice_str", "fx_slice_slice_str"},
        {"KeyValue<str, i64>", "kv_str_i64", "fx_kv_str_i64"},
        {"[Order]", "slice_Order", "fx_slice_Order"},
        {"[Group<i64, Order>]", "slice_group_i64_Order", "fx_slice_group_i64_Order"},
        {"[KeyValue<str, i64>]", "slice_kv_str_i64", "fx_slice_kv_str_i64"},
        {"Group<str, [Order]>", "group_str_slice_Order", "fx_group_str_slice_Order"},
    };
    const Type *got[] = {
        type_slice(c, type_slice(c, str)),
        type_kv(c, str, i64),
        type_slice(c, order),
        type_slice(c, type_group(c, i64, order)),
        type_slice(c, type_kv(c, str, i64)),
        type_group(c, str, type_slice(c, order)),
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        assert_string_equal(got[i]->fx_name, want[i].fx);
        assert_string_equal(got[i]->mangled, want[i].mangled);
        assert_string_equal(got[i]->c_name, want[i].c_name);
    }
    /* built-in C spellings */
    static const struct { TypeKind k; const char *c; } builtins[] = {
        {TY_BOOL, "bool"}, {TY_I8, "int8_t"}, {TY_I64, "int64_t"}, {TY_U8, "uint8_t"}, {TY_U32, "uint32_t"},
        {TY_F32, "float"}, {TY_F64, "double"}, {TY_USIZE, "size_t"}, {TY_STR, "const char *"},
    };
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        assert_string_equal(type_builtin(c, builtins[i].k)->c_name, builtins[i].c);
    /* extern with and without a C spelling */
    assert_string_equal(order->c_name, "Order");
    const Type *pay = decl(k, "Payment")->type;
    assert_int_equal(pay->kind, TY_EXTERN);
    assert_string_equal(pay->fx_name, "Payment");
    assert_string_equal(pay->mangled, "Payment");
    assert_string_equal(pay->c_name, "struct payment");
    /* C declarations */
    assert_string_equal(type_c_decl(c, str, "x"), "const char *x");
    assert_string_equal(type_c_decl(c, i64, "*out"), "int64_t *out");
    assert_string_equal(type_c_const_ptr(c, str), "const char *const *");
    assert_string_equal(type_c_const_ptr(c, order), "const Order *");
    assert_string_equal(type_c_const_ptr(c, pay), "const struct payment *");
    /* a Group's slice of values exists before the Group itself */
    const Vec *all = types_composite(c);
    const Type *g = type_group(c, type_builtin(c, TY_U16), type_builtin(c, TY_U8));
    size_t gi = all->len, si = all->len;
    for (size_t i = 0; i < all->len; i++) {
        if (all->items[i] == g)
            gi = i;
        if (all->items[i] == type_slice(c, type_builtin(c, TY_U8)))
            si = i;
    }
    assert_true(si < gi && gi < all->len);
    checked_free(k);
}

static void test_fluxc_sema_hashability(void **state)
{
    (void)state;
    Checked *k = check_ok(PRELUDE
        "struct Point { x: f64; y: f64; }\n"
        "struct Nested { key: Key; n: i8; }\n"
        "struct WithSlice { ids: [u32]; }\n");   /* an empty struct is an error: golden fuzz_empty_struct */
    Compiler *c = k->c;
    static const TypeKind yes[] = {TY_BOOL, TY_I8, TY_I16, TY_I32, TY_I64, TY_U8, TY_U16, TY_U32, TY_U64,
                                   TY_USIZE, TY_STR};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        assert_true(type_is_hashable(type_builtin(c, yes[i])));
    }
    assert_false(type_is_hashable(type_builtin(c, TY_F32)));
    assert_false(type_is_hashable(type_builtin(c, TY_F64)));
    assert_true(type_is_integer(type_builtin(c, TY_USIZE)));
    assert_false(type_is_integer(type_builtin(c, TY_BOOL)));
    assert_true(type_is_hashable(decl(k, "Key")->type));
    assert_true(type_is_hashable(decl(k, "Nested")->type));
    assert_false(type_is_hashable(decl(k, "Point")->type));
    assert_false(type_is_hashable(decl(k, "WithSlice")->type));
    assert_false(type_is_hashable(decl(k, "Order")->type));      /* extern */
    assert_false(type_is_hashable(decl(k, "Receipt")->type));    /* f64, [str] */
    assert_false(type_is_hashable(type_slice(c, type_builtin(c, TY_STR))));
    assert_false(type_is_hashable(type_kv(c, type_builtin(c, TY_STR), type_builtin(c, TY_I64))));
    checked_free(k);
}

static void test_fluxc_sema_unhashable_keys_are_errors(void **state)
{
    (void)state;
    Checked *k = check_text("module m;\nextern type Order;\n"
                            "struct Holder { k: KeyValue<Later, i64>; ok: Group<Fine, i64>; }\n"
                            "struct Later { x: f64; }\n"
                            "struct Fine { id: u64; name: str; }\n"
                            "stage a(str) -> KeyValue<f64, str> = fa;\n"
                            "stage b(Group<Order, i64>) -> i64 = fb;\n"
                            "stage key(Order) -> f32 = fk;\n"
                            "pipeline j([Order]) -> [Group<f32, Order>] = join_by_key(key);\n");
    assert_false(k->ok);
    /* Later is declared after Holder: still checked, and Fine still passes */
    assert_non_null(strstr(k->diags, "t.fx:3:29: error: key type 'Later' is not hashable"));
    assert_non_null(strstr(k->diags, "t.fx:4:19: note: field 'x' of struct 'Later' is f64, which is not hashable"));
    assert_null(strstr(k->diags, "'Fine'"));
    assert_non_null(strstr(k->diags, "t.fx:6:26: error: key type 'f64' is not hashable"));
    assert_non_null(strstr(k->diags, "t.fx:7:15: error: key type 'Order' is not hashable"));
    assert_non_null(strstr(k->diags, "note: 'Order' is an extern type: fluxc cannot see its contents to hash them"));
    assert_non_null(strstr(k->diags, "key type 'f32' is not hashable"));
    checked_free(k);
}

/* ---------------------------------------------------------------- as, nesting */

static void test_fluxc_sema_as_labels(void **state)
{
    (void)state;
    Checked *k = check_ok(PRELUDE
        "pipeline a(Order) -> f64 = check |> circuit_breaker(price, failures: 3) as cb;\n"
        "pipeline b(str) -> Receipt = (parse |> check) as front |> total as last;\n");
    const Expr *e = body(k, "a");
    assert_int_equal(e->op, OP_CHAIN);
    assert_int_equal(e->nparts, 2);
    const Expr *as = e->parts[1];
    assert_int_equal(as->op, OP_AS);
    assert_string_equal(as->name, "cb");
    assert_string_equal(as->label, "cb");
    assert_sig(as, "Order", "f64");
    assert_int_equal(as->nparts, 1);
    assert_int_equal(as->parts[0]->op, OP_CIRCUIT_BREAKER);
    assert_string_equal(as->parts[0]->label, "cb");   /* the named component carries the name */
    assert_string_equal(as->parts[0]->parts[0]->label, "price");

    e = body(k, "b");
    assert_int_equal(e->nparts, 2);
    assert_string_equal(e->parts[0]->label, "front");
    assert_string_equal(e->parts[0]->parts[0]->label, "front");
    assert_int_equal(e->parts[0]->parts[0]->op, OP_CHAIN);
    assert_string_equal(e->parts[1]->label, "last");
    assert_string_equal(e->parts[1]->parts[0]->label, "last");
    assert_ptr_equal(e->parts[1]->parts[0]->decl, decl(k, "total"));
    checked_free(k);
}

static void test_fluxc_sema_nested_pipelines(void **state)
{
    (void)state;
    /* used before it is declared, and used twice */
    Checked *k = check_ok(PRELUDE
        "pipeline outer(str) -> [f64] = parse |> fanout(inner, inner);\n"
        "pipeline inner(Order) -> f64 = check |> price;\n");
    const Expr *e = body(k, "outer");
    const Expr *fan = e->parts[1];
    assert_int_equal(fan->op, OP_FANOUT);
    for (size_t i = 0; i < 2; i++) {
        const Expr *p = fan->parts[i];
        assert_int_equal(p->op, OP_PIPELINE);
        assert_ptr_equal(p->decl, decl(k, "inner"));
        assert_string_equal(p->label, "inner");
        assert_int_equal(p->nparts, 1);
        assert_ptr_equal(p->parts[0], body(k, "inner"));
        assert_sig(p, "Order", "f64");
    }
    assert_sig(body(k, "inner"), "Order", "f64");
    checked_free(k);
}

static void test_fluxc_sema_pipeline_cycles(void **state)
{
    (void)state;
    Checked *k = check_text(PRELUDE
        "pipeline a(Order) -> Order = check |> b;\n"
        "pipeline b(Order) -> Order = c;\n"
        "pipeline c(Order) -> Order = a;\n"
        "pipeline d(Order) -> Order = d;\n");
    assert_false(k->ok);
    assert_non_null(strstr(k->diags, "error: pipeline 'a' uses itself through 'b' and 'c'\n"));
    assert_non_null(strstr(k->diags, "error: pipeline 'd' uses itself\n"));
    assert_int_equal(diag_errors(k->c), 2);
    checked_free(k);
}

/* ---------------------------------------------------------------- declared vs inferred */

static void test_fluxc_sema_declared_vs_inferred(void **state)
{
    (void)state;
    Checked *k = check_text(PRELUDE "pipeline p(Order) -> Receipt = parse |> total;\n");
    assert_false(k->ok);
    assert_non_null(strstr(k->diags, "error: pipeline 'p' takes Order but 'parse |> total' expects str\n"));
    checked_free(k);

    k = check_text(PRELUDE "pipeline p(str) -> Order = parse |> total;\n");
    assert_false(k->ok);
    assert_string_equal(k->diags,
        "t.fx:19:28: error: pipeline 'p' returns Order but 'parse |> total' produces Receipt\n"
        "    pipeline p(str) -> Order = parse |> total;\n"
        "                               ^~~~~~~~~~~~~~\n"
        "t.fx:19:20: note: return type declared here\n"
        "    pipeline p(str) -> Order = parse |> total;\n"
        "                       ^~~~~\n");
    checked_free(k);
}

static void test_fluxc_sema_mismatch_message(void **state)
{
    (void)state;
    Checked *k = check_text(PRELUDE "pipeline p(str) -> Receipt = parse |> price |> total;\n");
    assert_false(k->ok);
    assert_string_equal(k->diags,
        "t.fx:19:48: error: 'total' expects Order but 'parse |> price' produces f64\n"
        "    pipeline p(str) -> Receipt = parse |> price |> total;\n"
        "                                                   ^~~~~\n"
        "t.fx:8:7: note: 'total' declared here\n"
        "    stage total(Order) -> Receipt = make_receipt;\n"
        "          ^~~~~\n");
    checked_free(k);
}

/* ---------------------------------------------------------------- error collection */

static void test_fluxc_sema_independent_errors_are_all_reported(void **state)
{
    (void)state;
    Checked *k = check_text(PRELUDE
        "stage bad(Ordr) -> f64 = f_bad;\n"
        "pipeline a(str) -> Receipt = parse |> chekc |> total;\n"
        "pipeline b(Order) -> f64 = retry(price, atempts: 3);\n"
        "pipeline c(Order) -> f64 = retyr(price);\n"
        "pipeline d(Order) -> Order = filter(price);\n"
        "pipeline e(Order) -> [f64] = fanout(price, big);\n"
        "pipeline f(Order) -> f64 = timeout(price, after: 0ms);\n"
        "pool pl: Order (capacity: 2, prewarm: 3);\n"
        "stream s(str) -> str { parse; on_error: ignore; }\n");
    assert_false(k->ok);
    assert_int_equal(diag_errors(k->c), 9);
    assert_int_equal(count_lines_with(k->diags, ": error: "), 9);
    static const char *const want[] = {
        "unknown type 'Ordr'; did you mean 'Order'?",
        "unknown stage 'chekc'; did you mean 'check'?",
        "unknown option 'atempts' for retry; did you mean 'attempts'?",
        "unknown combinator 'retyr'; did you mean 'retry'?",
        "filter's predicate must produce bool, but 'price' produces f64",
        "the stages of fanout must all have the same type",
        "option 'after' of timeout must be at least 1ns, found 0ms",
        "pool 'pl' prewarms 3 objects but its capacity is 2",
        "unknown on_error policy 'ignore' (use skip, stop or send)",
    };
    const char *at = k->diags;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const char *hit = strstr(at, want[i]);
        if (!hit)
            fail_msg("missing (or out of order): %s\n%s", want[i], k->diags);
        at = hit;
    }
    checked_free(k);
}

static void test_fluxc_sema_one_mistake_one_error(void **state)
{
    (void)state;
    /* an unknown stage deep inside: its parents stay quiet, and pipelines
     * using the broken one do not repeat the error */
    Checked *k = check_text(PRELUDE
        "pipeline a(str) -> [f64] = parse |> retry(fanout(price, nope), attempts: 2) as r;\n"
        "pipeline b(str) -> [f64] = a;\n"
        "pipeline c(str) -> [f64] = a |> map(price);\n");
    assert_false(k->ok);
    assert_int_equal(diag_errors(k->c), 1);
    assert_non_null(strstr(k->diags, "unknown stage 'nope'"));
    checked_free(k);
}

static void test_fluxc_sema_error_limit(void **state)
{
    (void)state;
    size_t cap = strlen(PRELUDE) + 64 * 60;
    char *text = malloc(cap);
    assert_non_null(text);
    strcpy(text, PRELUDE);
    for (int i = 0; i < 40; i++)
        sprintf(text + strlen(text), "pipeline p%d(str) -> f64 = parse |> total;\n", i);
    Checked *k = check_text(text);
    assert_false(k->ok);
    assert_int_equal(diag_errors(k->c), 40);   /* all counted */
    assert_int_equal(count_lines_with(k->diags, ": error: "), DIAG_MAX_ERRORS);
    assert_int_equal(count_lines_with(k->diags, ": note: "), DIAG_MAX_ERRORS);
    assert_int_equal(count_lines_with(k->diags, "fluxc: too many errors, stopping\n"), 1);
    checked_free(k);
    free(text);
}

/* ---------------------------------------------------------------- streams, pools, C functions */

static void test_fluxc_sema_streams_and_pools(void **state)
{
    (void)state;
    Checked *k = check_ok(PRELUDE
        "pool receipts: Receipt (capacity: 8, prewarm: 8);\n"
        "pool rows: [i64];\n"
        "stream s(str) -> [Receipt] {\n"
        "    parse (workers: 2, queue: 16);\n"
        "    retry(check, attempts: 2) (ordered: true);\n"
        "    total;\n"
        "    window sliding(every: 1s, slide: 500ms);\n"
        "    on_error: send;\n"
        "}\n");
    const Decl *p = decl(k, "receipts");
    assert_ptr_equal(p->in_t, decl(k, "Receipt")->type);
    assert_string_equal(decl(k, "rows")->in_t->fx_name, "[i64]");

    const Decl *s = decl(k, "s");
    assert_string_equal(s->in_t->fx_name, "str");
    assert_string_equal(s->out_t->fx_name, "[Receipt]");
    /* `parse (workers: 2, queue: 16)` is the stage parse with step options */
    const Step *st = &s->steps[0];
    assert_int_equal(st->expr->kind, EX_REF);
    assert_int_equal(st->expr->op, OP_STAGE);
    assert_int_equal(st->nopts, 2);
    assert_string_equal(st->opts[1].name, "queue");
    assert_int_equal(s->steps[1].expr->op, OP_RETRY);
    assert_int_equal(s->steps[1].nopts, 1);
    checked_free(k);

    k = check_text(PRELUDE "stream s(str) -> [Order] { parse; window tumbling(count: 2); check; }\n");
    assert_false(k->ok);
    assert_non_null(strstr(k->diags, "error: 'check' expects Order but the step before it produces [Order]\n"));
    checked_free(k);
}

static void test_fluxc_sema_c_function_prototypes(void **state)
{
    (void)state;
    /* one C function, one prototype: the same stage function twice is fine */
    Checked *k = check_ok(PRELUDE "stage again(Order) -> f64 = price_order;\n");
    checked_free(k);

    k = check_text(PRELUDE "pipeline p(Order) -> f64 = dlq(price, handler: price_order);\n");
    assert_false(k->ok);
    assert_non_null(strstr(k->diags,
        "error: C function 'price_order' is used as the handler of dlq with prototype "
        "'int price_order(fx_ctx *ctx, const Order *item, const fx_error *err)'\n"));
    assert_non_null(strstr(k->diags,
        "note: but here as the stage function of 'price' with prototype "
        "'int price_order(fx_ctx *ctx, const Order *in, double *out)'\n"));
    checked_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fluxc_sema_combinator_types),
        cmocka_unit_test(test_fluxc_sema_chain_is_flattened),
        cmocka_unit_test(test_fluxc_sema_long_chain),
        cmocka_unit_test(test_fluxc_sema_struct_dag_is_checked_per_struct),
        cmocka_unit_test(test_fluxc_sema_types_are_hash_consed),
        cmocka_unit_test(test_fluxc_sema_mangled_names),
        cmocka_unit_test(test_fluxc_sema_hashability),
        cmocka_unit_test(test_fluxc_sema_unhashable_keys_are_errors),
        cmocka_unit_test(test_fluxc_sema_as_labels),
        cmocka_unit_test(test_fluxc_sema_nested_pipelines),
        cmocka_unit_test(test_fluxc_sema_pipeline_cycles),
        cmocka_unit_test(test_fluxc_sema_declared_vs_inferred),
        cmocka_unit_test(test_fluxc_sema_mismatch_message),
        cmocka_unit_test(test_fluxc_sema_independent_errors_are_all_reported),
        cmocka_unit_test(test_fluxc_sema_one_mistake_one_error),
        cmocka_unit_test(test_fluxc_sema_error_limit),
        cmocka_unit_test(test_fluxc_sema_streams_and_pools),
        cmocka_unit_test(test_fluxc_sema_c_function_prototypes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
