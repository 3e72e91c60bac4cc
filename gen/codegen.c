/*
 * codegen.c — the C back end: MODULE.h and MODULE.c from a checked module.
 *
 * The header declares the module's types, the C functions the user writes
 * and one instance API per pipeline (SPEC §2.2, §2.3, §4). The source holds,
 * per pipeline, the instance struct, a table of its components and one
 * static function per component: M__P_nK, where K numbers the components of
 * P in pre-order (n0 is the pipeline itself). Functions are written callees
 * first, so none needs a prototype, and call each other directly, so the C
 * compiler inlines a chain into straight-line code.
 *
 * Every component function is written by emit_component(): the context
 * check and the observability events come from there alone, as the op's
 * OpGen says (cgen.h); the op's body function writes only what is
 * particular to that combinator. A new combinator is a new table row and
 * body function in its family's file (cg_flow.c, cg_resilience.c,
 * cg_observe.c), nothing else.
 *
 * Fixed text comes from templates/ (template_render); the output is a pure
 * function of the module: no time, no addresses, declaration order.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "cgen.h"
#include "fluxc.h"

static Comp *build_pipeline(Gen *g, const Decl *d);
static void comps_free(Gen *g);
typedef enum Hook { HOOK_MEMBERS, HOOK_INIT, HOOK_FINI, HOOK_ACCESSOR_DECL, HOOK_ACCESSOR_IMPL } Hook;
static const char *run_hooks(Gen *g, Hook which);

/* The libfluxus version the generated code needs. */
#define RUNTIME_MIN_NUMBER "100"
#define RUNTIME_MIN_TEXT "0.1.0"

/* ------------------------------------------------------------ shared helpers (backend.h) */

const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

void put_c_string(Buf *b, const char *s)
{
    buf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': buf_puts(b, "\\\""); break;
        case '\\': buf_puts(b, "\\\\"); break;
        case '\n': buf_puts(b, "\\n"); break;
        case '\t': buf_puts(b, "\\t"); break;
        case '\r': buf_puts(b, "\\r"); break;
        case '?': buf_puts(b, "\\?"); break;   /* no trigraphs */
        default:
            if (*p < ' ' || *p == 127)
                buf_printf(b, "\\%03o", *p);
            else
                buf_putc(b, (char)*p);
        }
    }
    buf_putc(b, '"');
}

const char *c_join(Compiler *c, const char *ctype, const char *name)
{
    size_t n = strlen(ctype);
    Buf b;
    buf_init(&b);
    buf_puts(&b, ctype);
    if (n > 0 && ctype[n - 1] != '*' && ctype[n - 1] != ' ')
        buf_putc(&b, ' ');
    buf_puts(&b, name);
    const char *s = intern_cstr(c, b.data);
    buf_free(&b);
    return s;
}

const char *stage_state_ctype(Compiler *c, const Decl *stage)
{
    if (stage->state == NULL)
        return NULL;
    const Decl *d = sema_lookup(c, stage->state);
    if (d != NULL && (d->kind == D_STRUCT || d->kind == D_EXTERN) && d->type != NULL)
        return d->type->c_name;
    return stage->state;
}

const Expr *skip_as(const Expr *e)
{
    while (e != NULL && e->op == OP_AS && e->nparts > 0)
        e = e->parts[0];
    return e;
}

const char *sprintf_intern(Compiler *c, const char *fmt, ...)
{
    Buf b;
    buf_init(&b);
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    const char *s = intern_cstr(c, b.data);
    buf_free(&b);
    return s;
}

/* "const Order *in", "const char *const *in" */
const char *in_param(Compiler *c, const Type *t, const char *name)
{
    return c_join(c, type_c_const_ptr(c, t), name);
}

/* "Order *out", "const char **out" */
const char *out_param(Compiler *c, const Type *t, const char *name)
{
    return c_join(c, c_join(c, t->c_name, "*"), name);
}

/* ------------------------------------------------------------ the user's C functions */

static const char *stage_proto(Compiler *c, const Decl *d)
{
    const char *state = stage_state_ctype(c, d);
    const char *in = in_param(c, d->in_t, "in");
    const char *out = out_param(c, d->out_t, "out");
    if (state != NULL)
        return sprintf_intern(c, "int %s(fx_ctx *ctx, %s, %s, %s)", d->cfunc,
                              c_join(c, c_join(c, state, "*"), "state"), in, out);
    return sprintf_intern(c, "int %s(fx_ctx *ctx, %s, %s)", d->cfunc, in, out);
}

/* The functions listed so far, and their names for an O(1) "seen?". */
typedef struct FuncSet {
    Vec *out;
    StrMap seen;
} FuncSet;

static void add_func(FuncSet *fs, const char *name, const char *proto, const char *what, Loc loc,
                     const char *stub_body)
{
    if (strmap_get(&fs->seen, name) != NULL)
        return;
    UserFunc *f = xcalloc(1, sizeof *f);
    f->name = name;
    f->proto = proto;
    f->what = what;
    f->loc = loc;
    f->stub_body = stub_body;
    vec_push(fs->out, f);
    strmap_put(&fs->seen, name, f);
}

/* An option naming a C function: `retry_if: is_transient`. */
static const Expr *func_opt(const Expr *e, const char *name)
{
    const Expr *v = expr_opt(e, name);
    return v != NULL && v->kind == EX_REF ? v : NULL;
}

/* The option functions of a pipeline body, in the order they appear. Nested
 * pipelines are not entered: their own declaration lists theirs. */
