/* tests/test_fluxc_parser.c — the lemon grammar (grammar/fx_parse.y) and its
 * driver (gen/parse.c): the AST of every declaration form, how `|>` and `as`
 * bind, syntax error messages, and that a syntax error anywhere frees every
 * partial node (this suite runs under ASan in CI, whose leak checker fails
 * the run on a leak). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fluxc.h"

typedef struct Parsed {
    Compiler *c;
    FILE *sink;
    char *diags;
    size_t diags_len;
    bool ok;
} Parsed;

static Parsed *parse_text(const char *text)
{
    Parsed *p = calloc(1, sizeof *p);
    assert_non_null(p);
    p->sink = open_memstream(&p->diags, &p->diags_len);
    assert_non_null(p->sink);
    p->c = compiler_new(p->sink);
    compiler_load_text(p->c, "t.fx", text, strlen(text));
    p->ok = parse_source(p->c, p->c->src);
    fflush(p->sink);
    return p;
}

/* Parses text that must be free of syntax errors. */
static Parsed *parse_ok(const char *text)
{
    Parsed *p = parse_text(text);
    if (!p->ok)
        fail_msg("unexpected diagnostics:\n%s", p->diags);
    assert_string_equal(p->diags ? p->diags : "", "");
    return p;
}

static void parsed_free(Parsed *p)
{
    compiler_free(p->c);
    fclose(p->sink);
    free(p->diags);
    free(p);
}

static Decl *decl_at(Parsed *p, size_t i)
{
    assert_true(i < p->c->module->ndecls);
    return p->c->module->decls[i];
}

/* The source text of a span, for checking locations compactly. */
static char *span(Loc l)
{
    return strndup(l.p, l.len);
}

static void assert_span(Loc l, const char *want)
{
    char *s = span(l);
    assert_string_equal(s, want);
    free(s);
}

static const char *syntax_error(const char *text, Parsed **out)
{
    Parsed *p = parse_text(text);
    assert_false(p->ok);
    *out = p;
    return p->diags ? p->diags : "";
}

static void assert_syntax_error(const char *text, const char *expected)
{
    Parsed *p;
    assert_string_equal(syntax_error(text, &p), expected);
    parsed_free(p);
}

/* ---------------------------------------------------------------- declarations */

static void test_fluxc_parser_module_and_includes(void **state)
{
    (void)state;
    Parsed *p = parse_ok("module orders;\ninclude \"orders_app.h\";\ninclude <stdint.h>;\n");
    Module *m = p->c->module;
    assert_true(m->has_module);
    assert_string_equal(m->name, "orders");
    assert_int_equal(m->name_loc.line, 1);
    assert_int_equal(m->name_loc.col, 8);
    assert_int_equal(m->ndecls, 2);

    Decl *d = decl_at(p, 0);
    assert_int_equal(d->kind, D_INCLUDE);
    assert_string_equal(d->path, "orders_app.h");
    assert_false(d->system);
    assert_span(d->loc, "include \"orders_app.h\";");
    assert_span(d->name_loc, "\"orders_app.h\"");
    assert_int_equal(d->order, 0);

    d = decl_at(p, 1);
    assert_int_equal(d->kind, D_INCLUDE);
    assert_string_equal(d->path, "stdint.h");
    assert_true(d->system);
    assert_span(d->name_loc, "<stdint.h>");
    assert_int_equal(d->order, 1);
    parsed_free(p);
}

static void test_fluxc_parser_extern_types(void **state)
{
    (void)state;
    Parsed *p = parse_ok("module m;\nextern type Order;\nextern type Payment \"struct payment\";\n");
    Decl *d = decl_at(p, 0);
    assert_int_equal(d->kind, D_EXTERN);
    assert_string_equal(d->name, "Order");
    assert_null(d->c_spelling);
    assert_span(d->loc, "extern type Order;");
    assert_span(d->name_loc, "Order");

    d = decl_at(p, 1);
    assert_int_equal(d->kind, D_EXTERN);
    assert_string_equal(d->name, "Payment");
    assert_string_equal(d->c_spelling, "struct payment");
    parsed_free(p);
}

