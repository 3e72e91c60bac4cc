/* ast.c — AST constructors and destructors.
 *
 * Every node is malloc'd and owned by its parent; the Module owns its
 * declarations. The destructors are what lemon's %destructor calls after a
 * syntax error, so each one accepts NULL. Names and strings are interned
 * (owned by the Compiler) and never freed here. Sema's annotations (types,
 * `parts`) point at shared data: only `parts` arrays are owned by the node.
 */
#include <stdlib.h>
#include <string.h>

#include "fluxc.h"

TypeExpr *te_name(Loc loc, const char *name)
{
    TypeExpr *t = xcalloc(1, sizeof *t);
    t->kind = TE_NAME;
    t->loc = loc;
    t->name = name;
    return t;
}

TypeExpr *te_slice(Loc loc, TypeExpr *elem)
{
    TypeExpr *t = xcalloc(1, sizeof *t);
    t->kind = TE_SLICE;
    t->loc = loc;
    t->elem = elem;
    return t;
}

TypeExpr *te_generic(Loc loc, const char *name, TypeExpr **args, size_t nargs)
{
    TypeExpr *t = xcalloc(1, sizeof *t);
    t->kind = TE_GENERIC;
    t->loc = loc;
    t->name = name;
    t->args = args;
    t->nargs = nargs;
    return t;
}

void te_free(TypeExpr *t)
{
    if (!t)
        return;
    te_free(t->elem);
    for (size_t i = 0; i < t->nargs; i++)
        te_free(t->args[i]);
    free(t->args);
    free(t);
}

Expr *ex_new(ExprKind kind, Loc loc)
{
    Expr *e = xcalloc(1, sizeof *e);
    e->kind = kind;
    e->loc = loc;
    return e;
}

void args_free(Arg *args, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ex_free(args[i].value);
    free(args);
}

void ex_free(Expr *e)
{
    /* a loop down lhs: `a |> b |> …` nests to the left as deep as it is long */
    while (e) {
        Expr *lhs = e->lhs;
        ex_free(e->rhs);
        args_free(e->args, e->nargs);
        free(e->parts);
        free(e);
        e = lhs;
    }
}

void steps_free(Step *s, size_t n)
{
    if (!s)
        return;
    for (size_t i = 0; i < n; i++) {
        ex_free(s[i].expr);
        args_free(s[i].opts, s[i].nopts);
    }
}

void decl_free(Decl *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->nfields; i++)
        te_free(d->fields[i].type);
    free(d->fields);
    te_free(d->in);
    te_free(d->out);
    ex_free(d->body);
    args_free(d->opts, d->nopts);
    steps_free(d->steps, d->nsteps);
    free(d->steps);
    free(d);
}

void module_free(Module *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->ndecls; i++)
        decl_free(m->decls[i]);
    free(m->decls);
    free(m);
}

/* ---------------------------------------------------------------- lists */

#define LIST_IMPL(Name, Type, Elem, free_elem)                          \
    Type *Name##_new(void) { return xcalloc(1, sizeof(Type)); }         \
    void Name##_push(Type *l, Elem x)                                   \
    {                                                                   \
        if (l->len == l->cap) {                                         \
            l->cap = l->cap ? l->cap * 2 : 4;                           \
            l->items = xrealloc(l->items, l->cap * sizeof *l->items);   \
        }                                                               \
        l->items[l->len++] = x;                                         \
    }                                                                   \
    void Name##_free(Type *l)                                           \
    {                                                                   \
        if (!l)                                                         \
            return;                                                     \
        for (size_t i = 0; i < l->len; i++)                             \
            free_elem(&l->items[i]);                                    \
        free(l->items);                                                 \
        free(l);                                                        \
    }

static void free_arg(Arg *a) { ex_free(a->value); }
static void free_field(Field *f) { te_free(f->type); }
static void free_type(TypeExpr **t) { te_free(*t); }
static void free_step(Step *s) { steps_free(s, 1); }

LIST_IMPL(arglist, ArgList, Arg, free_arg)
LIST_IMPL(fieldlist, FieldList, Field, free_field)
LIST_IMPL(typelist, TypeList, TypeExpr *, free_type)
LIST_IMPL(steplist, StepList, Step, free_step)