static void option_funcs(Compiler *c, const Decl *pipe, const Expr *e, FuncSet *fs)
{
    if (e == NULL || e->op == OP_PIPELINE)
        return;
    const char *in_item = e->in != NULL ? in_param(c, e->in, "item") : "const void *item";
    const Expr *f;
    switch (e->op) {
    case OP_ON_ERROR:
        if (e->nargs > 1 && e->args[1].value != NULL && e->args[1].value->kind == EX_REF) {
            f = e->args[1].value;
            add_func(fs, f->name, sprintf_intern(c, "int %s(fx_ctx *ctx, int code)", f->name),
                     sprintf_intern(c, "on_error handler in pipeline %s", pipe->name), f->loc,
                     "    /* TODO: log or translate the error; 0 swallows it */\n"
                     "    (void)ctx;\n"
                     "    return code;\n");
        }
        break;
    case OP_RETRY:
        if ((f = func_opt(e, "retry_if")) != NULL)
            add_func(fs, f->name, sprintf_intern(c, "bool %s(const fx_error *err)", f->name),
                     sprintf_intern(c, "retry_if predicate in pipeline %s", pipe->name), f->loc,
                     "    /* TODO: true when err is worth another try */\n"
                     "    (void)err;\n"
                     "    return true;\n");
        if ((f = func_opt(e, "backoff")) != NULL)
            add_func(fs, f->name, sprintf_intern(c, "int64_t %s(int attempt)", f->name),
                     sprintf_intern(c, "retry backoff in pipeline %s", pipe->name), f->loc,
                     "    /* TODO: nanoseconds to wait after failed try `attempt` (0-based) */\n"
                     "    (void)attempt;\n"
                     "    return 0;\n");
        break;
    case OP_DLQ:
        if ((f = func_opt(e, "handler")) != NULL)
            add_func(fs, f->name,
                     sprintf_intern(c, "int %s(fx_ctx *ctx, %s, const fx_error *err)", f->name, in_item),
                     sprintf_intern(c, "dlq handler in pipeline %s", pipe->name), f->loc,
                     "    /* TODO: hand the failed item over (queue, file, ...) */\n"
                     "    (void)ctx;\n"
                     "    (void)item;\n"
                     "    (void)err;\n"
                     "    return 0;\n");
        if ((f = func_opt(e, "when")) != NULL)
            add_func(fs, f->name, sprintf_intern(c, "bool %s(const fx_error *err)", f->name),
                     sprintf_intern(c, "dlq when predicate in pipeline %s", pipe->name), f->loc,
                     "    /* TODO: true when the failed item goes to the dead-letter handler */\n"
                     "    (void)err;\n"
                     "    return true;\n");
        if ((f = func_opt(e, "on_handler_error")) != NULL)
            add_func(fs, f->name,
                     sprintf_intern(c, "void %s(fx_ctx *ctx, %s, const fx_error *err, int handler_code)",
                                    f->name, in_item),
                     sprintf_intern(c, "dlq on_handler_error in pipeline %s", pipe->name), f->loc,
                     "    /* TODO: report that the dead-letter handler failed with handler_code */\n"
                     "    (void)ctx;\n"
                     "    (void)item;\n"
                     "    (void)err;\n"
                     "    (void)handler_code;\n");
        break;
    default:
        break;
    }
    for (size_t i = 0; i < e->nparts; i++)
        option_funcs(c, pipe, e->parts[i], fs);
}

void user_funcs(Compiler *c, Vec *out)
{
    const Module *m = c->module;
    FuncSet set = {out, {0}};
    FuncSet *fs = &set;
    for (size_t i = 0; i < m->ndecls; i++) {
        const Decl *d = m->decls[i];
        if (d->kind == D_STAGE && d->cfunc != NULL && d->in_t != NULL && d->out_t != NULL) {
            const char *what = d->state != NULL
                ? sprintf_intern(c, "stage %s(%s) -> %s with %s", d->name, d->in_t->fx_name,
                                 d->out_t->fx_name, d->state)
                : sprintf_intern(c, "stage %s(%s) -> %s", d->name, d->in_t->fx_name, d->out_t->fx_name);
            const char *body = sprintf_intern(c,
                "    /* TODO: read *in, write *out; allocate what you hand on with fx_alloc(ctx, ...) */\n"
                "%s"
                "    (void)in;\n"
                "    (void)out;\n"
                "    return fx_fail(ctx, FX_EINVAL, \"TODO: implement %s (stage %s)\");\n",
                d->state != NULL ? "    (void)state;\n" : "", d->cfunc, d->name);
            add_func(fs, d->cfunc, stage_proto(c, d), what, d->loc, body);
        } else if (d->kind == D_PIPELINE) {
            option_funcs(c, d, d->body, fs);
        }
    }
    strmap_free(&set.seen);
}

void user_funcs_free(Vec *v)
{
    for (size_t i = 0; i < v->len; i++)
        free(v->items[i]);
    vec_free(v);
}

/* ------------------------------------------------------------ output with line tracking */


void put(Gen *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(g->out, fmt, ap);
    va_end(ap);
}

static void start_file(Gen *g, Buf *out, const char *name)
{
    g->out = out;
    g->out_name = name;
    g->counted = out->len;
    g->nl = 0;
    for (size_t i = 0; i < out->len; i++)
        g->nl += out->data[i] == '\n';
}

/* The number of the line the next byte goes on (the output ends in '\n'). */
static int next_line(Gen *g)
{
    for (; g->counted < g->out->len; g->counted++)
        g->nl += g->out->data[g->counted] == '\n';
    return g->nl + 1;
}

/* `#line N "FILE.fx"`: what follows comes from there. */
void line_fx(Gen *g, Loc loc)
{
    if (!g->lines || loc.line <= 0)
        return;
    put(g, "#line %d ", loc.line);
    put_c_string(g->out, g->fx_path);
    buf_putc(g->out, '\n');
}

/* `#line N "M.c"`: back to the generated file's own numbering. */
void line_back(Gen *g)
{
    if (!g->lines)
        return;
    int n = next_line(g);   /* the directive's own line; the next is n + 1 */
    put(g, "#line %d ", n + 1);
    put_c_string(g->out, g->out_name);
    buf_putc(g->out, '\n');
}

const char *cg_comment(Compiler *c, const char *s)
{
    Buf b;
    buf_init(&b);
    for (const char *p = s; *p; p++) {
        if ((*p == '*' && p[1] == '/') || (*p == '/' && p[1] == '*')) {
            buf_putc(&b, *p);
            buf_putc(&b, ' ');
        } else if (*p == '\n' || *p == '\r' || *p == '\t') {
            buf_putc(&b, ' ');
        } else {
            buf_putc(&b, *p);
        }
    }
    const char *r = intern(c, b.data, b.len);
    buf_free(&b);
    return r;
}

/* Source text for a comment: one line, no comment terminator, bounded. */
void put_comment_text(Gen *g, const char *s)
{
    size_t n = 0;
    for (const char *p = s; *p; p++, n++) {
        if (n >= 72) {
            buf_puts(g->out, "...");
            return;
        }
        if (*p == '*' && p[1] == '/')
            buf_puts(g->out, "* ");       /* would end the comment */
        else if (*p == '/' && p[1] == '*')
            buf_puts(g->out, "/ ");       /* would trip -Wcomment */
        else if (*p == '\n' || *p == '\r' || *p == '\t')
            buf_putc(g->out, ' ');
        else
            buf_putc(g->out, *p);
    }
}

/* ------------------------------------------------------------ zero values */

/* The C zero value of t as an initializer, or NULL for an extern type (its
 * C shape is unknown: scalar or struct): such values are memset. */
const char *zero_init(const Type *t)
{
    switch (t->kind) {
    case TY_BOOL: return "false";
    case TY_STR: return "NULL";
    case TY_SLICE: case TY_KV: case TY_GROUP: case TY_STRUCT: return "{0}";
    case TY_EXTERN: return NULL;
    default: return "0";
    }
}

/* `T name = ZERO;` at `indent`, with an optional trailing comment. */
void put_zero_var(Gen *g, int indent, const Type *t, const char *name, const char *comment)
{
    const char *z = zero_init(t);
    put(g, "%*s%s", indent, "", type_c_decl(g->c, t, name));
    if (z != NULL)
        put(g, " = %s;", z);
    else
        put(g, ";");
    if (comment != NULL) {
        put(g, "   /* ");
        put_comment_text(g, comment);
        put(g, " */");
    }
    put(g, "\n");
    if (z == NULL)
        put(g, "%*smemset(&%s, 0, sizeof %s);\n", indent, "", name, name);
}

/* ------------------------------------------------------------ types */