static void test_fluxc_parser_struct_fields(void **state)
{
    (void)state;
    Parsed *p = parse_ok("module m;\nstruct Receipt {\n    id: u64;\n    lines: [str];\n"
                         "    totals: KeyValue<str, [f64]>;\n}\nstruct Empty {}\n");
    Decl *d = decl_at(p, 0);
    assert_int_equal(d->kind, D_STRUCT);
    assert_string_equal(d->name, "Receipt");
    assert_int_equal(d->nfields, 3);
    assert_string_equal(d->fields[0].name, "id");
    assert_int_equal(d->fields[0].loc.line, 3);
    assert_int_equal(d->fields[0].loc.col, 5);
    assert_int_equal(d->fields[0].type->kind, TE_NAME);
    assert_string_equal(d->fields[0].type->name, "u64");

    TypeExpr *t = d->fields[1].type;
    assert_int_equal(t->kind, TE_SLICE);
    assert_span(t->loc, "[str]");
    assert_int_equal(t->elem->kind, TE_NAME);
    assert_string_equal(t->elem->name, "str");

    t = d->fields[2].type;
    assert_int_equal(t->kind, TE_GENERIC);
    assert_string_equal(t->name, "KeyValue");
    assert_span(t->loc, "KeyValue<str, [f64]>");
    assert_int_equal(t->nargs, 2);
    assert_string_equal(t->args[0]->name, "str");
    assert_int_equal(t->args[1]->kind, TE_SLICE);
    assert_string_equal(t->args[1]->elem->name, "f64");

    d = decl_at(p, 1);
    assert_int_equal(d->kind, D_STRUCT);
    assert_int_equal(d->nfields, 0);
    parsed_free(p);
}

static void test_fluxc_parser_stages(void **state)
{
    (void)state;
    Parsed *p = parse_ok("module m;\nstage parse(str) -> Order = parse_order;\n"
                         "stage lookup(Order) -> [Order] = lookup_customer with Db;\n");
    Decl *d = decl_at(p, 0);
    assert_int_equal(d->kind, D_STAGE);
    assert_string_equal(d->name, "parse");
    assert_string_equal(d->in->name, "str");
    assert_string_equal(d->out->name, "Order");
    assert_string_equal(d->cfunc, "parse_order");
    assert_span(d->cfunc_loc, "parse_order");
    assert_null(d->state);
    assert_span(d->loc, "stage parse(str) -> Order = parse_order;");

    d = decl_at(p, 1);
    assert_string_equal(d->name, "lookup");
    assert_int_equal(d->out->kind, TE_SLICE);
    assert_string_equal(d->cfunc, "lookup_customer");
    assert_string_equal(d->state, "Db");
    assert_span(d->state_loc, "Db");
    parsed_free(p);
}

static void test_fluxc_parser_pipe_is_left_associative(void **state)
{
    (void)state;
    Parsed *p = parse_ok("module m;\npipeline process(str) -> Receipt = parse |> lookup |> total;\n");
    Decl *d = decl_at(p, 0);
    assert_int_equal(d->kind, D_PIPELINE);
    assert_string_equal(d->name, "process");
    assert_string_equal(d->in->name, "str");
    assert_string_equal(d->out->name, "Receipt");
    Expr *e = d->body;
    assert_int_equal(e->kind, EX_PIPE);
    assert_span(e->loc, "parse |> lookup |> total");
    assert_int_equal(e->rhs->kind, EX_REF);
    assert_string_equal(e->rhs->name, "total");
    assert_int_equal(e->lhs->kind, EX_PIPE);
    assert_span(e->lhs->loc, "parse |> lookup");
    assert_string_equal(e->lhs->lhs->name, "parse");
    assert_string_equal(e->lhs->rhs->name, "lookup");
    assert_int_equal(e->op, OP_NONE);   /* sema has not run */
    parsed_free(p);
}

static void test_fluxc_parser_as_binds_to_the_term_before_it(void **state)
{
    (void)state;
    Parsed *p = parse_ok("module m;\npipeline a(str) -> str = x |> y as named;\n"
                         "pipeline b(str) -> str = (x |> y) as named;\n"
                         "pipeline c(str) -> str = retry(x, attempts: 3) as r |> y;\n");
    /* a |> b as x names b */
    Expr *e = decl_at(p, 0)->body;
    assert_int_equal(e->kind, EX_PIPE);
    assert_string_equal(e->lhs->name, "x");
    assert_int_equal(e->rhs->kind, EX_AS);
    assert_string_equal(e->rhs->name, "named");
    assert_span(e->rhs->name_loc, "named");
    assert_span(e->rhs->loc, "y as named");
    assert_int_equal(e->rhs->lhs->kind, EX_REF);
    assert_string_equal(e->rhs->lhs->name, "y");

    /* (a |> b) as x names the chain */
    e = decl_at(p, 1)->body;
    assert_int_equal(e->kind, EX_AS);
    assert_string_equal(e->name, "named");
    assert_span(e->loc, "(x |> y) as named");
    assert_int_equal(e->lhs->kind, EX_PIPE);
    assert_span(e->lhs->loc, "(x |> y)");

    /* a call followed by as, then more pipe */
    e = decl_at(p, 2)->body;
    assert_int_equal(e->kind, EX_PIPE);
    assert_int_equal(e->lhs->kind, EX_AS);
    assert_string_equal(e->lhs->name, "r");
    assert_int_equal(e->lhs->lhs->kind, EX_CALL);
    assert_string_equal(e->lhs->lhs->name, "retry");
    parsed_free(p);
}

