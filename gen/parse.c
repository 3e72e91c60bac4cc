/* parse.c — drives the re2c lexer into the lemon parser, and words syntax
 * errors as "expected X, found Y". */
#include <stdlib.h>
#include <string.h>

#include "fluxc.h"
#include "fx_parse.h"

/* lemon's interface (it writes no prototypes into fx_parse.h) */
void *fxParseAlloc(void *(*alloc)(size_t), ParseState *ps);
void  fxParse(void *parser, int kind, Token tok);
void  fxParseFree(void *parser, void (*dealloc)(void *));

void fx_parse_report(ParseState *ps, const Token *found, const int *expected, size_t nexpected);
void fx_parse_overflow(ParseState *ps);

static bool has(const int *set, size_t n, int kind)
{
    for (size_t i = 0; i < n; i++)
        if (set[i] == kind)
            return true;
    return false;
}

/* What the parser wanted, in words. */
static void describe_expected(Buf *b, const int *expected, size_t n)
{
    if (has(expected, n, FX_TK_STAGE) && has(expected, n, FX_TK_PIPELINE)) {
        buf_puts(b, "a declaration");
        return;
    }
    if (has(expected, n, FX_TK_INT) && has(expected, n, FX_TK_IDENT) && has(expected, n, FX_TK_LPAREN)) {
        buf_puts(b, "an expression");
        return;
    }
    if (n == 2 && has(expected, n, FX_TK_IDENT) && has(expected, n, FX_TK_LBRACKET)) {
        buf_puts(b, "a type");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            buf_puts(b, i + 1 == n ? " or " : ", ");
        buf_puts(b, token_kind_name(expected[i]));
    }
}

/* The parser's state plus what only the driver needs: ParseState comes
 * first, so the ParseState * lemon hands back is also a ParseDriver *. */
typedef struct ParseDriver {
    ParseState ps;
    Loc prev;          /* the token before the one being parsed */
    bool have_prev;
    Loc cur;           /* the token being parsed */
} ParseDriver;

/* Just past the end of a token, as a one-column span. */
static Loc loc_after(Loc l)
{
    Loc a = l;
    a.p = l.p + l.len;
    a.col = l.col + (int)l.len;
    a.len = 1;
    for (const char *p = l.p; p < l.p + l.len; p++)
        if (*p == '\n')
            return l;   /* a span over several lines: stay at its start */
    return a;
}

void fx_parse_report(ParseState *ps, const Token *found, const int *expected, size_t nexpected)
{
    if (found->kind == FX_TK_ERROR)
        return;   /* the lexer has said what is wrong */
    const ParseDriver *pd = (const ParseDriver *)ps;
    Buf b;
    buf_init(&b);
    describe_expected(&b, expected, nexpected);
    Loc at = found->kind == 0 ? ps->eof_loc : found->loc;
    /* A missing ';' at the end of a line belongs to that line, not to the
     * first token of the next declaration (as in C compilers). */
    if (found->kind != 0 && pd->have_prev && has(expected, nexpected, FX_TK_SEMI) && found->loc.line > pd->prev.line)
        at = loc_after(pd->prev);
    if (nexpected == 0)
        diag_error(ps->c, at, "unexpected %s", token_describe(ps->c, found));
    else
        diag_error(ps->c, at, "expected %s, found %s", b.data, token_describe(ps->c, found));
    buf_free(&b);
}

/* The parser's stack is full: report where the nesting got too deep. */
void fx_parse_overflow(ParseState *ps)
{
    const ParseDriver *pd = (const ParseDriver *)ps;
    diag_error(ps->c, pd->cur.src ? pd->cur : ps->eof_loc, "expression is nested too deeply");
}

/* Just past the last visible character: where "found end of file" points. */
static Loc eof_loc(const Source *src)
{
    const char *text = src->text;
    size_t n = src->len;
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' ' || text[n - 1] == '\t'))
        n--;
    Loc l;
    l.src = src;
    l.p = text + n;
    l.line = 1;
    const char *line_start = text;
    for (size_t i = 0; i < n; i++)
        if (text[i] == '\n') {
            l.line++;
            line_start = text + i + 1;
        }
    l.col = (int)(text + n - line_start) + 1;
    l.len = 1;
    return l;
}

bool parse_source(Compiler *c, const Source *src)
{
    ParseDriver pd;
    memset(&pd, 0, sizeof pd);
    ParseState *ps = &pd.ps;
    ps->c = c;
    ps->module = c->module;
    ps->eof_loc = eof_loc(src);

    Lexer lx;
    lexer_init(&lx, c, src);
    void *parser = fxParseAlloc(malloc, ps);
    if (!parser) {
        diag_plain(c, "out of memory");
        return false;
    }
    int errors_before = c->nerrors;
    for (;;) {
        Token t = lexer_next(&lx);
        if (t.kind == 0)
            t.loc = ps->eof_loc;
        if (t.kind == FX_TK_ERROR) {
            ps->failed = true;
            break;
        }
        pd.cur = t.loc;
        fxParse(parser, t.kind, t);
        if (ps->failed || t.kind == 0)
            break;
        pd.prev = t.loc;
        pd.have_prev = true;
    }
    fxParseFree(parser, free);
    if (!ps->failed && !c->module->has_module && c->nerrors == errors_before) {
        Loc at = eof_loc(src);
        at.p = src->text;
        at.line = 1;
        at.col = 1;
        at.len = 0;
        diag_error(c, at, "missing 'module' declaration (every .fx file starts with 'module NAME;')");
        return false;
    }
    return !ps->failed && c->nerrors == errors_before;
}