enum { MARK_NONE, MARK_BUSY, MARK_FORWARD, MARK_DONE };

typedef struct TypeGen {
    Gen *g;
    const Type **types;         /* every struct and composite */
    int *mark;
    size_t n;
} TypeGen;

static int *type_mark(TypeGen *tg, const Type *t)
{
    for (size_t i = 0; i < tg->n; i++)
        if (tg->types[i] == t)
            return &tg->mark[i];
    return NULL;
}

static void define_type(TypeGen *tg, const Type *t);

/* t is used by value: its definition must come first. */
static void need_complete(TypeGen *tg, const Type *t)
{
    int *m = type_mark(tg, t);
    if (m != NULL && (*m == MARK_NONE || *m == MARK_FORWARD))
        define_type(tg, t);
    /* MARK_BUSY here is a struct containing itself by value: the checker
     * should not let that through; the C compiler would say so. */
}

/* t is used behind a pointer: a declaration is enough. Structs have their
 * forward typedef at the top. A composite is defined right away when it can
 * be; one in a cycle through a struct (struct A { xs: [KeyValue<str, A>] })
 * gets a forward typedef here and its definition once A is complete. */
static bool completable(TypeGen *tg, const Type *t, int depth)
{
    int *m = type_mark(tg, t);
    if (m == NULL || *m == MARK_DONE || t->kind == TY_SLICE)
        return true;   /* a slice needs only its element declared */
    if (*m == MARK_BUSY || depth > 64)
        return false;
    switch (t->kind) {
    case TY_STRUCT:
        for (size_t i = 0; i < t->decl->nfields; i++) {
            const TypeExpr *te = t->decl->fields[i].type;
            if (te != NULL && te->resolved != NULL && !completable(tg, te->resolved, depth + 1))
                return false;
        }
        return true;
    case TY_KV:
        return completable(tg, t->key, depth + 1) && completable(tg, t->value, depth + 1);
    case TY_GROUP:
        return completable(tg, t->key, depth + 1);
    default:
        return true;
    }
}

static void need_declared(TypeGen *tg, const Type *t)
{
    int *m = type_mark(tg, t);
    if (m == NULL || t->kind == TY_STRUCT)
        return;
    if (*m == MARK_NONE && completable(tg, t, 0)) {
        define_type(tg, t);
    } else if (*m == MARK_NONE || *m == MARK_BUSY) {
        put(tg->g, "typedef struct %s %s;\n", t->c_name, t->c_name);
        *m = MARK_FORWARD;
    }
}

static void define_type(TypeGen *tg, const Type *t)
{
    Gen *g = tg->g;
    Compiler *c = g->c;
    int *m = type_mark(tg, t);
    if (m == NULL || *m == MARK_DONE)
        return;
    *m = MARK_BUSY;   /* from MARK_NONE, or MARK_FORWARD: a forward typedef, then the definition, is valid C11 */
    switch (t->kind) {
    case TY_STRUCT: {
        const Decl *d = t->decl;
        for (size_t i = 0; i < d->nfields; i++)
            if (d->fields[i].type != NULL && d->fields[i].type->resolved != NULL)
                need_complete(tg, d->fields[i].type->resolved);
        put(g, "\n/* struct %s  (%s:%d) */\n", d->name, g->fx_base, d->loc.line);
        put(g, "typedef struct %s {\n", d->name);
        for (size_t i = 0; i < d->nfields; i++) {
            const Type *ft = d->fields[i].type != NULL ? d->fields[i].type->resolved : NULL;
            if (ft != NULL)
                put(g, "    %s;\n", type_c_decl(c, ft, d->fields[i].name));
        }
        put(g, "} %s;\n", d->name);
        break;
    }
    case TY_SLICE:
        need_declared(tg, t->elem);
        put(g, "\n#ifndef FX_TYPE_%s\n#define FX_TYPE_%s\n", t->c_name, t->c_name);
        put(g, "typedef struct %s { %s; size_t len; } %s;   /* %s */\n", t->c_name,
            c_join(c, c_join(c, t->elem->c_name, "*"), "ptr"), t->c_name, t->fx_name);
        put(g, "#endif\n");
        break;
    case TY_KV:
        need_complete(tg, t->key);
        need_complete(tg, t->value);
        put(g, "\n#ifndef FX_TYPE_%s\n#define FX_TYPE_%s\n", t->c_name, t->c_name);
        put(g, "typedef struct %s { %s; %s; } %s;   /* %s */\n", t->c_name,
            type_c_decl(c, t->key, "key"), type_c_decl(c, t->value, "value"), t->c_name, t->fx_name);
        put(g, "#endif\n");
        break;
    case TY_GROUP: {
        const Type *values = type_slice(c, t->value);
        need_complete(tg, t->key);
        need_complete(tg, values);
        put(g, "\n#ifndef FX_TYPE_%s\n#define FX_TYPE_%s\n", t->c_name, t->c_name);
        put(g, "typedef struct %s { %s; %s values; } %s;   /* %s */\n", t->c_name,
            type_c_decl(c, t->key, "key"), values->c_name, t->c_name, t->fx_name);
        put(g, "#endif\n");
        break;
    }
    default:
        break;
    }
    m = type_mark(tg, t);
    *m = MARK_DONE;
}

static void emit_types(Gen *g)
{
    Compiler *c = g->c;
    const Module *m = c->module;
    put(g, "\n/* ---------------------------------------------------------------- types */\n");

    /* Make sure every group's values slice exists before the list is taken. */
    const Vec *comp = types_composite(c);
    for (size_t i = 0; i < comp->len; i++) {
        const Type *t = comp->items[i];
        if (t->kind == TY_GROUP)
            (void)type_slice(c, t->value);
    }
    comp = types_composite(c);

    TypeGen tg = {g, NULL, NULL, 0};
    tg.types = xcalloc(m->ndecls + comp->len + 1, sizeof *tg.types);
    tg.mark = xcalloc(m->ndecls + comp->len + 1, sizeof *tg.mark);
    size_t nstructs = 0;
    for (size_t i = 0; i < m->ndecls; i++)
        if (m->decls[i]->kind == D_STRUCT && m->decls[i]->type != NULL)
            tg.types[tg.n++] = m->decls[i]->type;
    nstructs = tg.n;
    for (size_t i = 0; i < comp->len; i++)
        tg.types[tg.n++] = comp->items[i];

    if (nstructs > 0) {
        put(g, "\n");
        for (size_t i = 0; i < nstructs; i++)
            put(g, "typedef struct %s %s;\n", tg.types[i]->decl->name, tg.types[i]->decl->name);
    }
    if (tg.n == 0)
        put(g, "\n/* (none: this module uses only built-in and extern types) */\n");
    /* Declaration order for the structs, creation order for composites; each
     * pulls in what it holds by value first. */
    for (size_t i = 0; i < tg.n; i++)
        define_type(&tg, tg.types[i]);
    free(tg.types);
    free(tg.mark);
}

/* ------------------------------------------------------------ header */