static void test_fluxc_parser_combinator_arguments(void **state)
{
    (void)state;
    Parsed *p = parse_ok("module m;\npipeline p(str) -> str = retry(parse |> check, attempts: 3,\n"
                         "    backoff: exponential(100ms, factor: 2.0, max: 5s, jitter: 0.2), retry_if: transient,);\n");
    Expr *e = decl_at(p, 0)->body;
    assert_int_equal(e->kind, EX_CALL);
    assert_string_equal(e->name, "retry");
    assert_span(e->name_loc, "retry");
    assert_int_equal(e->nargs, 4);   /* a trailing comma is allowed */

    assert_null(e->args[0].name);
    assert_int_equal(e->args[0].value->kind, EX_PIPE);

    assert_string_equal(e->args[1].name, "attempts");
    assert_span(e->args[1].name_loc, "attempts");
    assert_int_equal(e->args[1].value->kind, EX_INT);
    assert_int_equal(e->args[1].value->ival, 3);

    Expr *b = e->args[2].value;
    assert_string_equal(e->args[2].name, "backoff");
    assert_int_equal(b->kind, EX_CALL);
    assert_string_equal(b->name, "exponential");
    assert_int_equal(b->nargs, 4);
    assert_null(b->args[0].name);
    assert_int_equal(b->args[0].value->kind, EX_DURATION);
    assert_int_equal(b->args[0].value->ival, 100000000);
    assert_string_equal(b->args[1].name, "factor");
    assert_int_equal(b->args[1].value->kind, EX_FLOAT);
    assert_true(b->args[1].value->fval == 2.0);
    assert_int_equal(b->args[2].value->ival, 5000000000LL);
    assert_true(b->args[3].value->fval == 0.2);

    assert_string_equal(e->args[3].name, "retry_if");
    assert_int_equal(e->args[3].value->kind, EX_REF);
    assert_string_equal(e->args[3].value->name, "transient");
    parsed_free(p);
}

static void test_fluxc_parser_literals_and_maps(void **state)
{
    (void)state;
    Parsed *p = parse_ok("module m;\npipeline p(str) -> str = trace(s, name: \"x\\ty\", attrs: {team: \"core\", \"svc.name\": \"orders\"},\n"
                         "    a: true, b: false, r: 600/m, q: 50%, e: {});\n");
    Expr *e = decl_at(p, 0)->body;
    assert_int_equal(e->nargs, 8);
    assert_int_equal(e->args[1].value->kind, EX_STRING);
    assert_string_equal(e->args[1].value->name, "x\ty");
    Expr *m = e->args[2].value;
    assert_int_equal(m->kind, EX_MAP);
    assert_span(m->loc, "{team: \"core\", \"svc.name\": \"orders\"}");
    assert_int_equal(m->nargs, 2);
    assert_string_equal(m->args[0].name, "team");
    assert_string_equal(m->args[0].value->name, "core");
    assert_string_equal(m->args[1].name, "svc.name");
    assert_string_equal(m->args[1].value->name, "orders");
    assert_int_equal(e->args[3].value->kind, EX_BOOL);
    assert_int_equal(e->args[3].value->ival, 1);
    assert_int_equal(e->args[4].value->kind, EX_BOOL);
    assert_int_equal(e->args[4].value->ival, 0);
    assert_int_equal(e->args[5].value->kind, EX_RATE);
    assert_true(e->args[5].value->fval == 10.0);
    assert_int_equal(e->args[6].value->kind, EX_PERCENT);
    assert_true(e->args[6].value->fval == 50.0);
    assert_int_equal(e->args[7].value->kind, EX_MAP);
    assert_int_equal(e->args[7].value->nargs, 0);
    parsed_free(p);
}

