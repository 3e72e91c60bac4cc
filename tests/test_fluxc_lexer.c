/* tests/test_fluxc_lexer.c — the re2c lexer (grammar/fx_lex.re): every
 * token kind with its location, literal values converted to their units,
 * header names only after `include`, comments, and the exact text of every
 * lexical error. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fluxc.h"
#include "fx_parse.h"

/* A lexer over `text`, with its diagnostics captured in memory. */
typedef struct Lex {
    Compiler *c;
    FILE *sink;
    char *diags;
    size_t diags_len;
    Lexer lx;
} Lex;

static Lex *lex_open(const char *text)
{
    Lex *l = calloc(1, sizeof *l);
    assert_non_null(l);
    l->sink = open_memstream(&l->diags, &l->diags_len);
    assert_non_null(l->sink);
    l->c = compiler_new(l->sink);
    compiler_load_text(l->c, "t.fx", text, strlen(text));
    lexer_init(&l->lx, l->c, l->c->src);
    return l;
}

static const char *lex_diags(Lex *l)
{
    fflush(l->sink);
    return l->diags ? l->diags : "";
}

static void lex_close(Lex *l)
{
    compiler_free(l->c);
    fclose(l->sink);
    free(l->diags);
    free(l);
}

/* The next token, checked for kind and location. */
static Token expect_tok(Lex *l, int kind, int line, int col, unsigned len)
{
    Token t = lexer_next(&l->lx);
    if (t.kind != kind)
        fail_msg("expected %s at %d:%d, got %s at %d:%d", token_kind_name(kind), line, col,
                 token_kind_name(t.kind), t.loc.line, t.loc.col);
    assert_int_equal(t.loc.line, line);
    assert_int_equal(t.loc.col, col);
    assert_int_equal(t.loc.len, len);
    return t;
}

static Token next_kind(Lex *l, int kind)
{
    Token t = lexer_next(&l->lx);
    if (t.kind != kind)
        fail_msg("expected %s, got %s", token_kind_name(kind), token_kind_name(t.kind));
    return t;
}

/* The diagnostics of lexing `text` up to the first error (or the end). */
static char *lex_error_of(const char *text, int *kind_out)
{
    Lex *l = lex_open(text);
    Token t;
    do
        t = lexer_next(&l->lx);
    while (t.kind != 0 && t.kind != FX_TK_ERROR);
    if (kind_out)
        *kind_out = t.kind;
    char *d = strdup(lex_diags(l));
    lex_close(l);
    return d;
}

static void assert_lex_error(const char *text, const char *expected)
{
    int kind = -1;
    char *d = lex_error_of(text, &kind);
    assert_int_equal(kind, FX_TK_ERROR);
    assert_string_equal(d, expected);
    free(d);
}

/* ---------------------------------------------------------------- tokens */

static void test_fluxc_lexer_punctuation_with_locations(void **state)
{
    (void)state;
    Lex *l = lex_open("-> |> ; : , ( ) { } [ ] < > =");
    expect_tok(l, FX_TK_ARROW, 1, 1, 2);
    expect_tok(l, FX_TK_PIPE, 1, 4, 2);
    expect_tok(l, FX_TK_SEMI, 1, 7, 1);
    expect_tok(l, FX_TK_COLON, 1, 9, 1);
    expect_tok(l, FX_TK_COMMA, 1, 11, 1);
    expect_tok(l, FX_TK_LPAREN, 1, 13, 1);
    expect_tok(l, FX_TK_RPAREN, 1, 15, 1);
    expect_tok(l, FX_TK_LBRACE, 1, 17, 1);
    expect_tok(l, FX_TK_RBRACE, 1, 19, 1);
    expect_tok(l, FX_TK_LBRACKET, 1, 21, 1);
    expect_tok(l, FX_TK_RBRACKET, 1, 23, 1);
    expect_tok(l, FX_TK_LT, 1, 25, 1);
    expect_tok(l, FX_TK_GT, 1, 27, 1);
    expect_tok(l, FX_TK_EQ, 1, 29, 1);
    Token eof = lexer_next(&l->lx);
    assert_int_equal(eof.kind, 0);
    assert_string_equal(lex_diags(l), "");
    lex_close(l);
}