static void emit_user_funcs(Gen *g)
{
    Vec funcs = {0};
    user_funcs(g->c, &funcs);
    put(g, "\n/* ---------------------------------------------------------------- stage functions\n"
           " * You write these (fluxc --emit=stubs prints a skeleton). Return 0, or a\n"
           " * positive code / fx_fail(ctx, code, \"...\"); allocate what you hand on from\n"
           " * the context arena (fx_alloc, fx_strdup, fx_sprintf). A stage's state is\n"
           " * shared by every call of its pipeline instance, from every thread.\n"
           " */\n");
    if (funcs.len == 0)
        put(g, "\n/* (none) */\n");
    for (size_t i = 0; i < funcs.len; i++) {
        const UserFunc *f = funcs.items[i];
        put(g, "\n/* %s */\n", f->what);
        line_fx(g, f->loc);
        put(g, "%s;\n", f->proto);
        line_back(g);
    }
    user_funcs_free(&funcs);
}

/* Stages declared `with State` reachable from e (nested pipelines too). */
static void collect_state(const Expr *e, const Decl **seen, size_t *n)
{
    e = skip_as(e);
    if (e == NULL)
        return;
    if (e->op == OP_STAGE && e->decl != NULL && e->decl->state != NULL) {
        bool dup = false;
        for (size_t i = 0; i < *n; i++)
            dup = dup || seen[i] == e->decl;
        if (!dup)
            seen[(*n)++] = e->decl;
    }
    for (size_t i = 0; i < e->nparts; i++)
        collect_state(e->parts[i], seen, n);
}

static int by_decl_order(const void *a, const void *b)
{
    const Decl *x = *(const Decl *const *)a, *y = *(const Decl *const *)b;
    return (x->order > y->order) - (x->order < y->order);
}

/* The stateful stages of a pipeline, declaration order. Caller frees. */
static const Decl **state_stages(Compiler *c, const Decl *pipe, size_t *n)
{
    size_t ndecls = c->module->ndecls;
    const Decl **seen = xcalloc(ndecls + 1, sizeof *seen);
    *n = 0;
    collect_state(pipe->body, seen, n);
    qsort(seen, *n, sizeof *seen, by_decl_order);
    return seen;
}

static void emit_pipeline_api(Gen *g, const Decl *d)
{
    Compiler *c = g->c;
    const char *api = sprintf_intern(c, "%s_%s", g->mod, d->name);
    size_t nstate;
    const Decl **stages = state_stages(c, d, &nstate);

    Buf state;
    buf_init(&state);
    if (nstate > 0) {
        Buf fields;
        buf_init(&fields);
        for (size_t i = 0; i < nstate; i++)
            buf_printf(&fields, "    %s;   /* stage %s: %s */\n",
                       c_join(c, c_join(c, stage_state_ctype(c, stages[i]), "*"), stages[i]->name),
                       stages[i]->name, stages[i]->cfunc);
        const char *kv[] = {"API", api, "NAME", d->name, "FIELDS", fields.data, NULL};
        template_render(&state, "pipeline_state.h.in", kv);
        buf_free(&fields);
    }
    const char *line = sprintf_intern(c, "%d", d->loc.line);
    const char *new_param = nstate > 0 ? sprintf_intern(c, ", const %s_state *state", api) : "";
    const char *new_doc = nstate > 0
        ? sprintf_intern(c, " * state is required (NULL: returns NULL) and is copied.\n") : "";
    const char *kv[] = {
        "API", api, "NAME", d->name, "FILE", g->fx_base, "LINE", line,
        "IN_FX", d->in_t->fx_name, "OUT_FX", d->out_t->fx_name,
        "IN_PARAM", in_param(c, d->in_t, "in"), "OUT_PARAM", out_param(c, d->out_t, "out"),
        "STATE", state.data, "NEW_PARAM", new_param, "NEW_DOC", new_doc, NULL,
    };
    template_render(g->out, "pipeline.h.in", kv);
    build_pipeline(g, d);
    put(g, "%s", run_hooks(g, HOOK_ACCESSOR_DECL));
    comps_free(g);
    buf_free(&state);
    free(stages);
}

static void emit_header(Gen *g, Buf *h, const char *header, const char *guard)
{
    Compiler *c = g->c;
    const Module *m = c->module;
    start_file(g, h, header);

    Buf includes;
    buf_init(&includes);
    for (size_t i = 0; i < m->ndecls; i++) {
        const Decl *d = m->decls[i];
        if (d->kind == D_INCLUDE)
            buf_printf(&includes, d->system ? "#include <%s>\n" : "#include \"%s\"\n", d->path);
    }
    const char *kv[] = {
        "VERSION", FLUXC_VERSION, "FILE", g->fx_base, "HEADER", header, "MODULE", g->mod,
        "GUARD", guard, "INCLUDES", includes.data,
        "RUNTIME_MIN_NUMBER", RUNTIME_MIN_NUMBER, "RUNTIME_MIN_TEXT", RUNTIME_MIN_TEXT, NULL,
    };
    template_render(h, "header_begin.h.in", kv);
    buf_free(&includes);

    emit_types(g);
    emit_user_funcs(g);

    put(g, "\n/* ---------------------------------------------------------------- pipelines */\n");
    bool any = false;
    for (size_t i = 0; i < m->ndecls; i++) {
        if (m->decls[i]->kind == D_PIPELINE) {
            emit_pipeline_api(g, m->decls[i]);
            any = true;
        }
    }
    if (!any)
        put(g, "\n/* (none) */\n");

    cg_pools_header(g);   /* cg_pools.c */

    const char *kv_end[] = {"GUARD", guard, NULL};
    template_render(h, "header_end.h.in", kv_end);
}

/* ------------------------------------------------------------ components */


static void body_stage(Gen *g, const Comp *k);
static void body_pipeline(Gen *g, const Comp *k);
static void body_chain(Gen *g, const Comp *k);
static void body_on_error(Gen *g, const Comp *k);
static void pipeline_members(Gen *g, const Comp *k);
static void pipeline_init(Gen *g, const Comp *k);

/* What the C back end knows how to write: the core ops here, the others in
 * the extension tables of cg_*.c (cgen.h). An op without a generator is
 * checked by sema but not generated yet: codegen reports it. */
static const OpGenEntry core_ops[] = {
    {OP_STAGE, {.kind = "FX_COMPONENT_STAGE", .checks_ctx = true, .observed = true, .variants = true,
                .body = body_stage}},
    {OP_PIPELINE, {.kind = "FX_COMPONENT_PIPELINE", .checks_ctx = false, .observed = true, .variants = true,
                   .body = body_pipeline, .members = pipeline_members, .init = pipeline_init}},
    {OP_CHAIN, {.kind = "FX_COMPONENT_CHAIN", .checks_ctx = false, .observed = false, .variants = true,
                .body = body_chain}},
    {OP_ON_ERROR, {.kind = "FX_COMPONENT_COMBINATOR", .checks_ctx = false, .observed = false, .variants = true,
                   .body = body_on_error}},
    {OP_NONE, {.kind = NULL}},
};

static const OpGenEntry *const op_tables[] = {core_ops, cg_flow_ops, cg_batch_ops, cg_resilience_ops, cg_observe_ops};

