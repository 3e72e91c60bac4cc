/*
 * emit_deps.c — `fluxc --emit=deps` and `-MD`: one make rule saying that
 * the generated header and source depend on the .fx file.
 *
 *   DIR/M.h DIR/M.c: FILE.fx
 *
 * DIR is left out when it is NULL, empty or ".". Paths are escaped for make
 * (spaces, '#', '$').
 */
#include <string.h>

#include "backend.h"
#include "fluxc.h"

static void put_make_path(Buf *out, const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p == ' ' || *p == '#')
            buf_putc(out, '\\');
        if (*p == '$')
            buf_putc(out, '$');
        buf_putc(out, *p);
    }
}

static void put_target(Buf *out, const char *dir, const char *module, const char *ext)
{
    if (dir != NULL && *dir != '\0' && strcmp(dir, ".") != 0) {
        put_make_path(out, dir);
        if (dir[strlen(dir) - 1] != '/')
            buf_putc(out, '/');
    }
    put_make_path(out, module);
    buf_puts(out, ext);
}

void emit_deps(Compiler *c, const Options *o, const char *target_dir, Buf *out)
{
    const char *module = c->module != NULL && c->module->name != NULL ? c->module->name : "module";
    const char *input = c->src != NULL && c->src->path != NULL ? c->src->path
                      : o != NULL && o->input != NULL ? o->input : "input.fx";
    put_target(out, target_dir, module, ".h");
    buf_putc(out, ' ');
    put_target(out, target_dir, module, ".c");
    buf_puts(out, ": ");
    put_make_path(out, input);
    buf_putc(out, '\n');
}
