/*
 * fx_lex.re — the .fx lexer (re2c 3.0).
 *
 * One call to lexer_next() returns one token with its location. Keywords are
 * listed before the identifier rule; everything not in the language is a
 * lexical error, reported here with its location, and returned as
 * FX_TK_ERROR so that the parser stops. Strings, block comments and numeric
 * suffixes are finished in C, where the error messages can be precise.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fluxc.h"
#include "fx_parse.h"

void lexer_init(Lexer *lx, Compiler *c, const Source *src)
{
    memset(lx, 0, sizeof *lx);
    lx->c = c;
    lx->src = src;
    lx->cur = (const unsigned char *)src->text;
    lx->lim = lx->cur + src->len;
    lx->line_start = lx->cur;
    lx->line = 1;
}

static Loc loc_here(const Lexer *lx, const unsigned char *start, const unsigned char *end)
{
    Loc l;
    l.src = lx->src;
    l.p = (const char *)start;
    l.line = lx->line;
    l.col = (int)(start - lx->line_start) + 1;
    l.len = (unsigned)(end - start);
    return l;
}

static Token make(Lexer *lx, int kind)
{
    Token t;
    memset(&t, 0, sizeof t);
    t.kind = kind;
    t.loc = loc_here(lx, lx->tok, lx->cur);
    return t;
}

static Token lex_error(Lexer *lx, Loc at, const char *fmt, ...) FXC_PRINTF(3, 4);
static Token lex_error(Lexer *lx, Loc at, const char *fmt, ...)
{
    Token t;
    va_list ap;
    va_start(ap, fmt);
    diag_v(lx->c, DIAG_ERROR, at, fmt, ap);
    va_end(ap);
    memset(&t, 0, sizeof t);
    t.kind = FX_TK_ERROR;
    t.loc = at;
    return t;
}

/* A byte as it should appear in a message: 'x' or '\xHH'. */
static const char *describe_byte(Lexer *lx, unsigned char ch)
{
    char tmp[16];
    if (ch == '\'' || ch == '\\')
        snprintf(tmp, sizeof tmp, "'\\%c'", ch);
    else if (ch >= 0x20 && ch < 0x7f)
        snprintf(tmp, sizeof tmp, "'%c'", ch);
    else
        snprintf(tmp, sizeof tmp, "'\\x%02X'", ch);
    return intern_cstr(lx->c, tmp);
}

/* The length of the well-formed UTF-8 sequence at p (2 to 4), or 0. */
static size_t utf8_len(const unsigned char *p, const unsigned char *lim, uint32_t *cp)
{
    size_t n;
    uint32_t v;
    if (p[0] >= 0xC2 && p[0] <= 0xDF) n = 2, v = p[0] & 0x1F;
    else if (p[0] >= 0xE0 && p[0] <= 0xEF) n = 3, v = p[0] & 0x0F;
    else if (p[0] >= 0xF0 && p[0] <= 0xF4) n = 4, v = p[0] & 0x07;
    else return 0;
    if ((size_t)(lim - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (p[i] & 0x3F);
    }
    if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10FFFF)) || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

/* A character that starts no token: say which one, as a C programmer
 * would want to see it (a UTF-8 character as U+XXXX, and a hint for the
 * usual suspects). */
static Token lex_bad_char(Lexer *lx)
{
    const unsigned char *p = lx->tok;
    uint32_t cp = 0;
    size_t n = utf8_len(p, lx->lim, &cp);
    if (n > 0) {
        lx->cur = p + n;
        return lex_error(lx, loc_here(lx, p, lx->cur), "unexpected character U+%04X in input", (unsigned)cp);
    }
    if (*p == '-' && p + 1 < lx->lim && p[1] >= '0' && p[1] <= '9')
        return lex_error(lx, loc_here(lx, p, lx->cur), "unexpected character '-' in input (numbers cannot be negative)");
    if (*p == '\'' )
        return lex_error(lx, loc_here(lx, p, lx->cur), "unexpected character %s in input (strings use double quotes)",
                         describe_byte(lx, *p));
    return lex_error(lx, loc_here(lx, p, lx->cur), "unexpected character %s in input", describe_byte(lx, *p));
}