const OpGen *cg_op(Op op)
{
    for (size_t t = 0; t < sizeof op_tables / sizeof op_tables[0]; t++)
        for (const OpGenEntry *e = op_tables[t]; e->op != OP_NONE; e++)
            if (e->op == op)
                return &e->gen;
    return NULL;
}

static bool op_supported(Op op)
{
    const OpGen *og = cg_op(op);
    return og != NULL && og->body != NULL;
}

static bool check_supported(Compiler *c, const Expr *e)
{
    e = skip_as(e);
    if (e == NULL)
        return true;
    bool ok = true;
    if (!op_supported(e->op)) {
        diag_error(c, e->loc, "code generation for '%s' is not implemented yet", op_name(e->op));
        ok = false;
    }
    if (e->op == OP_PIPELINE)
        return ok;
    for (size_t i = 0; i < e->nparts; i++)
        ok = check_supported(c, e->parts[i]) && ok;
    if (e->op == OP_PARALLEL && expr_opt(e, "reduce") != NULL)
        ok = check_supported(c, expr_opt(e, "reduce")) && ok;
    return ok;
}

static Comp *comp_new(Gen *g, Op op)
{
    Comp *k = xcalloc(1, sizeof *k);
    k->id = (int)g->comps.len;
    k->op = op;
    vec_push(&g->comps, k);
    return k;
}

static Comp *build(Gen *g, const Expr *e)
{
    const char *as_name = e != NULL && e->op == OP_AS ? e->name : NULL;
    e = skip_as(e);
    Comp *k = comp_new(g, e->op);
    k->e = e;
    k->label = e->label != NULL ? e->label : op_name(e->op);
    k->as_name = as_name;
    k->in = e->in;
    k->out = e->out;
    k->decl = e->decl;
    k->loc = e->loc;
    k->nkids = e->nparts;
    k->kids = xcalloc(e->nparts + 1, sizeof *k->kids);
    for (size_t i = 0; i < e->nparts; i++)
        k->kids[i] = build(g, e->parts[i]);
    /* parallel's reduce: is an option, not a part; it is the last kid. */
    const Expr *reduce = e->op == OP_PARALLEL ? expr_opt(e, "reduce") : NULL;
    if (reduce != NULL)
        k->kids[k->nkids++] = build(g, reduce);
    return k;
}

/* The component tree of pipeline d into g->comps (n0 = the pipeline). */
static Comp *build_pipeline(Gen *g, const Decl *d)
{
    Compiler *c = g->c;
    g->pipe = d;
    g->api = sprintf_intern(c, "%s_%s", g->mod, d->name);
    g->pfx = sprintf_intern(c, "%s__%s", g->mod, d->name);
    Comp *top = comp_new(g, OP_PIPELINE);
    top->label = d->name;
    top->in = d->in_t;
    top->out = d->out_t;
    top->decl = d;
    top->loc = d->loc;
    top->nkids = 1;
    top->kids = xcalloc(1, sizeof *top->kids);
    top->kids[0] = build(g, d->body);
    return top;
}

/* Runs one hook of every component that has it, writing into `into`
 * (interned; "" when none wrote anything). */
static const char *run_hooks(Gen *g, Hook which)
{
    Buf b;
    buf_init(&b);
    Buf *saved = g->out;
    g->out = &b;
    for (size_t i = 0; i < g->comps.len; i++) {
        const Comp *k = g->comps.items[i];
        const OpGen *og = cg_op(k->op);
        if (og == NULL)
            continue;
        void (*hook)(Gen *, const Comp *) =
            which == HOOK_MEMBERS ? og->members
            : which == HOOK_INIT ? og->init
            : which == HOOK_FINI ? og->fini
            : which == HOOK_ACCESSOR_DECL ? og->accessor_decl
            : og->accessor_impl;
        if (hook != NULL)
            hook(g, k);
    }
    g->out = saved;
    const char *s = intern(g->c, b.data, b.len);
    buf_free(&b);
    return s;
}

static void comps_free(Gen *g)
{
    for (size_t i = 0; i < g->comps.len; i++) {
        Comp *k = g->comps.items[i];
        free(k->kids);
        free(k);
    }
    vec_free(&g->comps);
    g->comps = (Vec){0};
}

static bool has_variants(const Comp *k)
{
    const OpGen *og = cg_op(k->op);
    return og != NULL && og->variants;
}

/* "M__P_nK", "M__P_nK_plain", "M__P_nK_observed" (cgen.h) */
const char *comp_fn(Gen *g, const Comp *k)
{
    const char *suffix = !has_variants(k) ? ""
                       : g->variant == VARIANT_PLAIN ? "_plain"
                       : g->variant == VARIANT_OBSERVED ? "_observed" : "";
    return sprintf_intern(g->c, "%s_n%d%s", g->pfx, k->id, suffix);
}

/* The comment above a component's function. */
static void put_comp_comment(Gen *g, const Comp *k)
{
    if (k->e == NULL) {
        put(g, "\n/* n%d: pipeline %s(%s) -> %s  (%s:%d) */\n", k->id, k->label, k->in->fx_name,
            k->out->fx_name, g->fx_base, k->loc.line);
        return;
    }
    put(g, "\n/* n%d: ", k->id);
    put_comment_text(g, loc_text(g->c, k->loc));
    put(g, "  (%s", op_name(k->op));
    const char *plain = op_name(k->op);
    if (k->op == OP_STAGE && k->decl != NULL) {
        put(g, " %s", k->decl->cfunc);
        plain = k->decl->name;
    } else if (k->op == OP_PIPELINE && k->decl != NULL) {
        plain = k->decl->name;
    }
    if (k->label != NULL && strcmp(k->label, plain) != 0) {
        put(g, " as \"");
        put_comment_text(g, k->label);
        put(g, "\"");
    }
    put(g, ", %s:%d) */\n", g->fx_base, k->loc.line);
}

/* True when k's first act is its own fx_observe_begin and its last its
 * fx_observe_end: an observed op, or metrics() passing through to one. */
static bool observed_through(const Comp *k)
{
    const OpGen *og = cg_op(k->op);
    if (og != NULL && og->observed)
        return true;
    return k->op == OP_METRICS && k->nkids > 0 && observed_through(k->kids[0]);
}

static void put_signature(Gen *g, const char *qualifiers, const Comp *k)
{
    put(g, "%s int %s(%s *p, fx_ctx *ctx, %s, %s)\n{\n", qualifiers, comp_fn(g, k), g->api,
        in_param(g->c, k->in, "in"), out_param(g->c, k->out, "out"));
}

static void put_ctx_check(Gen *g, const Comp *k)
{
    put(g, "    if (FX_UNLIKELY(fx__ctx_done(ctx)))\n        return fx__ctx_fail(ctx, ");
    put_c_string(g->out, k->label);
    put(g, ");\n");
}

/* The component whose fx_observe_end is k's last act (k itself when it is
 * observed, through metrics() and to a chain's last part), or NULL. */
