/* tests/test_fluxc_emit.c — the other back ends: --emit=stubs, --emit=dot
 * and the make dependency rule (--emit=deps, -MD). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fluxc.h"

typedef enum { STUBS, DOT, DEPS } Kind;

/* Checks src (named `path`) and runs one back end; the text, or NULL. */
static char *emit(Kind kind, const char *path, const char *src, const char *dir)
{
    char *diags = NULL;
    size_t n = 0;
    FILE *sink = open_memstream(&diags, &n);
    assert_non_null(sink);
    Compiler *c = compiler_new(sink);
    compiler_load_text(c, path, src, strlen(src));
    Buf out;
    buf_init(&out);
    bool ok = compiler_check(c);
    if (ok) {
        Options o = {0};
        o.input = path;
        o.line_directives = true;
        switch (kind) {
        case STUBS: ok = emit_stubs(c, &out); break;
        case DOT: ok = emit_dot(c, &out); break;
        case DEPS: emit_deps(c, &o, dir, &out); break;
        }
    }
    compiler_free(c);
    fclose(sink);
    if (!ok)
        fprintf(stderr, "unexpected diagnostics:\n%s", diags);
    free(diags);
    assert_true(ok);
    return out.data;
}

#define assert_has(hay, needle)                                                         \
    do {                                                                                \
        if (strstr((hay), (needle)) == NULL)                                            \
            fail_msg("expected to find:\n%s\n-- in --\n%s", (needle), (hay));           \
    } while (0)

static const char *SHOP =
    "module shop;\n"
    "extern type Order;\n"
    "extern type Db \"struct db\";\n"
    "struct Receipt { id: u64; lines: [str]; }\n"
    "stage parse(str) -> Order = parse_order;\n"
    "stage lookup(Order) -> Order = lookup_customer with Db;\n"
    "stage total(Order) -> Receipt = make_receipt;\n"
    "stage again(Order) -> Order = lookup_customer with Db;\n"
    "pipeline process(str) -> Receipt = on_error(parse |> lookup |> total, log_error);\n";

static void test_fluxc_emit_stubs_every_function_with_its_prototype(void **state)
{
    (void)state;
    char *s = emit(STUBS, "shop.fx", SHOP, NULL);
    assert_has(s, "#include \"shop.h\"\n");
    assert_has(s, "int parse_order(fx_ctx *ctx, const char *const *in, Order *out)\n{\n");
    assert_has(s, "int lookup_customer(fx_ctx *ctx, struct db *state, const Order *in, Order *out)\n{\n");
    assert_has(s, "int make_receipt(fx_ctx *ctx, const Order *in, Receipt *out)\n{\n");
    assert_has(s, "int log_error(fx_ctx *ctx, int code)\n{\n");
    /* bodies that compile warning-free: parameters used, a TODO failure */
    assert_has(s, "    (void)state;\n");
    assert_has(s, "return fx_fail(ctx, FX_EINVAL, \"TODO: implement parse_order (stage parse)\");");
    /* one definition per C function */
    const char *first = strstr(s, "int lookup_customer(");
    assert_null(strstr(first + 1, "int lookup_customer("));
    free(s);
}

static void test_fluxc_emit_stubs_deterministic(void **state)
{
    (void)state;
    char *a = emit(STUBS, "shop.fx", SHOP, NULL);
    char *b = emit(STUBS, "shop.fx", SHOP, NULL);
    assert_string_equal(a, b);
    free(a);
    free(b);
}

static void test_fluxc_emit_dot_graph(void **state)
{
    (void)state;
    char *d = emit(DOT, "shop.fx", SHOP, NULL);
    assert_has(d, "digraph \"shop\" {\n");
    assert_has(d, "subgraph \"cluster_process\" {\n");
    assert_has(d, "label=\"process: str -> Receipt\";");
    assert_has(d, "[shape=box, label=\"parse\\nparse_order()\"];");
    assert_has(d, "[shape=ellipse, label=\"on_error\\nlog_error\"];");
    assert_has(d, "[shape=plaintext, label=\"in\"];");
    assert_has(d, "[shape=plaintext, label=\"out\"];");
    assert_has(d, "[label=\"Order\"];");     /* parse -> lookup */
    assert_has(d, "[label=\"Receipt\"];");   /* total -> out */
    assert_has(d, "[label=\"str\"];");       /* in -> on_error */
    size_t n = strlen(d);
    assert_true(n > 2 && strcmp(d + n - 2, "}\n") == 0);
    free(d);
}

static void test_fluxc_emit_dot_escapes_labels_and_splits(void **state)
{
    (void)state;
    char *d = emit(DOT, "shop.fx",
                   "module shop;\n"
                   "stage a(str) -> KeyValue<str, i64> = fa;\n"
                   "stage b(str) -> KeyValue<str, i64> = fb;\n"
                   "pipeline p(str) -> [KeyValue<str, i64>] = fanout(a, metrics(b, name: \"say \\\"hi\\\"\"));\n",
                   NULL);
    assert_has(d, "[shape=diamond, label=\"fanout\"];");
    assert_has(d, "[label=\"KeyValue<str, i64>\"];");
    assert_has(d, "[label=\"[KeyValue<str, i64>]\"];");
    assert_has(d, "name: \\\"say \\\\\\\"hi\\\\\\\"\\\"");   /* the source text, escaped */
    free(d);
}

static void test_fluxc_emit_dot_deterministic(void **state)
{
    (void)state;
    char *a = emit(DOT, "shop.fx", SHOP, NULL);
    char *b = emit(DOT, "shop.fx", SHOP, NULL);
    assert_string_equal(a, b);
    free(a);
    free(b);
}

static void test_fluxc_emit_deps_rule(void **state)
{
    (void)state;
    char *d = emit(DEPS, "src/shop.fx", SHOP, "out");
    assert_string_equal(d, "out/shop.h out/shop.c: src/shop.fx\n");
    free(d);
    d = emit(DEPS, "shop.fx", SHOP, NULL);
    assert_string_equal(d, "shop.h shop.c: shop.fx\n");
    free(d);
    d = emit(DEPS, "shop.fx", SHOP, ".");
    assert_string_equal(d, "shop.h shop.c: shop.fx\n");
    free(d);
    d = emit(DEPS, "my dir/shop.fx", SHOP, "gen/");
    assert_string_equal(d, "gen/shop.h gen/shop.c: my\\ dir/shop.fx\n");
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fluxc_emit_stubs_every_function_with_its_prototype),
        cmocka_unit_test(test_fluxc_emit_stubs_deterministic),
        cmocka_unit_test(test_fluxc_emit_dot_graph),
        cmocka_unit_test(test_fluxc_emit_dot_escapes_labels_and_splits),
        cmocka_unit_test(test_fluxc_emit_dot_deterministic),
        cmocka_unit_test(test_fluxc_emit_deps_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
