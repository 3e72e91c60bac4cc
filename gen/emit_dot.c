/*
 * emit_dot.c — `fluxc --emit=dot`: a Graphviz picture of every pipeline.
 *
 * One `subgraph cluster_P` per pipeline, labelled "P: In -> Out", with an
 * input and an output node. A stage is a box (its name and C function); a
 * combinator is an ellipse, or a diamond where it splits the item over
 * several parts (fanout, parallel, router); a nested pipeline is a cluster
 * of its own. Every edge carries the fx type of the items flowing along it.
 * Node names are "P.K" in a fixed walk order, so the output is deterministic.
 */
#include <string.h>

#include "backend.h"
#include "fluxc.h"

typedef struct Dot {
    Compiler *c;
    Buf *out;
    const char *pipe;    /* node name prefix */
    int next;            /* next node number in this pipeline */
} Dot;

/* Appends s inside a dot "..." string. */
static void put_escaped(Buf *b, const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p == '"' || *p == '\\')
            buf_putc(b, '\\');
        if (*p == '\n')
            buf_puts(b, "\\n");
        else
            buf_putc(b, *p);
    }
}

static void indent(Dot *d, int depth)
{
    for (int i = 0; i < depth; i++)
        buf_puts(d->out, "    ");
}

/* Declares a node; returns its number. `label` lines are joined by '\n'. */
static int node(Dot *d, int depth, const char *shape, const char *label)
{
    int id = d->next++;
    indent(d, depth);
    buf_printf(d->out, "\"%s.%d\" [shape=%s, label=\"", d->pipe, id, shape);
    put_escaped(d->out, label);
    buf_puts(d->out, "\"];\n");
    return id;
}

static void edge(Dot *d, int depth, int from, int to, const Type *t, const char *style)
{
    indent(d, depth);
    buf_printf(d->out, "\"%s.%d\" -> \"%s.%d\" [label=\"", d->pipe, from, d->pipe, to);
    if (t != NULL)
        put_escaped(d->out, t->fx_name);
    buf_puts(d->out, "\"");
    if (style != NULL)
        buf_printf(d->out, ", style=%s", style);
    buf_puts(d->out, "];\n");
}

/* A combinator's label: its name, its `as`/name: label, then its options. */
static const char *comb_label(Dot *d, const Expr *e)
{
    Buf b;
    buf_init(&b);
    buf_puts(&b, op_name(e->op));
    if (e->label != NULL && strcmp(e->label, op_name(e->op)) != 0)
        buf_printf(&b, " \"%s\"", e->label);
    for (size_t i = 0; i < e->nargs; i++) {
        const Arg *a = &e->args[i];
        if (a->value == NULL)
            continue;
        if (a->name != NULL)
            buf_printf(&b, "\n%s: %s", a->name, loc_text(d->c, a->value->loc));
        else if (a->value->op == OP_NONE)   /* a positional that is not a part: on_error's handler */
            buf_printf(&b, "\n%s", loc_text(d->c, a->value->loc));
    }
    const char *s = intern_cstr(d->c, b.data);
    buf_free(&b);
    return s;
}

typedef struct Ends {
    int entry, exit;
} Ends;

static Ends walk(Dot *d, int depth, const Expr *e);

/* One node that fans the item out to `parts` and one that collects them. */
static Ends split(Dot *d, int depth, const Expr *e, size_t first, const char *join_label)
{
    Ends r;
    r.entry = node(d, depth, "diamond", comb_label(d, e));
    if (first == 1) {   /* router: the selector picks the routes */
        Ends sel = walk(d, depth, e->parts[0]);
        edge(d, depth, r.entry, sel.entry, skip_as(e->parts[0])->in, "dashed");
    }
    r.exit = node(d, depth, "ellipse", join_label);
    for (size_t i = first; i < e->nparts; i++) {
        Ends p = walk(d, depth, e->parts[i]);
        edge(d, depth, r.entry, p.entry, skip_as(e->parts[i])->in, NULL);
        edge(d, depth, p.exit, r.exit, skip_as(e->parts[i])->out, NULL);
    }
    return r;
}