static void test_fluxc_parser_pools(void **state)
{
    (void)state;
    Parsed *p = parse_ok("module m;\npool receipts: Receipt (capacity: 128, prewarm: 16);\npool rows: [i64];\n");
    Decl *d = decl_at(p, 0);
    assert_int_equal(d->kind, D_POOL);
    assert_string_equal(d->name, "receipts");
    assert_string_equal(d->in->name, "Receipt");
    assert_int_equal(d->nopts, 2);
    assert_string_equal(d->opts[0].name, "capacity");
    assert_int_equal(d->opts[0].value->ival, 128);
    assert_string_equal(d->opts[1].name, "prewarm");
    assert_int_equal(d->opts[1].value->ival, 16);

    d = decl_at(p, 1);
    assert_int_equal(d->in->kind, TE_SLICE);
    assert_int_equal(d->nopts, 0);
    parsed_free(p);
}

static void test_fluxc_parser_stream_steps(void **state)
{
    (void)state;
    Parsed *p = parse_ok("module m;\n"
                         "stream ingest(str) -> [Receipt] {\n"
                         "    parse   (workers: 2, queue: 1024);\n"
                         "    retry(lookup, attempts: 2) (workers: 8, ordered: true);\n"
                         "    total;\n"
                         "    window sliding(every: 1s, slide: 500ms);\n"
                         "    on_error: skip;\n"
                         "}\n");
    Decl *d = decl_at(p, 0);
    assert_int_equal(d->kind, D_STREAM);
    assert_string_equal(d->name, "ingest");
    assert_int_equal(d->out->kind, TE_SLICE);
    assert_int_equal(d->nsteps, 5);

    /* `parse (workers: 2)` is a call as far as the grammar knows; sema
     * turns it into a stage with step options */
    Step *s = &d->steps[0];
    assert_int_equal(s->kind, STEP_STAGE);
    assert_int_equal(s->expr->kind, EX_CALL);
    assert_string_equal(s->expr->name, "parse");
    assert_int_equal(s->expr->nargs, 2);

    s = &d->steps[1];
    assert_int_equal(s->kind, STEP_STAGE);
    assert_int_equal(s->expr->kind, EX_CALL);
    assert_string_equal(s->expr->name, "retry");
    assert_int_equal(s->nopts, 2);
    assert_string_equal(s->opts[0].name, "workers");
    assert_string_equal(s->opts[1].name, "ordered");
    assert_int_equal(s->opts[1].value->kind, EX_BOOL);

    s = &d->steps[2];
    assert_int_equal(s->kind, STEP_STAGE);
    assert_int_equal(s->expr->kind, EX_REF);
    assert_string_equal(s->expr->name, "total");
    assert_int_equal(s->nopts, 0);

    s = &d->steps[3];
    assert_int_equal(s->kind, STEP_WINDOW);
    assert_string_equal(s->word, "window");
    assert_int_equal(s->expr->kind, EX_CALL);
    assert_string_equal(s->expr->name, "sliding");
    assert_int_equal(s->expr->nargs, 2);
    assert_int_equal(s->expr->args[1].value->ival, 500000000);

    s = &d->steps[4];
    assert_int_equal(s->kind, STEP_ON_ERROR);
    assert_string_equal(s->expr->name, "on_error");
    assert_string_equal(s->word, "skip");
    assert_span(s->word_loc, "skip");
    parsed_free(p);
}