static const Comp *observed_last(const Comp *k)
{
    if (observed_through(k))
        return k->op == OP_METRICS ? observed_last(k->kids[0]) : k;
    if (k->op == OP_CHAIN && k->nkids > 0)
        return observed_last(k->kids[k->nkids - 1]);
    return NULL;
}

/* True when k's first act is an observed component's fx_observe_begin
 * (through metrics() and to a chain's first part). */
static bool observed_first(const Comp *k)
{
    if (observed_through(k))
        return true;
    return k->op == OP_CHAIN && k->nkids > 0 && observed_first(k->kids[0]);
}

/* n0 whose body begins and ends with an observed part: the first part's
 * begin and the last part's end are its own clock reads too. */
static bool lends_clock(const Comp *k)
{
    return k->id == 0 && k->nkids == 1 && observed_first(k->kids[0]) && observed_last(k->kids[0]) != NULL;
}

/* The part that lends its end to n0 (fx_observe_end_lending), or NULL. */
static const Comp *end_lender(Gen *g)
{
    const Comp *top = g->comps.len > 0 ? g->comps.items[0] : NULL;
    return top != NULL && lends_clock(top) ? observed_last(top->kids[0]) : NULL;
}

/* The one function of an op without variants: it tests the instance's flag
 * itself (`observed`), for its own events and in its body. */
static void emit_any(Gen *g, const Comp *k, const OpGen *og)
{
    put_signature(g, "static", k);
    if (og->checks_ctx)
        put_ctx_check(g, k);
    if (og->observed) {
        bool lending = lends_clock(k);
        put(g, "    fx_observation obs;\n"
               "    const bool observed = p->observed;\n"
               "    if (FX_UNLIKELY(observed))\n"
               "        fx_observe_begin%s(p->rt, ctx, &%s_components[%d], &obs);%s\n\n",
            lending ? "_lending" : "", g->pfx, k->id,
            lending ? "   /* the part's clock reads time us too */" : "");
    }
    og->body(g, k);   /* declares `int rc` and leaves the result in it */
    if (og->observed) {
        bool lends = end_lender(g) == k;
        put(g, "\n    if (FX_UNLIKELY(observed))\n"
               "        fx_observe_end%s(p->rt, ctx, &%s_components[%d], &obs, rc);%s\n",
            lends ? "_lending" : "", g->pfx, k->id, lends ? "   /* the pipeline's end too */" : "");
    }
    put(g, "    return rc;\n}\n");
}

/* True when k is the component the pipeline reaches first (n0's first
 * part, its first part, ...): its `in` is the caller's pointer. A stage
 * there tests only the context's flag byte inline and leaves the rest of
 * its check to an out-of-line copy of itself (`nK_flagged`), so that
 * process keeps no register for `in` across a call before the stage's.
 * Further down a chain the input is a temporary of the chain and the
 * copy would only lengthen the straight-line code. */
static bool first_reached(const Gen *g, const Comp *k)
{
    const Comp *c = g->comps.len > 0 ? g->comps.items[0] : NULL;
    while (c != NULL && c != k && c->nkids > 0)
        c = c->kids[0];
    return c == k;
}

/* The variants of an op that has them (cgen.h): the plain one is what an
 * unobserved instance runs, straight code always inlined into its caller
 * (FX__ALWAYS_INLINE); the observed one reports, and the observed variants
 * of a tree inline into each other too. M__P_nK picks one by the
 * instance's flag, for callers that do not know it (the pipeline's process,
 * the tasks of the flow combinators; unused elsewhere, FX__MAYBE_UNUSED
 * keeps clang quiet about it); it reaches the observed variant
 * through an out-of-line call (FX__NOINLINE), so that the events and their
 * fx_observation do not weigh on the plain path's frame. */
static void emit_variants(Gen *g, const Comp *k, const OpGen *og)
{
    g->variant = VARIANT_PLAIN;
    bool flagged = og->checks_ctx && first_reached(g, k);
    if (flagged) {
        /* the whole check out of line: what the plain one keeps for after
         * its call need not survive a call before it */
        put(g, "static FX__NOINLINE int %s_n%d_flagged(%s *p, fx_ctx *ctx, %s, %s)\n{\n", g->pfx, k->id, g->api,
            in_param(g->c, k->in, "in"), out_param(g->c, k->out, "out"));
        put_ctx_check(g, k);
        og->body(g, k);
        put(g, "    return rc;\n}\n\n");
    }
    put_signature(g, "static FX__ALWAYS_INLINE", k);
    if (flagged)
        put(g, "    if (FX_UNLIKELY(fx__ctx_flags(ctx) != 0))   /* cancelled, or a deadline to read */\n"
               "        return %s_n%d_flagged(p, ctx, in, out);\n", g->pfx, k->id);
    else if (og->checks_ctx)
        put_ctx_check(g, k);
    og->body(g, k);
    put(g, "    return rc;\n}\n");

    g->variant = VARIANT_OBSERVED;
    put(g, "\n/* n%d in an observed instance%s. */\n", k->id,
        og->observed ? ": its events around the body" : "");
    put_signature(g, "static inline", k);
    if (og->checks_ctx)
        put_ctx_check(g, k);
    if (og->observed) {
        bool lending = lends_clock(k);
        put(g, "    fx_observation obs;\n"
               "    fx_observe_begin%s(p->rt, ctx, &%s_components[%d], &obs);%s\n\n",
            lending ? "_lending" : "", g->pfx, k->id,
            lending ? "   /* the part's clock reads time us too */" : "");
    }
    og->body(g, k);
    if (og->observed) {
        bool lends = end_lender(g) == k;
        put(g, "\n    fx_observe_end%s(p->rt, ctx, &%s_components[%d], &obs, rc);%s\n",
            lends ? "_lending" : "", g->pfx, k->id, lends ? "   /* the pipeline's end too */" : "");
    }
    put(g, "    return rc;\n}\n");

    g->variant = VARIANT_ANY;
    put(g, "\n/* Out of line: the observed frame stays off the plain path. */\n"
           "static FX__NOINLINE int %s_n%d_observed_call(%s *p, fx_ctx *ctx, %s, %s)\n{\n"
           "    return %s_n%d_observed(p, ctx, in, out);\n}\n",
        g->pfx, k->id, g->api, in_param(g->c, k->in, "in"), out_param(g->c, k->out, "out"), g->pfx, k->id);
    put(g, "\n/* n%d in any instance (unused where every caller knows which). */\n", k->id);
    put_signature(g, "static inline FX__MAYBE_UNUSED", k);
    put(g, "    if (FX_UNLIKELY(p->observed))\n        return %s_n%d_observed_call(p, ctx, in, out);\n"
           "    return %s_n%d_plain(p, ctx, in, out);\n}\n", g->pfx, k->id, g->pfx, k->id);
}

/* Writes the function(s) of component k, after those of its parts. */
static void emit_component(Gen *g, const Comp *k)
{
    for (size_t i = 0; i < k->nkids; i++)
        emit_component(g, k->kids[i]);

    const OpGen *og = cg_op(k->op);
    if (og->prelude != NULL)
        og->prelude(g, k);
    put_comp_comment(g, k);
    if (og->variants)
        emit_variants(g, k, og);
    else
        emit_any(g, k, og);
}