static Ends walk(Dot *d, int depth, const Expr *e)
{
    e = skip_as(e);
    Ends r = {0, 0};
    switch (e->op) {
    case OP_STAGE: {
        Buf b;
        buf_init(&b);
        buf_printf(&b, "%s\n%s()", e->label != NULL ? e->label : e->decl->name,
                   e->decl != NULL && e->decl->cfunc != NULL ? e->decl->cfunc : "?");
        r.entry = r.exit = node(d, depth, "box", b.data);
        buf_free(&b);
        return r;
    }
    case OP_PIPELINE: {
        indent(d, depth);
        buf_printf(d->out, "subgraph \"cluster_%s.%d\" {\n", d->pipe, d->next++);
        indent(d, depth + 1);
        buf_puts(d->out, "label=\"");
        Buf b;
        buf_init(&b);
        buf_printf(&b, "%s: %s -> %s", e->decl->name, e->in->fx_name, e->out->fx_name);
        if (e->label != NULL && strcmp(e->label, e->decl->name) != 0)
            buf_printf(&b, " (as %s)", e->label);
        put_escaped(d->out, b.data);
        buf_free(&b);
        buf_puts(d->out, "\";\n");
        indent(d, depth + 1);
        buf_puts(d->out, "style=rounded;\n");
        r = e->nparts > 0 ? walk(d, depth + 1, e->parts[0]) : r;
        indent(d, depth);
        buf_puts(d->out, "}\n");
        return r;
    }
    case OP_CHAIN:
        for (size_t i = 0; i < e->nparts; i++) {
            Ends p = walk(d, depth, e->parts[i]);
            if (i == 0)
                r.entry = p.entry;
            else
                edge(d, depth, r.exit, p.entry, skip_as(e->parts[i])->in, NULL);
            r.exit = p.exit;
        }
        return r;
    case OP_FANOUT:
        return split(d, depth, e, 0, "collect");
    case OP_PARALLEL:
        return split(d, depth, e, 0, "reduce");
    case OP_ROUTER:
        return split(d, depth, e, 1, "collect");
    case OP_MAPREDUCE: {
        r.entry = node(d, depth, "ellipse", comb_label(d, e));
        if (e->nparts < 2)
            return (Ends){r.entry, r.entry};
        Ends map = walk(d, depth, e->parts[0]);
        edge(d, depth, r.entry, map.entry, skip_as(e->parts[0])->in, NULL);
        int shuffle = node(d, depth, "ellipse", "shuffle");
        edge(d, depth, map.exit, shuffle, skip_as(e->parts[0])->out, NULL);
        Ends reduce = walk(d, depth, e->parts[1]);
        edge(d, depth, shuffle, reduce.entry, skip_as(e->parts[1])->in, NULL);
        r.exit = reduce.exit;
        return r;
    }
    default:
        /* A wrapper (retry, map, on_error, ...): its node, then what it wraps. */
        r.entry = r.exit = node(d, depth, "ellipse", comb_label(d, e));
        if (e->nparts > 0) {
            Ends p = walk(d, depth, e->parts[0]);
            edge(d, depth, r.entry, p.entry, skip_as(e->parts[0])->in, NULL);
            r.exit = p.exit;
        }
        return r;
    }
}

bool emit_dot(Compiler *c, Buf *out)
{
    if (c->module == NULL || c->module->name == NULL)
        return false;
    const Module *m = c->module;
    const char *path = c->src != NULL && c->src->path != NULL ? c->src->path : "input.fx";
    buf_printf(out, "/* Generated by fluxc %s from %s. */\ndigraph \"", FLUXC_VERSION, base_name(path));
    put_escaped(out, m->name);
    buf_puts(out, "\" {\n"
                  "    rankdir=LR;\n"
                  "    node [fontname=\"Helvetica\", fontsize=11];\n"
                  "    edge [fontname=\"Helvetica\", fontsize=9];\n");
    for (size_t i = 0; i < m->ndecls; i++) {
        const Decl *p = m->decls[i];
        if (p->kind != D_PIPELINE || p->body == NULL || p->in_t == NULL || p->out_t == NULL)
            continue;
        Dot d = {c, out, p->name, 0};
        buf_printf(out, "\n    subgraph \"cluster_%s\" {\n        label=\"", p->name);
        Buf b;
        buf_init(&b);
        buf_printf(&b, "%s: %s -> %s", p->name, p->in_t->fx_name, p->out_t->fx_name);
        put_escaped(out, b.data);
        buf_free(&b);
        buf_puts(out, "\";\n");
        int in = node(&d, 2, "plaintext", "in");
        Ends body = walk(&d, 2, p->body);
        int outn = node(&d, 2, "plaintext", "out");
        edge(&d, 2, in, body.entry, p->in_t, NULL);
        edge(&d, 2, body.exit, outn, p->out_t, NULL);
        buf_puts(out, "    }\n");
    }
    buf_puts(out, "}\n");
    return true;
}
