/* diag.c — every diagnostic fluxc prints goes through diag_v().
 *
 *   orders.fx:12:18: error: 'total' expects Order but ... produces Enriched
 *       pipeline process(str) -> Receipt = parse |> enrich |> total;
 *                                                          ^~~~~
 */
#include <string.h>

#include "fluxc.h"

static bool is_utf8_continuation(char ch)
{
    return ((unsigned char)ch & 0xC0) == 0x80;
}

static void print_source_line(FILE *out, Loc loc)
{
    const char *text = loc.src->text;
    const char *end_of_text = text + loc.src->len;
    const char *start = loc.p;
    while (start > text && start[-1] != '\n')
        start--;
    const char *end = loc.p;
    while (end < end_of_text && *end != '\n')
        end++;

    fputs("    ", out);
    for (const char *p = start; p < end; p++)
        fputc(*p == '\t' ? ' ' : (*p == '\r' ? ' ' : *p), out);
    fputc('\n', out);

    /* One mark per character, not per byte, so that the caret stays under
     * its token after UTF-8 text (in a comment or a string). */
    fputs("    ", out);
    for (const char *p = start; p < loc.p; p++)
        if (!is_utf8_continuation(*p))
            fputc(' ', out);
    fputc('^', out);
    /* underline the span, up to the end of its first line */
    for (const char *p = loc.p + 1; p < loc.p + loc.len && p < end; p++)
        if (!is_utf8_continuation(*p))
            fputc('~', out);
    fputc('\n', out);
}

void diag_v(Compiler *c, DiagLevel level, Loc loc, const char *fmt, va_list ap)
{
    if (level == DIAG_ERROR) {
        c->nerrors++;
        if (c->nerrors > DIAG_MAX_ERRORS) {
            if (c->nerrors == DIAG_MAX_ERRORS + 1)
                fprintf(c->diag_out, "fluxc: too many errors, stopping\n");
            c->in_error = false;
            return;
        }
        c->in_error = true;
    } else if (!c->in_error) {
        return;   /* a note of an error that was not printed */
    }
    if (loc.src)
        fprintf(c->diag_out, "%s:%d:%d: ", loc.src->path, loc.line, loc.col);
    else
        fputs("fluxc: ", c->diag_out);
    fputs(level == DIAG_ERROR ? "error: " : "note: ", c->diag_out);
    vfprintf(c->diag_out, fmt, ap);
    fputc('\n', c->diag_out);
    if (loc.src && loc.p)
        print_source_line(c->diag_out, loc);
}

void diag(Compiler *c, DiagLevel level, Loc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_v(c, level, loc, fmt, ap);
    va_end(ap);
}

void diag_error(Compiler *c, Loc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_v(c, DIAG_ERROR, loc, fmt, ap);
    va_end(ap);
}

void diag_note(Compiler *c, Loc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_v(c, DIAG_NOTE, loc, fmt, ap);
    va_end(ap);
}

void diag_plain(Compiler *c, const char *fmt, ...)
{
    va_list ap;
    Loc none;
    memset(&none, 0, sizeof none);
    va_start(ap, fmt);
    diag_v(c, DIAG_ERROR, none, fmt, ap);
    va_end(ap);
}

int diag_errors(const Compiler *c)
{
    return c->nerrors;
}