/* ---- bodies: each declares `int rc`, leaves the component's result in it
 * and never returns (emit_component writes the epilogue). `in` and `out`
 * are the component's; a part may scribble on the output it is handed even
 * when it fails, so whoever promises "output untouched on error" runs its
 * part into a temporary. */

/* `LHS CALL(ctx[, p->state.NAME], in, OUT);` at `indent`: the call of stage
 * k's C function, with #line to the stage in the .fx. */
void cg_stage_call(Gen *g, const Comp *k, int indent, const char *lhs, const char *out)
{
    const Decl *d = k->decl;
    line_fx(g, k->loc);
    if (d->state != NULL)
        put(g, "%*s%s%s(ctx, p->state.%s, in, %s);\n", indent, "", lhs, cg_call(g, d->cfunc), d->name, out);
    else
        put(g, "%*s%s%s(ctx, in, %s);\n", indent, "", lhs, cg_call(g, d->cfunc), out);
    line_back(g);
}

static void body_stage(Gen *g, const Comp *k)
{
    if (k->decl->state == NULL && g->variant == VARIANT_PLAIN)
        put(g, "    (void)p;   /* a stateless stage in an unobserved instance */\n");
    cg_stage_call(g, k, 4, "int rc = ", "out");
    put(g, "    if (FX_UNLIKELY(rc != 0))\n        rc = fx__stage_fail(ctx, rc, ");
    put_c_string(g->out, k->label);
    put(g, ");\n");
}

/* Why an output is handed back with an error code (cg_partial_code). */
static const char *partial_why(const char *code)
{
    return strcmp(code, "FX_EMULTI") == 0 ? "collect_errors: every result, zero where failed"
                                          : "filtered out: the output is the input";
}

/* A part that writes *out only on success, from a zeroed temporary of its
 * own (retry: one per try; timeout): a pipeline around it needs none. */
static bool writes_out_on_success_only(const Comp *k)
{
    return k->op == OP_RETRY || k->op == OP_TIMEOUT;
}

/* A pipeline (n0, or one used as a stage): its body into a temporary, copied
 * out on success (SPEC §5.4: output untouched on error). */
static void body_pipeline(Gen *g, const Comp *k)
{
    if (writes_out_on_success_only(k->kids[0])) {
        put(g, "    int rc = %s(p, ctx, in, out);   /* %s writes *out only on success */\n",
            comp_fn(g, k->kids[0]), cg_comment(g->c, k->kids[0]->label));
        return;
    }
    put_zero_var(g, 4, k->out, "result", NULL);
    put(g, "    int rc = %s(p, ctx, in, &result);\n", comp_fn(g, k->kids[0]));
    const char *partial = cg_partial_code(k->kids[0]);
    if (partial != NULL)
        put(g, "    if (rc == 0 || rc == %s)   /* %s */\n"
               "        *out = result;\n", partial, partial_why(partial));
    else
        put(g, "    if (rc == 0)\n        *out = result;\n");
}

/* The instance keeps fx_runtime_observed(rt), which never changes for a
 * runtime: components test one byte of the instance instead of the
 * runtime's flag behind p->rt. n0 only (a nested pipeline is part of it). */
static void pipeline_members(Gen *g, const Comp *k)
{
    if (k->id == 0)
        put(g, "    bool observed;   /* fx_runtime_observed(rt), read once in %s_new */\n", g->api);
}

static void pipeline_init(Gen *g, const Comp *k)
{
    if (k->id == 0)
        put(g, "    p->observed = fx_runtime_observed(rt);\n");
}

/* Straight-line calls through temporaries; stops at the first error; *out
 * is written only when every member succeeded. */
static void body_chain(Gen *g, const Comp *k)
{
    for (size_t i = 0; i < k->nkids; i++) {
        const char *t = sprintf_intern(g->c, "t%zu", i);
        put_zero_var(g, 4, k->kids[i]->out, t, k->kids[i]->label);
    }
    size_t n = k->nkids;
    const char *partial = cg_partial_code(k->kids[n - 1]);
    for (size_t i = 0; i < n; i++) {
        const char *arg = i == 0 ? "in" : sprintf_intern(g->c, "&t%zu", i - 1);
        if (i == 0)
            put(g, "    int rc = %s(p, ctx, %s, &t%zu);\n", comp_fn(g, k->kids[i]), arg, i);
        else if (i + 1 < n || partial == NULL)
            put(g, "    if (rc == 0)\n        rc = %s(p, ctx, %s, &t%zu);\n", comp_fn(g, k->kids[i]),
                arg, i);
        else
            put(g, "    if (rc == 0) {\n"
                   "        rc = %s(p, ctx, %s, &t%zu);\n"
                   "        if (rc == %s)   /* %s */\n"
                   "            *out = t%zu;\n"
                   "    }\n", comp_fn(g, k->kids[i]), arg, i, partial, partial_why(partial), i);
    }
    if (partial != NULL && n == 1)
        put(g, "    if (rc == %s)   /* %s */\n"
               "        *out = t0;\n", partial, partial_why(partial));
    put(g, "    if (rc == 0)\n        *out = t%zu;\n", n - 1);
}

/* on_error(s, f): f sees every error of s, context errors included; 0
 * swallows it (the output is the zero value), another code replaces it. */
static void body_on_error(Gen *g, const Comp *k)
{
    const Expr *handler = k->e->nargs > 1 ? k->e->args[1].value : NULL;
    const char *fn = handler != NULL && handler->name != NULL ? handler->name : "?";
    put_zero_var(g, 4, k->out, "result", NULL);
    put(g, "    int rc = %s(p, ctx, in, &result);\n", comp_fn(g, k->kids[0]));
    put(g, "    if (rc == 0) {\n        *out = result;\n    } else {\n");
    if (handler != NULL)
        line_fx(g, handler->loc);
    put(g, "        int h = %s(ctx, rc);\n", cg_call(g, fn));
    if (handler != NULL)
        line_back(g);
    put(g, "        if (h == 0) {\n"
           "            /* swallowed: the output is the zero value */\n"
           "            fx__ctx_clear_error(ctx);\n");
    put_zero_var(g, 12, k->out, "zero", NULL);
    put(g, "            *out = zero;\n"
           "            rc = 0;\n"
           "        } else if (h != rc) {\n"
           "            rc = fx__error_wrap(ctx, h, ");
    put_c_string(g->out, k->label);
    put(g, ", NULL);\n"
           "        }\n"
           "    }\n");
}

/* ------------------------------------------------------------ calls of the user's functions */

const char *cg_call(Gen *g, const char *cfunc)
{
    return sprintf_intern(g->c, "%s__call_%s", g->mod, cfunc);
}

/* One `static inline` thunk per user C function, whose parameters have
 * reserved names: generated bodies call the thunk, so no local of theirs
 * (rc, p, ctx, h, ...) can shadow a user's function of the same name. The
 * C compiler inlines them: a direct call, as before. */