static void test_fluxc_lexer_locations_across_lines(void **state)
{
    (void)state;
    Lex *l = lex_open("a\n  bb\n\tccc  \r\n d");
    Token t = expect_tok(l, FX_TK_IDENT, 1, 1, 1);
    assert_string_equal(t.text, "a");
    t = expect_tok(l, FX_TK_IDENT, 2, 3, 2);
    assert_string_equal(t.text, "bb");
    assert_ptr_equal(t.loc.p, l->c->src->text + 4);
    assert_ptr_equal(t.loc.src, l->c->src);
    t = expect_tok(l, FX_TK_IDENT, 3, 2, 3);   /* a tab is one column (columns count bytes) */
    assert_string_equal(t.text, "ccc");
    expect_tok(l, FX_TK_IDENT, 4, 2, 1);
    assert_int_equal(lexer_next(&l->lx).kind, 0);
    lex_close(l);
}

static void test_fluxc_lexer_keywords_are_not_prefixes(void **state)
{
    (void)state;
    static const struct { const char *text; int kind; } cases[] = {
        {"module", FX_TK_MODULE}, {"modules", FX_TK_IDENT}, {"include", FX_TK_INCLUDE},
        {"includes", FX_TK_IDENT}, {"extern", FX_TK_EXTERN}, {"type", FX_TK_TYPE},
        {"types", FX_TK_IDENT}, {"struct", FX_TK_STRUCT}, {"stage", FX_TK_STAGE},
        {"stages", FX_TK_IDENT}, {"pipeline", FX_TK_PIPELINE}, {"stream", FX_TK_STREAM},
        {"pool", FX_TK_POOL}, {"pooled_buffer", FX_TK_IDENT}, {"with", FX_TK_WITH},
        {"with_", FX_TK_IDENT}, {"as", FX_TK_AS}, {"ask", FX_TK_IDENT}, {"true", FX_TK_TRUE},
        {"truex", FX_TK_IDENT}, {"false", FX_TK_FALSE}, {"_false", FX_TK_IDENT},
        {"map", FX_TK_IDENT}, {"retry", FX_TK_IDENT}, {"Module", FX_TK_IDENT}, {"x1_2", FX_TK_IDENT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Lex *l = lex_open(cases[i].text);
        Token t = expect_tok(l, cases[i].kind, 1, 1, (unsigned)strlen(cases[i].text));
        if (cases[i].kind == FX_TK_IDENT) {
            assert_string_equal(t.text, cases[i].text);
            /* identifiers are interned */
            assert_ptr_equal(t.text, intern_cstr(l->c, cases[i].text));
        }
        assert_int_equal(lexer_next(&l->lx).kind, 0);
        lex_close(l);
    }
}

static void test_fluxc_lexer_integers(void **state)
{
    (void)state;
    Lex *l = lex_open("42 1_000_000 0 9223372036854775807");
    Token t = expect_tok(l, FX_TK_INT, 1, 1, 2);
    assert_int_equal(t.lit, LIT_INT);
    assert_int_equal(t.ival, 42);
    t = expect_tok(l, FX_TK_INT, 1, 4, 9);
    assert_int_equal(t.ival, 1000000);
    t = expect_tok(l, FX_TK_INT, 1, 14, 1);
    assert_int_equal(t.ival, 0);
    t = expect_tok(l, FX_TK_INT, 1, 16, 19);
    assert_true(t.ival == INT64_MAX);
    assert_string_equal(lex_diags(l), "");
    lex_close(l);
}

static void test_fluxc_lexer_floats(void **state)
{
    (void)state;
    Lex *l = lex_open("0.5 2.0 1_000.25");
    Token t = expect_tok(l, FX_TK_FLOAT, 1, 1, 3);
    assert_int_equal(t.lit, LIT_FLOAT);
    assert_true(t.fval == 0.5);
    t = expect_tok(l, FX_TK_FLOAT, 1, 5, 3);
    assert_true(t.fval == 2.0);
    t = expect_tok(l, FX_TK_FLOAT, 1, 9, 8);
    assert_true(t.fval == 1000.25);
    lex_close(l);
}

static void test_fluxc_lexer_durations_in_nanoseconds(void **state)
{
    (void)state;
    static const struct { const char *text; int64_t ns; } cases[] = {
        {"5ns", 5}, {"250us", 250000}, {"100ms", 100000000}, {"1.5s", 1500000000},
        {"3s", 3000000000LL}, {"2m", 120000000000LL}, {"1h", 3600000000000LL},
        {"0.5ms", 500000}, {"1_000ms", 1000000000}, {"0s", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Lex *l = lex_open(cases[i].text);
        Token t = expect_tok(l, FX_TK_DURATION, 1, 1, (unsigned)strlen(cases[i].text));
        assert_int_equal(t.lit, LIT_DURATION);
        if (t.ival != cases[i].ns)
            fail_msg("%s: %lld ns, expected %lld", cases[i].text, (long long)t.ival, (long long)cases[i].ns);
        lex_close(l);
    }
}

static void test_fluxc_lexer_rates_per_second(void **state)
{
    (void)state;
    static const struct { const char *text; double per_s; } cases[] = {
        {"10/s", 10}, {"600/m", 10}, {"3600/h", 1}, {"1.5/s", 1.5}, {"30/m", 0.5},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Lex *l = lex_open(cases[i].text);
        Token t = expect_tok(l, FX_TK_RATE, 1, 1, (unsigned)strlen(cases[i].text));
        assert_int_equal(t.lit, LIT_RATE);
        if (fabs(t.fval - cases[i].per_s) > 1e-9)
            fail_msg("%s: %g/s, expected %g/s", cases[i].text, t.fval, cases[i].per_s);
        lex_close(l);
    }
}

static void test_fluxc_lexer_percentages(void **state)
{
    (void)state;
    Lex *l = lex_open("50% 12.5% 100%");
    Token t = expect_tok(l, FX_TK_PERCENT, 1, 1, 3);
    assert_int_equal(t.lit, LIT_PERCENT);
    assert_true(t.fval == 50);
    t = expect_tok(l, FX_TK_PERCENT, 1, 5, 5);
    assert_true(t.fval == 12.5);
    t = expect_tok(l, FX_TK_PERCENT, 1, 11, 4);
    assert_true(t.fval == 100);
    lex_close(l);
}

static void test_fluxc_lexer_string_escapes_are_decoded(void **state)
{
    (void)state;
    Lex *l = lex_open("\"a\\\"b\\\\c\\n\\t\\r\\x41\\x7e\" \"\"");
    Token t = expect_tok(l, FX_TK_STRING, 1, 1, 23);
    assert_int_equal(t.lit, LIT_STRING);
    assert_string_equal(t.text, "a\"b\\c\n\t\rA~");
    t = expect_tok(l, FX_TK_STRING, 1, 25, 2);
    assert_string_equal(t.text, "");
    assert_string_equal(lex_diags(l), "");
    lex_close(l);

    /* \0 is accepted; the C value of the string ends there */
    l = lex_open("\"ab\\0cd\"");
    t = next_kind(l, FX_TK_STRING);
    assert_string_equal(t.text, "ab");
    assert_memory_equal(t.text, "ab\0cd", 6);
    lex_close(l);
}

static void test_fluxc_lexer_header_name_only_after_include(void **state)
{
    (void)state;
    Lex *l = lex_open("include <stdint.h>;\ninclude   <sys/types.h> ;\ninclude \"app.h\";");
    expect_tok(l, FX_TK_INCLUDE, 1, 1, 7);
    Token t = expect_tok(l, FX_TK_HEADER, 1, 9, 10);
    assert_string_equal(t.text, "stdint.h");
    expect_tok(l, FX_TK_SEMI, 1, 19, 1);
    expect_tok(l, FX_TK_INCLUDE, 2, 1, 7);
    t = expect_tok(l, FX_TK_HEADER, 2, 11, 13);
    assert_string_equal(t.text, "sys/types.h");
    expect_tok(l, FX_TK_SEMI, 2, 25, 1);
    expect_tok(l, FX_TK_INCLUDE, 3, 1, 7);
    t = expect_tok(l, FX_TK_STRING, 3, 9, 7);
    assert_string_equal(t.text, "app.h");
    expect_tok(l, FX_TK_SEMI, 3, 16, 1);
    lex_close(l);

    /* elsewhere '<' and '>' are ordinary tokens */
    l = lex_open("KeyValue<str, i64> Group<u8,[Order]>");
    t = expect_tok(l, FX_TK_IDENT, 1, 1, 8);
    assert_string_equal(t.text, "KeyValue");
    expect_tok(l, FX_TK_LT, 1, 9, 1);
    expect_tok(l, FX_TK_IDENT, 1, 10, 3);
    expect_tok(l, FX_TK_COMMA, 1, 13, 1);
    expect_tok(l, FX_TK_IDENT, 1, 15, 3);
    expect_tok(l, FX_TK_GT, 1, 18, 1);
    next_kind(l, FX_TK_IDENT);
    next_kind(l, FX_TK_LT);
    next_kind(l, FX_TK_IDENT);
    next_kind(l, FX_TK_COMMA);
    next_kind(l, FX_TK_LBRACKET);
    next_kind(l, FX_TK_IDENT);
    next_kind(l, FX_TK_RBRACKET);
    next_kind(l, FX_TK_GT);
    assert_int_equal(lexer_next(&l->lx).kind, 0);
    lex_close(l);
}

static void test_fluxc_lexer_comments_are_skipped(void **state)
{
    (void)state;
    Lex *l = lex_open("a // to the end |> ;\n/* over\n two lines */ b/**/c // last");
    Token t = expect_tok(l, FX_TK_IDENT, 1, 1, 1);
    assert_string_equal(t.text, "a");
    t = expect_tok(l, FX_TK_IDENT, 3, 15, 1);
    assert_string_equal(t.text, "b");
    t = expect_tok(l, FX_TK_IDENT, 3, 20, 1);
    assert_string_equal(t.text, "c");
    assert_int_equal(lexer_next(&l->lx).kind, 0);
    assert_string_equal(lex_diags(l), "");
    lex_close(l);

    /* not nested: the first closer ends the comment */
    l = lex_open("/* a /* b */ x */");
    t = next_kind(l, FX_TK_IDENT);
    assert_string_equal(t.text, "x");
    lex_close(l);
}

static void test_fluxc_lexer_token_descriptions(void **state)
{
    (void)state;
    Lex *l = lex_open("Order 42 1.5 100ms 10/s 50% \"hi\" -> <h.h>");
    static const char *const want[] = {
        "identifier 'Order'", "integer '42'", "number '1.5'", "duration '100ms'",
        "rate '10/s'", "percentage '50%'", "string \"hi\"", "'->'",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        Token t = lexer_next(&l->lx);
        assert_string_equal(token_describe(l->c, &t), want[i]);
    }
    Token t = lexer_next(&l->lx);   /* '<' without include */
    assert_int_equal(t.kind, FX_TK_LT);
    assert_string_equal(token_kind_name(0), "end of file");
    assert_string_equal(token_kind_name(FX_TK_HEADER), "header name");
    lex_close(l);
}

/* ---------------------------------------------------------------- errors */

static void test_fluxc_lexer_error_bad_character(void **state)
{
    (void)state;
    assert_lex_error("stage @ x",
                     "t.fx:1:7: error: unexpected character '@' in input\n"
                     "    stage @ x\n"
                     "          ^\n");
    assert_lex_error("a\n  $",
                     "t.fx:2:3: error: unexpected character '$' in input\n"
                     "      $\n"
                     "      ^\n");
    assert_lex_error("x \x01",
                     "t.fx:1:3: error: unexpected character '\\x01' in input\n"
                     "    x \x01\n"
                     "      ^\n");
    /* a UTF-8 character is one character, and the caret stays under it */
    assert_lex_error("/* é */ a \xE2\x86\x92 b",
                     "t.fx:1:12: error: unexpected character U+2192 in input\n"
                     "    /* é */ a \xE2\x86\x92 b\n"
                     "              ^\n");
    /* an invalid UTF-8 byte */
    assert_lex_error("a \xFF",
                     "t.fx:1:3: error: unexpected character '\\xFF' in input\n"
                     "    a \xFF\n"
                     "      ^\n");
}

static void test_fluxc_lexer_error_hints(void **state)
{
    (void)state;
    assert_lex_error("burst: -1",
                     "t.fx:1:8: error: unexpected character '-' in input (numbers cannot be negative)\n"
                     "    burst: -1\n"
                     "           ^\n");
    assert_lex_error("name: 'x'",
                     "t.fx:1:7: error: unexpected character '\\'' in input (strings use double quotes)\n"
                     "    name: 'x'\n"
                     "          ^\n");
}

static void test_fluxc_lexer_error_strings(void **state)
{
    (void)state;
    assert_lex_error("name: \"abc",
                     "t.fx:1:7: error: unterminated string literal\n"
                     "    name: \"abc\n"
                     "          ^\n");
    assert_lex_error("name: \"abc\nx\"",
                     "t.fx:1:7: error: unterminated string literal\n"
                     "    name: \"abc\n"
                     "          ^\n");
    assert_lex_error("\"ab\\qc\"",
                     "t.fx:1:4: error: invalid escape sequence '\\q' in string\n"
                     "    \"ab\\qc\"\n"
                     "       ^~\n");
    assert_lex_error("\"\\x4\"",
                     "t.fx:1:2: error: '\\x' needs two hexadecimal digits\n"
                     "    \"\\x4\"\n"
                     "     ^~\n");
    assert_lex_error("\"\\xg0\"",
                     "t.fx:1:2: error: '\\x' needs two hexadecimal digits\n"
                     "    \"\\xg0\"\n"
                     "     ^~\n");
}

static void test_fluxc_lexer_error_unterminated_comment(void **state)
{
    (void)state;
    /* reported at the opener, even though the comment ran over lines */
    assert_lex_error("a\n  /* one\ntwo\nthree",
                     "t.fx:2:3: error: unterminated comment\n"
                     "      /* one\n"
                     "      ^~\n");
}

static void test_fluxc_lexer_error_numbers(void **state)
{
    (void)state;
    assert_lex_error("after: 10sec",
                     "t.fx:1:10: error: invalid suffix 'sec' on number (durations use ns, us, ms, s, m or h)\n"
                     "    after: 10sec\n"
                     "             ^~~\n");
    assert_lex_error("rate: 5/d",
                     "t.fx:1:8: error: invalid rate unit '/d' (use /s, /m or /h)\n"
                     "    rate: 5/d\n"
                     "           ^~\n");
    assert_lex_error("n: 9223372036854775808",
                     "t.fx:1:4: error: integer literal '9223372036854775808' is too large\n"
                     "    n: 9223372036854775808\n"
                     "       ^~~~~~~~~~~~~~~~~~~\n");
    assert_lex_error("n: 1_000_000_000_000_000_000_000",
                     "t.fx:1:4: error: integer literal '1000000000000000000000' is too large\n"
                     "    n: 1_000_000_000_000_000_000_000\n"
                     "       ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~\n");
    assert_lex_error("d: 3000000h",
                     "t.fx:1:4: error: duration '3000000h' is too long\n"
                     "    d: 3000000h\n"
                     "       ^~~~~~~~\n");
}

static void test_fluxc_lexer_error_header_names(void **state)
{
    (void)state;
    assert_lex_error("include <stdint.h;",
                     "t.fx:1:9: error: unterminated header name after 'include'\n"
                     "    include <stdint.h;\n"
                     "            ^\n");
    assert_lex_error("include <stdint.h",
                     "t.fx:1:9: error: unterminated header name after 'include'\n"
                     "    include <stdint.h\n"
                     "            ^\n");
    assert_lex_error("include <>;",
                     "t.fx:1:9: error: empty header name\n"
                     "    include <>;\n"
                     "            ^~\n");
}

static void test_fluxc_lexer_error_counts_once(void **state)
{
    (void)state;
    Lex *l = lex_open("@");
    Token t = lexer_next(&l->lx);
    assert_int_equal(t.kind, FX_TK_ERROR);
    assert_int_equal(diag_errors(l->c), 1);
    assert_int_equal(t.loc.col, 1);
    assert_int_equal(t.loc.len, 1);
    lex_close(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fluxc_lexer_punctuation_with_locations),
        cmocka_unit_test(test_fluxc_lexer_locations_across_lines),
        cmocka_unit_test(test_fluxc_lexer_keywords_are_not_prefixes),
        cmocka_unit_test(test_fluxc_lexer_integers),
        cmocka_unit_test(test_fluxc_lexer_floats),
        cmocka_unit_test(test_fluxc_lexer_durations_in_nanoseconds),
        cmocka_unit_test(test_fluxc_lexer_rates_per_second),
        cmocka_unit_test(test_fluxc_lexer_percentages),
        cmocka_unit_test(test_fluxc_lexer_string_escapes_are_decoded),
        cmocka_unit_test(test_fluxc_lexer_header_name_only_after_include),
        cmocka_unit_test(test_fluxc_lexer_comments_are_skipped),
        cmocka_unit_test(test_fluxc_lexer_token_descriptions),
        cmocka_unit_test(test_fluxc_lexer_error_bad_character),
        cmocka_unit_test(test_fluxc_lexer_error_hints),
        cmocka_unit_test(test_fluxc_lexer_error_strings),
        cmocka_unit_test(test_fluxc_lexer_error_unterminated_comment),
        cmocka_unit_test(test_fluxc_lexer_error_numbers),
        cmocka_unit_test(test_fluxc_lexer_error_header_names),
        cmocka_unit_test(test_fluxc_lexer_error_counts_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
