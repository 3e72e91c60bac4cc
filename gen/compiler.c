/* compiler.c — a compilation: the source, its AST, and what sema builds. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fluxc.h"

void intern_free(struct InternTable *t);
void types_free(struct TypeTable *t);
void sema_free(struct SemaState *s);

Compiler *compiler_new(FILE *diag_out)
{
    Compiler *c = xcalloc(1, sizeof *c);
    c->diag_out = diag_out ? diag_out : stderr;
    c->module = xcalloc(1, sizeof *c->module);
    return c;
}

void compiler_free(Compiler *c)
{
    if (!c)
        return;
    module_free(c->module);
    sema_free(c->sema);
    types_free(c->types);
    intern_free(c->strings);
    if (c->src) {
        free(c->src->text);
        free((char *)c->src->path);
        free(c->src);
    }
    free(c);
}

void compiler_load_text(Compiler *c, const char *path, const char *text, size_t len)
{
    Source *s = xcalloc(1, sizeof *s);
    s->path = xstrdup(path);
    s->text = xmalloc(len + 1);
    memcpy(s->text, text, len);
    s->text[len] = '\0';
    s->len = len;
    c->src = s;
}

bool compiler_load(Compiler *c, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        diag_plain(c, "cannot open '%s': %s", path, strerror(errno));
        return false;
    }
    Buf b;
    buf_init(&b);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_putn(&b, chunk, n);
    bool failed = ferror(f);
    fclose(f);
    if (failed) {
        buf_free(&b);
        diag_plain(c, "cannot read '%s'", path);
        return false;
    }
    compiler_load_text(c, path, b.data, b.len);
    buf_free(&b);
    return true;
}

bool compiler_check(Compiler *c)
{
    if (!c->src)
        return false;
    if (!parse_source(c, c->src))
        return false;
    return sema_check(c);
}