static void emit_call_thunks(Gen *g)
{
    Vec funcs = {0};
    user_funcs(g->c, &funcs);
    if (funcs.len > 0)
        put(g, "\n/* The user's C functions, called through names no local can shadow. */\n");
    for (size_t i = 0; i < funcs.len; i++) {
        const UserFunc *f = funcs.items[i];
        const char *open = strchr(f->proto, '(');
        const char *close = strrchr(f->proto, ')');
        size_t name_at = (size_t)(open - f->proto) - strlen(f->name);
        Buf ret, params, args;
        buf_init(&ret);
        buf_init(&params);
        buf_init(&args);
        buf_putn(&ret, f->proto, name_at);
        /* parameters: "TYPE NAME, TYPE NAME" (no commas inside our types) */
        const char *p = open + 1;
        while (p < close) {
            const char *end = p;
            while (end < close && *end != ',')
                end++;
            const char *id = end;
            while (id > p && (id[-1] == '_' || (id[-1] >= 'a' && id[-1] <= 'z') || (id[-1] >= 'A' && id[-1] <= 'Z') ||
                              (id[-1] >= '0' && id[-1] <= '9')))
                id--;
            if (params.len > 0) {
                buf_puts(&params, ", ");
                buf_puts(&args, ", ");
            }
            buf_putn(&params, p, (size_t)(id - p));
            buf_printf(&params, "fx__%.*s", (int)(end - id), id);
            buf_printf(&args, "fx__%.*s", (int)(end - id), id);
            p = end < close ? end + 2 : end;
        }
        bool is_void = strncmp(ret.data, "void", 4) == 0;
        put(g, "static inline %s%s(%s)\n{\n    %s%s(%s);\n}\n", ret.data, cg_call(g, f->name), params.data,
            is_void ? "" : "return ", f->name, args.data);
        buf_free(&ret);
        buf_free(&params);
        buf_free(&args);
    }
    user_funcs_free(&funcs);
}

/* ------------------------------------------------------------ source */

static void emit_pipeline_impl(Gen *g, const Decl *d)
{
    Compiler *c = g->c;
    Comp *top = build_pipeline(g, d);

    size_t nstate;
    const Decl **stages = state_stages(c, d, &nstate);
    free(stages);

    put(g, "\n/* ================================================================ pipeline %s\n"
           " * %s(%s) -> %s  (%s:%d)\n */\n",
        d->name, d->name, d->in_t->fx_name, d->out_t->fx_name, g->fx_base, d->loc.line);

    const char *state_member = nstate > 0
        ? sprintf_intern(c, "    %s_state state;   /* a copy of what %s_new was given */\n", g->api, g->api)
        : "";
    const char *kv_struct[] = {"API", g->api, "STATE_MEMBER", state_member,
                               "MEMBERS", run_hooks(g, HOOK_MEMBERS), NULL};
    template_render(g->out, "pipeline_struct.c.in", kv_struct);

    put(g, "\n/* The components of %s; nK in a function name is its index here. */\n"
           "static const fx_component %s_components[] = {\n", d->name, g->pfx);
    for (size_t i = 0; i < g->comps.len; i++) {
        const Comp *k = g->comps.items[i];
        put(g, "    {");
        put_c_string(g->out, d->name);
        put(g, ", ");
        put_c_string(g->out, k->label);
        put(g, ", ");
        put_c_string(g->out, g->mod);
        put(g, ", %s},   /* n%d */\n", cg_op(k->op)->kind, k->id);
    }
    put(g, "};\n");

    emit_component(g, top);

    const char *init = run_hooks(g, HOOK_INIT);
    const char *kv_api[] = {
        "API", g->api, "TOP", comp_fn(g, top),
        "IN_PARAM", in_param(c, d->in_t, "in"), "OUT_PARAM", out_param(c, d->out_t, "out"),
        "NEW_PARAM", nstate > 0 ? sprintf_intern(c, ", const %s_state *state", g->api) : "",
        "STATE_CHECK", nstate > 0 ? "    if (state == NULL)\n        return NULL;\n" : "",
        "STATE_COPY", nstate > 0 ? "    p->state = *state;\n" : "",
        "INIT", init, "FINI", run_hooks(g, HOOK_FINI),
        "FAIL", strstr(init, "goto fail;") != NULL
                    ? sprintf_intern(c, "\nfail:\n    %s_free(p);\n    return NULL;\n", g->api) : "",
        NULL,
    };
    template_render(g->out, "pipeline_api.c.in", kv_api);
    put(g, "%s", run_hooks(g, HOOK_ACCESSOR_IMPL));
    comps_free(g);
}

static void emit_source(Gen *g, Buf *s, const char *source, const char *header)
{
    const Module *m = g->c->module;
    start_file(g, s, source);
    const char *kv[] = {"VERSION", FLUXC_VERSION, "FILE", g->fx_base, "SOURCE", source,
                        "HEADER", header, "MODULE", g->mod, NULL};
    template_render(s, "source_begin.c.in", kv);
    emit_call_thunks(g);
    cg_batch_source(g);   /* cg_batch.c: key tables */
    cg_pools_source(g);   /* cg_pools.c */
    bool any = false;
    for (size_t i = 0; i < m->ndecls; i++) {
        if (m->decls[i]->kind == D_PIPELINE) {
            emit_pipeline_impl(g, m->decls[i]);
            any = true;
        }
    }
    if (!any)
        put(g, "\n/* This module declares no pipeline. */\n");
}

/* ------------------------------------------------------------ entry point */

/* Declarations the C back end cannot write yet. */
static bool check_module(Compiler *c)
{
    const Module *m = c->module;
    bool ok = true;
    for (size_t i = 0; i < m->ndecls; i++) {
        const Decl *d = m->decls[i];
        if (d->kind == D_PIPELINE)
            ok = check_supported(c, d->body) && ok;
        else if (d->kind == D_STREAM) {
            diag_error(c, d->name_loc, "code generation for 'stream' declarations is not implemented yet");
            ok = false;
        }
    }
    return ok;
}

bool codegen_c(Compiler *c, const Options *o, Buf *header, Buf *source)
{
    if (c->module == NULL || c->module->name == NULL || !check_module(c))
        return false;
    const char *path = c->src != NULL && c->src->path != NULL ? c->src->path
                     : o != NULL && o->input != NULL ? o->input : "input.fx";
    Gen g = {0};
    g.c = c;
    g.mod = c->module->name;
    g.fx_path = path;
    g.fx_base = base_name(path);
    g.lines = o == NULL || o->line_directives;

    const char *h = sprintf_intern(c, "%s.h", g.mod);
    const char *s = sprintf_intern(c, "%s.c", g.mod);
    Buf guard;
    buf_init(&guard);
    buf_puts(&guard, "FLUXC_GENERATED_");
    for (const char *p = g.mod; *p; p++)
        buf_putc(&guard, (*p >= 'a' && *p <= 'z') ? (char)(*p - 'a' + 'A') : *p);
    buf_puts(&guard, "_H");

    emit_header(&g, header, h, guard.data);
    emit_source(&g, source, s, h);
    buf_free(&guard);
    return true;
}