static int hexval(unsigned char ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* Finishes a string literal whose opening quote is at lx->tok. */
static Token lex_string(Lexer *lx)
{
    Buf val;
    buf_init(&val);
    for (;;) {
        const unsigned char *p = lx->cur;
        if (p >= lx->lim || *p == '\n') {
            buf_free(&val);
            return lex_error(lx, loc_here(lx, lx->tok, lx->tok + 1), "unterminated string literal");
        }
        if (*p == '"') {
            lx->cur = p + 1;
            break;
        }
        if (*p != '\\') {
            buf_putc(&val, (char)*p);
            lx->cur = p + 1;
            continue;
        }
        /* an escape */
        if (p + 1 >= lx->lim || p[1] == '\n') {
            buf_free(&val);
            return lex_error(lx, loc_here(lx, lx->tok, lx->tok + 1), "unterminated string literal");
        }
        switch (p[1]) {
        case 'n': buf_putc(&val, '\n'); lx->cur = p + 2; continue;
        case 't': buf_putc(&val, '\t'); lx->cur = p + 2; continue;
        case 'r': buf_putc(&val, '\r'); lx->cur = p + 2; continue;
        case '0': buf_putc(&val, '\0'); lx->cur = p + 2; continue;
        case '"': buf_putc(&val, '"'); lx->cur = p + 2; continue;
        case '\\': buf_putc(&val, '\\'); lx->cur = p + 2; continue;
        case 'x':
            if (p + 3 < lx->lim && hexval(p[2]) >= 0 && hexval(p[3]) >= 0) {
                buf_putc(&val, (char)(hexval(p[2]) * 16 + hexval(p[3])));
                lx->cur = p + 4;
                continue;
            }
            buf_free(&val);
            return lex_error(lx, loc_here(lx, p, p + 2), "'\\x' needs two hexadecimal digits");
        default: {
            char esc[8];
            buf_free(&val);
            if (p[1] >= 0x20 && p[1] < 0x7f)
                snprintf(esc, sizeof esc, "\\%c", p[1]);
            else
                snprintf(esc, sizeof esc, "\\x%02X", p[1]);
            return lex_error(lx, loc_here(lx, p, p + 2), "invalid escape sequence '%s' in string", esc);
        }
        }
    }
    Token t = make(lx, FX_TK_STRING);
    t.lit = LIT_STRING;
    /* A string may hold \0: keep the bytes up to the first NUL as its C value. */
    t.text = intern(lx->c, val.data, val.len);
    buf_free(&val);
    return t;
}

/* Skips a block comment whose opener is at lx->tok. false if unterminated. */
static bool skip_block_comment(Lexer *lx)
{
    const unsigned char *p = lx->cur;
    const unsigned char *line_start = lx->line_start;
    int line = lx->line;
    while (p + 1 < lx->lim) {
        if (p[0] == '*' && p[1] == '/') {
            lx->cur = p + 2;
            lx->line = line;
            lx->line_start = line_start;
            return true;
        }
        if (*p == '\n') {
            line++;
            line_start = p + 1;
        }
        p++;
    }
    /* unterminated: keep the position of the opener for the message */
    return false;
}

/* After `include`, `<path>` is one header-name token. */
static Token lex_header(Lexer *lx)
{
    const unsigned char *p = lx->cur;
    while (p < lx->lim && *p != '>' && *p != '\n' && *p != ';')
        p++;
    if (p >= lx->lim || *p != '>')
        return lex_error(lx, loc_here(lx, lx->tok, lx->tok + 1), "unterminated header name after 'include'");
    lx->cur = p + 1;
    Token t = make(lx, FX_TK_HEADER);
    t.text = intern(lx->c, (const char *)lx->tok + 1, (size_t)(p - lx->tok - 1));
    if (t.text[0] == '\0')
        return lex_error(lx, t.loc, "empty header name");
    return t;
}

/* Digits with '_' separators into a clean buffer. */
static void strip_underscores(const unsigned char *s, const unsigned char *e, char *out, size_t cap)
{
    size_t n = 0;
    for (; s < e && n + 1 < cap; s++)
        if (*s != '_')
            out[n++] = (char)*s;
    out[n] = '\0';
}

/* A number [num] with an optional suffix starting at `suffix` (may equal end). */
static Token lex_number(Lexer *lx, const unsigned char *suffix)
{
    char digits[128];
    const unsigned char *s = lx->tok;
    bool is_float = memchr(s, '.', (size_t)(suffix - s)) != NULL;
    if (suffix - s >= (long)sizeof digits)
        return lex_error(lx, loc_here(lx, s, suffix), "numeric literal is too long");
    strip_underscores(s, suffix, digits, sizeof digits);

    size_t slen = (size_t)(lx->cur - suffix);
    char sfx[8] = "";
    if (slen > 0 && slen < sizeof sfx)
        memcpy(sfx, suffix, slen), sfx[slen] = '\0';

    double fv = strtod(digits, NULL);
    int64_t iv = 0;
    if (!is_float) {
        errno = 0;
        unsigned long long u = strtoull(digits, NULL, 10);
        if (errno == ERANGE || u > (unsigned long long)INT64_MAX)
            return lex_error(lx, loc_here(lx, s, suffix), "integer literal '%s' is too large", digits);
        iv = (int64_t)u;
    }

    if (slen == 0) {
        Token t = make(lx, is_float ? FX_TK_FLOAT : FX_TK_INT);
        t.lit = is_float ? LIT_FLOAT : LIT_INT;
        t.ival = iv;
        t.fval = is_float ? fv : (double)iv;
        return t;
    }
    if (sfx[0] == '%' && slen == 1) {
        Token t = make(lx, FX_TK_PERCENT);
        t.lit = LIT_PERCENT;
        t.fval = fv;
        return t;
    }
    if (sfx[0] == '/') {
        double per = 0;
        if (strcmp(sfx, "/s") == 0) per = 1;
        else if (strcmp(sfx, "/m") == 0) per = 60;
        else if (strcmp(sfx, "/h") == 0) per = 3600;
        else
            return lex_error(lx, loc_here(lx, suffix, lx->cur),
                             "invalid rate unit '%s' (use /s, /m or /h)", intern(lx->c, (const char *)suffix, slen));
        Token t = make(lx, FX_TK_RATE);
        t.lit = LIT_RATE;
        t.fval = fv / per;
        return t;
    }
    static const struct { const char *name; double ns; } units[] = {
        {"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(sfx, units[i].name) != 0)
            continue;
        double ns = fv * units[i].ns;
        if (ns >= 9.2e18)
            return lex_error(lx, loc_here(lx, s, lx->cur), "duration '%s' is too long",
                             intern(lx->c, (const char *)s, (size_t)(lx->cur - s)));
        Token t = make(lx, FX_TK_DURATION);
        t.lit = LIT_DURATION;
        t.ival = is_float ? (int64_t)llround(ns) : iv * (int64_t)units[i].ns;
        t.fval = ns;
        return t;
    }
    return lex_error(lx, loc_here(lx, suffix, lx->cur),
                     "invalid suffix '%s' on number (durations use ns, us, ms, s, m or h)",
                     intern(lx->c, (const char *)suffix, slen));
}

static Token lex_ident(Lexer *lx, int kind)
{
    Token t = make(lx, kind);
    t.text = intern(lx->c, (const char *)lx->tok, (size_t)(lx->cur - lx->tok));
    return t;
}

/*!re2c
    re2c:define:YYCTYPE  = "unsigned char";
    re2c:define:YYCURSOR = "lx->cur";
    re2c:define:YYMARKER = "lx->mark";
    re2c:define:YYLIMIT  = "lx->lim";
    re2c:yyfill:enable   = 0;
    re2c:eof             = 0;
    re2c:flags:tags      = 1;

    digits  = [0-9]+ ("_" [0-9]+)*;
    num     = digits ("." digits)?;
    ident   = [A-Za-z_][A-Za-z0-9_]*;
*/

static Token next_token(Lexer *lx)
{
    const unsigned char *sfx;
    /*!stags:re2c format = "const unsigned char *@@ = NULL;\n"; */
    for (;;) {
        lx->tok = lx->cur;
        if (lx->prev_kind == FX_TK_INCLUDE) {
            /* header names are lexed only right after `include` */
            const unsigned char *p = lx->cur;
            while (p < lx->lim && (*p == ' ' || *p == '\t'))
                p++;
            if (p < lx->lim && *p == '<') {
                lx->tok = p;
                lx->cur = p + 1;
                return lex_header(lx);
            }
        }
    /*!re2c
        $                { Token t = make(lx, 0); return t; }
        [ \t\r\f\v]+     { continue; }
        "\n"             { lx->line++; lx->line_start = lx->cur; continue; }
        "//" [^\n\x00]*  { continue; }
        "/*"             { if (skip_block_comment(lx)) continue;
                           return lex_error(lx, loc_here(lx, lx->tok, lx->tok + 2), "unterminated comment"); }

        "module"   { return make(lx, FX_TK_MODULE); }
        "include"  { return make(lx, FX_TK_INCLUDE); }
        "extern"   { return make(lx, FX_TK_EXTERN); }
        "type"     { return make(lx, FX_TK_TYPE); }
        "struct"   { return make(lx, FX_TK_STRUCT); }
        "stage"    { return make(lx, FX_TK_STAGE); }
        "pipeline" { return make(lx, FX_TK_PIPELINE); }
        "stream"   { return make(lx, FX_TK_STREAM); }
        "pool"     { return make(lx, FX_TK_POOL); }
        "with"     { return make(lx, FX_TK_WITH); }
        "as"       { return make(lx, FX_TK_AS); }
        "true"     { return make(lx, FX_TK_TRUE); }
        "false"    { return make(lx, FX_TK_FALSE); }

        ident      { return lex_ident(lx, FX_TK_IDENT); }

        num @sfx ([A-Za-z][A-Za-z0-9_]* | "%" | "/" [A-Za-z_][A-Za-z0-9_]*)?
                   { return lex_number(lx, sfx); }

        "\""       { return lex_string(lx); }

        "->"  { return make(lx, FX_TK_ARROW); }
        "|>"  { return make(lx, FX_TK_PIPE); }
        ";"   { return make(lx, FX_TK_SEMI); }
        ":"   { return make(lx, FX_TK_COLON); }
        ","   { return make(lx, FX_TK_COMMA); }
        "("   { return make(lx, FX_TK_LPAREN); }
        ")"   { return make(lx, FX_TK_RPAREN); }
        "{"   { return make(lx, FX_TK_LBRACE); }
        "}"   { return make(lx, FX_TK_RBRACE); }
        "["   { return make(lx, FX_TK_LBRACKET); }
        "]"   { return make(lx, FX_TK_RBRACKET); }
        "<"   { return make(lx, FX_TK_LT); }
        ">"   { return make(lx, FX_TK_GT); }
        "="   { return make(lx, FX_TK_EQ); }

        *     { return lex_bad_char(lx); }
    */
    }
}

Token lexer_next(Lexer *lx)
{
    Token t = next_token(lx);
    if (t.kind == 0) {
        /* end of input: point just past the last character */
        t.loc.len = 1;
    }
    lx->prev_kind = t.kind;
    return t;
}

const char *token_kind_name(int kind)
{
    switch (kind) {
    case 0: return "end of file";
    case FX_TK_MODULE: return "'module'";
    case FX_TK_INCLUDE: return "'include'";
    case FX_TK_EXTERN: return "'extern'";
    case FX_TK_TYPE: return "'type'";
    case FX_TK_STRUCT: return "'struct'";
    case FX_TK_STAGE: return "'stage'";
    case FX_TK_PIPELINE: return "'pipeline'";
    case FX_TK_STREAM: return "'stream'";
    case FX_TK_POOL: return "'pool'";
    case FX_TK_WITH: return "'with'";
    case FX_TK_AS: return "'as'";
    case FX_TK_TRUE: return "'true'";
    case FX_TK_FALSE: return "'false'";
    case FX_TK_IDENT: return "identifier";
    case FX_TK_INT: return "integer";
    case FX_TK_FLOAT: return "number";
    case FX_TK_DURATION: return "duration";
    case FX_TK_RATE: return "rate";
    case FX_TK_PERCENT: return "percentage";
    case FX_TK_STRING: return "string";
    case FX_TK_HEADER: return "header name";
    case FX_TK_ARROW: return "'->'";
    case FX_TK_PIPE: return "'|>'";
    case FX_TK_SEMI: return "';'";
    case FX_TK_COLON: return "':'";
    case FX_TK_COMMA: return "','";
    case FX_TK_LPAREN: return "'('";
    case FX_TK_RPAREN: return "')'";
    case FX_TK_LBRACE: return "'{'";
    case FX_TK_RBRACE: return "'}'";
    case FX_TK_LBRACKET: return "'['";
    case FX_TK_RBRACKET: return "']'";
    case FX_TK_LT: return "'<'";
    case FX_TK_GT: return "'>'";
    case FX_TK_EQ: return "'='";
    case FX_TK_ERROR: return "invalid token";
    default: return "token";
    }
}

const char *token_describe(Compiler *c, const Token *t)
{
    char tmp[160];
    switch (t->kind) {
    case FX_TK_IDENT:
        snprintf(tmp, sizeof tmp, "identifier '%.100s'", t->text);
        return intern_cstr(c, tmp);
    case FX_TK_INT: case FX_TK_FLOAT: case FX_TK_DURATION: case FX_TK_RATE: case FX_TK_PERCENT:
        snprintf(tmp, sizeof tmp, "%s '%.*s'", token_kind_name(t->kind), (int)(t->loc.len > 60 ? 60 : t->loc.len), t->loc.p);
        return intern_cstr(c, tmp);
    case FX_TK_STRING:
        snprintf(tmp, sizeof tmp, "string %.*s", (int)(t->loc.len > 60 ? 60 : t->loc.len), t->loc.p);
        return intern_cstr(c, tmp);
    default:
        return token_kind_name(t->kind);
    }
}