static void test_fluxc_parser_declaration_order(void **state)
{
    (void)state;
    Parsed *p = parse_ok("extern type A;\nmodule m;\nstage s(A) -> A = f;\npipeline p(A) -> A = s;\n");
    assert_true(p->c->module->has_module);   /* module need not come first */
    assert_int_equal(p->c->module->ndecls, 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(decl_at(p, i)->order, (int)i);
    parsed_free(p);
}

/* ---------------------------------------------------------------- syntax errors */

static void test_fluxc_parser_error_expected_arrow(void **state)
{
    (void)state;
    assert_syntax_error("module m;\nstage parse(str) Order = parse_order;\n",
                        "t.fx:2:18: error: expected '->', found identifier 'Order'\n"
                        "    stage parse(str) Order = parse_order;\n"
                        "                     ^~~~~\n");
}

static void test_fluxc_parser_error_missing_semicolon_at_end_of_line(void **state)
{
    (void)state;
    assert_syntax_error("module m;\nstage parse(str) -> i64 = p\nstage q(i64) -> i64 = q;\n",
                        "t.fx:2:28: error: expected ';', found 'stage'\n"
                        "    stage parse(str) -> i64 = p\n"
                        "                               ^\n");
    /* on the same line, the caret is on what was found */
    assert_syntax_error("module m;\nextern type A extern type B;\n",
                        "t.fx:2:15: error: expected string or ';', found 'extern'\n"
                        "    extern type A extern type B;\n"
                        "                  ^~~~~~\n");
}

static void test_fluxc_parser_error_messages(void **state)
{
    (void)state;
    assert_syntax_error("module m;\npipeline p(str) -> i64 parse;\n",
                        "t.fx:2:24: error: expected '=', found identifier 'parse'\n"
                        "    pipeline p(str) -> i64 parse;\n"
                        "                           ^~~~~\n");
    assert_syntax_error("module m;\npipeline p(str) -> i64 = a |> |> b;\n",
                        "t.fx:2:31: error: expected an expression, found '|>'\n"
                        "    pipeline p(str) -> i64 = a |> |> b;\n"
                        "                                  ^~\n");
    assert_syntax_error("module m;\nparse |> parse;\n",
                        "t.fx:2:1: error: expected a declaration, found identifier 'parse'\n"
                        "    parse |> parse;\n"
                        "    ^~~~~\n");
    assert_syntax_error("module m;\nstage s(str) -> [i64 = f;\n",
                        "t.fx:2:22: error: expected ']', found '='\n"
                        "    stage s(str) -> [i64 = f;\n"
                        "                         ^\n");
    assert_syntax_error("module m;\nstage s(str) -> KeyValue<str i64> = f;\n",
                        "t.fx:2:30: error: expected ',' or '>', found identifier 'i64'\n"
                        "    stage s(str) -> KeyValue<str i64> = f;\n"
                        "                                 ^~~\n");
    assert_syntax_error("module m;\nstage s() -> i64 = f;\n",
                        "t.fx:2:9: error: expected a type, found ')'\n"
                        "    stage s() -> i64 = f;\n"
                        "            ^\n");
    assert_syntax_error("module m;\npipeline p(str) -> i64 = 42 |> a;\nstage 5",
                        "t.fx:3:7: error: expected identifier, found integer '5'\n"
                        "    stage 5\n"
                        "          ^\n");
}

static void test_fluxc_parser_error_end_of_file(void **state)
{
    (void)state;
    assert_syntax_error("module m;\npipeline p(str) -> i64 = retry(parse,\n\n  \n",
                        "t.fx:2:38: error: expected ')', found end of file\n"
                        "    pipeline p(str) -> i64 = retry(parse,\n"
                        "                                         ^\n");
    assert_syntax_error("module m;\nstruct S { a: i64;",
                        "t.fx:2:19: error: expected identifier or '}', found end of file\n"
                        "    struct S { a: i64;\n"
                        "                      ^\n");
}

static void test_fluxc_parser_error_module(void **state)
{
    (void)state;
    assert_syntax_error("stage s(str) -> i64 = f;\n",
                        "t.fx:1:1: error: missing 'module' declaration (every .fx file starts with 'module NAME;')\n"
                        "    stage s(str) -> i64 = f;\n"
                        "    ^\n");
    assert_syntax_error("",
                        "t.fx:1:1: error: missing 'module' declaration (every .fx file starts with 'module NAME;')\n"
                        "    \n"
                        "    ^\n");
    assert_syntax_error("module a;\nmodule b;\n",
                        "t.fx:2:1: error: duplicate module declaration\n"
                        "    module b;\n"
                        "    ^~~~~~~~\n"
                        "t.fx:1:8: note: module 'a' declared here\n"
                        "    module a;\n"
                        "           ^\n");
}

static void test_fluxc_parser_lexical_error_stops_the_parse(void **state)
{
    (void)state;
    Parsed *p;
    const char *d = syntax_error("module m;\npipeline p(str) -> i64 = a @ b;\n", &p);
    /* one message, from the lexer; the parser adds nothing */
    assert_string_equal(d, "t.fx:2:28: error: unexpected character '@' in input\n"
                           "    pipeline p(str) -> i64 = a @ b;\n"
                           "                               ^\n");
    assert_int_equal(diag_errors(p->c), 1);
    parsed_free(p);
}

/* A syntax error at every position of a big declaration: each partial AST
 * (lists, calls, maps, types, steps) goes through its %destructor. Leaks
 * show under ASan (make SAN=asan); without it this still checks that each
 * truncation is a clean error with exactly one message. */
static void test_fluxc_parser_error_mid_declaration_leaks_nothing(void **state)
{
    (void)state;
    static const char *const bigs[] = {
        "module m;\n"
        "pipeline p([str]) -> [KeyValue<str, [i64]>] = chain(map(parse |> lookup as lk, concurrency: 4),\n"
        "    retry(fanout(a, b, c), attempts: 3, backoff: exponential(100ms, factor: 2.0)) as r,\n"
        "    trace(x, name: \"t\", attrs: {k: \"v\", \"a.b\": \"c\"}), (d |> e) as de) |> f;\n",
        "module m;\n"
        "struct Receipt { id: u64; lines: [str]; kv: KeyValue<str, Group<i64, [Order]>>; note: str; }\n",
        "module m;\n"
        "stream s(str) -> [Receipt] { parse (workers: 2, queue: 8); retry(x, attempts: 2) (ordered: true);\n"
        "    window sliding(count: 5, slide: 2); on_error: skip; }\n",
        "module m;\npool p: [KeyValue<str, i64>] (capacity: 128, prewarm: 16);\n"
        "stage s(Group<str, [i64]>) -> [[str]] = f with State;\n",
    };
    for (size_t b = 0; b < sizeof bigs / sizeof bigs[0]; b++) {
        const char *big = bigs[b];
        size_t n = strlen(big);
        Parsed *whole = parse_ok(big);
        parsed_free(whole);
        /* every prefix that ends inside the declaration, plus a stray ')' */
        for (size_t cut = 10; cut < n - 1; cut++) {
            char *text = malloc(cut + 3);
            assert_non_null(text);
            memcpy(text, big, cut);
            memcpy(text + cut, " )", 3);
            Parsed *p = parse_text(text);
            assert_false(p->ok);
            if (diag_errors(p->c) != 1)
                fail_msg("%d errors for:\n%s\n%s", diag_errors(p->c), text, p->diags);
            parsed_free(p);
            free(text);
        }
    }
}

static void test_fluxc_parser_deep_nesting_is_an_error_not_a_crash(void **state)
{
    (void)state;
    enum { DEPTH = 5000 };
    size_t cap = DEPTH * 6 + 64;
    char *text = malloc(cap);
    assert_non_null(text);
    strcpy(text, "module m;\npipeline p(str) -> str = ");
    size_t len = strlen(text);
    for (int i = 0; i < DEPTH; i++)
        text[len++] = '(';
    text[len++] = 'a';
    for (int i = 0; i < DEPTH; i++)
        text[len++] = ')';
    strcpy(text + len, ";\n");
    Parsed *p = parse_text(text);
    if (!p->ok)
        assert_non_null(strstr(p->diags, "error: "));
    parsed_free(p);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fluxc_parser_module_and_includes),
        cmocka_unit_test(test_fluxc_parser_extern_types),
        cmocka_unit_test(test_fluxc_parser_struct_fields),
        cmocka_unit_test(test_fluxc_parser_stages),
        cmocka_unit_test(test_fluxc_parser_pipe_is_left_associative),
        cmocka_unit_test(test_fluxc_parser_as_binds_to_the_term_before_it),
        cmocka_unit_test(test_fluxc_parser_combinator_arguments),
        cmocka_unit_test(test_fluxc_parser_literals_and_maps),
        cmocka_unit_test(test_fluxc_parser_pools),
        cmocka_unit_test(test_fluxc_parser_stream_steps),
        cmocka_unit_test(test_fluxc_parser_declaration_order),
        cmocka_unit_test(test_fluxc_parser_error_expected_arrow),
        cmocka_unit_test(test_fluxc_parser_error_missing_semicolon_at_end_of_line),
        cmocka_unit_test(test_fluxc_parser_error_messages),
        cmocka_unit_test(test_fluxc_parser_error_end_of_file),
        cmocka_unit_test(test_fluxc_parser_error_module),
        cmocka_unit_test(test_fluxc_parser_lexical_error_stops_the_parse),
        cmocka_unit_test(test_fluxc_parser_error_mid_declaration_leaks_nothing),
        cmocka_unit_test(test_fluxc_parser_deep_nesting_is_an_error_not_a_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
