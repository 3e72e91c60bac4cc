/*
 * emit_stubs.c — `fluxc --emit=stubs`: a skeleton .c with every C function
 * the module needs (stage functions and option functions), each with the
 * exact prototype the generated header declares, a TODO and a body that
 * compiles warning-free, so `fluxc --emit=stubs x.fx > x_stages.c` builds
 * and links with the generated code straight away.
 */
#include "backend.h"
#include "fluxc.h"

bool emit_stubs(Compiler *c, Buf *out)
{
    if (c->module == NULL || c->module->name == NULL)
        return false;
    const char *path = c->src != NULL && c->src->path != NULL ? c->src->path : "input.fx";
    const char *header = intern_cstr(c, c->module->name);
    Buf h;
    buf_init(&h);
    buf_printf(&h, "%s.h", header);
    const char *kv[] = {"MODULE", c->module->name, "FILE", base_name(path), "VERSION", FLUXC_VERSION,
                        "HEADER", h.data, NULL};
    template_render(out, "stubs_begin.c.in", kv);
    buf_free(&h);

    Vec funcs = {0};
    user_funcs(c, &funcs);
    for (size_t i = 0; i < funcs.len; i++) {
        const UserFunc *f = funcs.items[i];
        buf_printf(out, "\n/* %s  (%s:%d) */\n%s\n{\n%s}\n", f->what, base_name(path), f->loc.line,
                   f->proto, f->stub_body);
    }
    if (funcs.len == 0)
        buf_puts(out, "\n/* This module needs no C functions. */\n");
    user_funcs_free(&funcs);
    return true;
}
