/*
 * sema.c — the type checker.
 *
 * Resolves every name and type, checks every pipeline, stream and pool, and
 * annotates component expressions (Expr.op, in, out, parts, label, decl) for
 * the back ends. It reports every error it finds (up to the diagnostic
 * limit): a failed sub-expression is marked and its parents stay quiet, so
 * one mistake gives one error.
 *
 * Combinators are described by a table (name, positional arguments, options
 * with their value kinds) plus one typing function each: a new combinator is
 * a new row, not a new grammar rule.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fluxc.h"

typedef struct CFunc {
    const char *name;
    const char *proto;     /* the C prototype the generated header will declare */
    const char *role;      /* "stage function", "retry_if", ... */
    Loc loc;
} CFunc;

typedef struct SemaState {
    Vec decls;             /* named declarations (Decl *) */
    StrMap by_name;        /* declaration name → Decl * (the first of a name) */
    Vec cfuncs;            /* CFunc * */
    StrMap cfunc_by_name;  /* C name → CFunc * */
    Vec checking;          /* pipelines being checked (cycle detection) */
    Vec names;             /* `as` names of the current pipeline (Expr *) */
} SemaState;

void sema_free(SemaState *s);
void sema_free(SemaState *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->cfuncs.len; i++)
        free(s->cfuncs.items[i]);
    vec_free(&s->decls);
    vec_free(&s->cfuncs);
    strmap_free(&s->by_name);
    strmap_free(&s->cfunc_by_name);
    vec_free(&s->checking);
    vec_free(&s->names);
    free(s);
}

/* ================================================================ the combinator table */

typedef enum OptKind {
    OK_INT, OK_BOOL, OK_DURATION, OK_RATE, OK_PERCENT, OK_FLOAT, OK_STRING,
    OK_CFUNC, OK_BACKOFF, OK_ATTRS, OK_STAGE
} OptKind;

typedef struct OptSpec {
    const char *name;
    OptKind kind;
    bool required;
    double min, max;       /* numeric bounds (inclusive); max < min: unbounded */
} OptSpec;

typedef struct Ctx Ctx;
typedef bool (*TypeFn)(Ctx *x, Expr *e);

typedef struct CombSpec {
    const char *name;
    Op op;
    int min_pos, max_pos;  /* positional stage arguments; max -1 = any */
    const char *pos_doc;   /* "a stage", "stages", ... for arity messages */
    TypeFn type;
    OptSpec opts[12];
} CombSpec;

#define NOMAX 0, -1
static bool ty_chain(Ctx *, Expr *);
static bool ty_fanout(Ctx *, Expr *);
static bool ty_fanin(Ctx *, Expr *);
static bool ty_parallel(Ctx *, Expr *);
static bool ty_map(Ctx *, Expr *);
static bool ty_buffer(Ctx *, Expr *);
static bool ty_mapreduce(Ctx *, Expr *);
static bool ty_filter(Ctx *, Expr *);
static bool ty_router(Ctx *, Expr *);
static bool ty_join(Ctx *, Expr *);
static bool ty_wrap(Ctx *, Expr *);
static bool ty_on_error(Ctx *, Expr *);

static const CombSpec combinators[] = {
    {"chain", OP_CHAIN, 1, -1, "at least one stage", ty_chain, {{0}}},
    {"fanout", OP_FANOUT, 1, -1, "at least one stage", ty_fanout,
     {{"concurrency", OK_INT, false, 0, 1e9}}},
    {"fanin", OP_FANIN, 1, 1, "one aggregator stage", ty_fanin, {{0}}},
    {"parallel", OP_PARALLEL, 1, -1, "at least one stage", ty_parallel,
     {{"reduce", OK_STAGE, true, NOMAX}, {"concurrency", OK_INT, false, 0, 1e9}}},
    {"map", OP_MAP, 1, 1, "one stage", ty_map,
     {{"concurrency", OK_INT, false, 0, 1e9}, {"collect_errors", OK_BOOL, false, NOMAX}}},
    {"buffer", OP_BUFFER, 1, 1, "one batch stage", ty_buffer,
     {{"size", OK_INT, true, 1, 1e9}}},
    {"pooled_buffer", OP_POOLED_BUFFER, 1, 1, "one batch stage", ty_buffer,
     {{"size", OK_INT, true, 1, 1e9}}},
    {"mapreduce", OP_MAPREDUCE, 2, 2, "a mapper and a reducer", ty_mapreduce,
     {{"parallelism", OK_INT, false, 0, 1e9}}},
    {"filter", OP_FILTER, 1, 1, "one predicate stage", ty_filter, {{0}}},
    {"router", OP_ROUTER, 2, -1, "a selector and at least one route", ty_router,
     {{"concurrency", OK_INT, false, 0, 1e9}}},
    {"join_by_key", OP_JOIN_BY_KEY, 1, 1, "one key stage", ty_join, {{0}}},
    {"retry", OP_RETRY, 1, 1, "one stage", ty_wrap,
     {{"attempts", OK_INT, false, 1, 1e6}, {"backoff", OK_BACKOFF, false, NOMAX},
      {"retry_if", OK_CFUNC, false, NOMAX}}},
    {"timeout", OP_TIMEOUT, 1, 1, "one stage", ty_wrap,
     {{"after", OK_DURATION, true, 1, -1}}},
    {"circuit_breaker", OP_CIRCUIT_BREAKER, 1, 1, "one stage", ty_wrap,
     {{"failures", OK_INT, false, 1, 1e9}, {"reset", OK_DURATION, false, 0, -1},
      {"successes", OK_INT, false, 1, 1e9}, {"half_open", OK_INT, false, 1, 1e9},
      {"window", OK_DURATION, false, 1, -1}, {"failure_rate", OK_PERCENT, false, 0, 100},
      {"min_calls", OK_INT, false, 1, 1e9}, {"slow_call", OK_DURATION, false, 1, -1},
      {"slow_rate", OK_PERCENT, false, 0, 100}}},
    {"rate_limit", OP_RATE_LIMIT, 1, 1, "one stage", ty_wrap,
     {{"rate", OK_RATE, true, 0, -1}, {"burst", OK_INT, false, 0, 1e9},
      {"wait", OK_DURATION, false, 0, -1}}},
    {"dlq", OP_DLQ, 1, 1, "one stage", ty_wrap,
     {{"handler", OK_CFUNC, true, NOMAX}, {"when", OK_CFUNC, false, NOMAX},
      {"on_handler_error", OK_CFUNC, false, NOMAX}}},
    {"on_error", OP_ON_ERROR, 2, 2, "a stage and a C function", ty_on_error, {{0}}},
    {"metrics", OP_METRICS, 1, 1, "one stage", ty_wrap,
     {{"name", OK_STRING, false, NOMAX}}},
    {"trace", OP_TRACE, 1, 1, "one stage", ty_wrap,
     {{"name", OK_STRING, false, NOMAX}, {"attrs", OK_ATTRS, false, NOMAX}}},
};
enum { NCOMB = sizeof combinators / sizeof combinators[0] };

static const CombSpec *find_comb(const char *name)
{
    for (size_t i = 0; i < NCOMB; i++)
        if (strcmp(combinators[i].name, name) == 0)
            return &combinators[i];
    return NULL;
}

const char *op_name(Op op)
{
    switch (op) {
    case OP_STAGE: return "stage";
    case OP_PIPELINE: return "pipeline";
    case OP_CHAIN: return "chain";
    case OP_AS: return "as";
    default:
        for (size_t i = 0; i < NCOMB; i++)
            if (combinators[i].op == op)
                return combinators[i].name;
        return "component";
    }
}

/* The named option `name` among opts (a call's, a pool's, a step's). */
static const Expr *find_opt(const Arg *opts, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (opts[i].name && strcmp(opts[i].name, name) == 0)
            return opts[i].value;
    return NULL;
}

const Expr *expr_opt(const Expr *call, const char *name)
{
    if (!call || call->kind != EX_CALL)
        return NULL;
    return find_opt(call->args, call->nargs, name);
}

/* ================================================================ helpers */

struct Ctx {
    Compiler *c;
    SemaState *s;
    const Decl *pipeline;  /* the pipeline or stream being checked */
    Vec *deferred_keys;    /* while struct fields resolve: the KeyValue/Group
                              TypeExprs whose key is checked once they all have */
};

static const char *fmt(Compiler *c, const char *f, ...) FXC_PRINTF(2, 3);
static const char *fmt(Compiler *c, const char *f, ...)
{
    Buf b;
    buf_init(&b);
    va_list ap;
    va_start(ap, f);
    buf_vprintf(&b, f, ap);
    va_end(ap);
    const char *s = intern(c, b.data, b.len);
    buf_free(&b);
    return s;
}

static const char *text(Ctx *x, const Expr *e)
{
    const char *t = loc_text(x->c, e->loc);
    if (strlen(t) > 60)
        return fmt(x->c, "%.57s...", t);
    return t;
}

static const char *sig(Ctx *x, const Expr *e)
{
    return fmt(x->c, "%s -> %s", e->in->fx_name, e->out->fx_name);
}

const Decl *sema_lookup(const Compiler *c, const char *name)
{
    if (!c->sema || name == NULL)
        return NULL;
    return strmap_get(&c->sema->by_name, name);
}

/* "a stage", "an extern type" */
static const char *a_decl_kind(const Decl *d)
{
    return d->kind == D_EXTERN ? "an extern type" : d->kind == D_STRUCT ? "a struct" : d->kind == D_STAGE ? "a stage"
         : d->kind == D_PIPELINE ? "a pipeline" : d->kind == D_POOL ? "a pool" : d->kind == D_STREAM ? "a stream"
         : "a declaration";
}

static const char *decl_kind_name(const Decl *d)
{
    switch (d->kind) {
    case D_EXTERN: return "extern type";
    case D_STRUCT: return "struct";
    case D_STAGE: return "stage";
    case D_PIPELINE: return "pipeline";
    case D_POOL: return "pool";
    case D_STREAM: return "stream";
    default: return "declaration";
    }
}

/* The nearest candidate within a small edit distance, or NULL. */
typedef struct Suggest {
    const char *best;
    size_t dist;
    const char *name;
} Suggest;

static void suggest_try(Suggest *sg, const char *cand)
{
    size_t d = edit_distance(sg->name, cand);
    size_t limit = strlen(sg->name) <= 3 ? 1 : (strlen(sg->name) <= 6 ? 2 : 3);
    if (d <= limit && d < sg->dist) {
        sg->best = cand;
        sg->dist = d;
    }
}

static const char *did_you_mean(Ctx *x, const char *s)
{
    return s ? fmt(x->c, "; did you mean '%s'?", s) : "";
}

/* A declaration of one of the kinds in `mask` (bit per DeclKind) near `name`. */
static const char *suggest_decl(Ctx *x, const char *name, unsigned mask)
{
    Suggest sg = {NULL, (size_t)-1, name};
    for (size_t i = 0; i < x->s->decls.len; i++) {
        const Decl *d = x->s->decls.items[i];
        if (mask & (1u << d->kind))
            suggest_try(&sg, d->name);
    }
    return sg.best;
}

static void note_decl(Ctx *x, const Decl *d)
{
    if (d)
        diag_note(x->c, d->name_loc, "'%s' declared here", d->name);
}

/* ================================================================ types */

static const char *const builtin_type_names[] = {
    "bool", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32", "f64", "usize", "str", "KeyValue", "Group",
};

/* Says why a struct or extern type cannot be a key, at the place that
 * makes it so. */
static void note_unhashable(Ctx *x, const Type *t)
{
    if (t->kind == TY_EXTERN) {
        diag_note(x->c, t->decl->name_loc, "'%s' is an extern type: fluxc cannot see its contents to hash them",
                  t->fx_name);
        return;
    }
    if (t->kind != TY_STRUCT)
        return;
    const Decl *d = t->decl;
    for (size_t i = 0; i < d->nfields; i++) {
        const Type *ft = d->fields[i].type ? d->fields[i].type->resolved : NULL;
        if (ft && !type_is_hashable(ft)) {
            diag_note(x->c, d->fields[i].type->loc, "field '%s' of struct '%s' is %s, which is not hashable",
                      d->fields[i].name, d->name, ft->fx_name);
            return;
        }
    }
}

static const Type *resolve_type(Ctx *x, TypeExpr *te)
{
    Compiler *c = x->c;
    if (!te)
        return NULL;
    switch (te->kind) {
    case TE_NAME: {
        const Type *t = type_builtin_named(c, te->name);
        if (t)
            return te->resolved = t;
        const Decl *d = sema_lookup(c, te->name);
        if (d && (d->kind == D_STRUCT || d->kind == D_EXTERN))
            return te->resolved = d->type;
        if (strcmp(te->name, "KeyValue") == 0 || strcmp(te->name, "Group") == 0) {
            diag_error(c, te->loc, "'%s' needs two type arguments: %s<K, V>", te->name, te->name);
            return NULL;
        }
        if (d) {
            diag_error(c, te->loc, "'%s' is %s, not a type", te->name, a_decl_kind(d));
            note_decl(x, d);
            return NULL;
        }
        Suggest sg = {NULL, (size_t)-1, te->name};
        for (size_t i = 0; i < sizeof builtin_type_names / sizeof *builtin_type_names; i++)
            suggest_try(&sg, builtin_type_names[i]);
        const char *near = suggest_decl(x, te->name, 1u << D_STRUCT | 1u << D_EXTERN);
        if (near && (!sg.best || edit_distance(te->name, near) < sg.dist))
            sg.best = near;
        diag_error(c, te->loc, "unknown type '%s'%s", te->name, did_you_mean(x, sg.best));
        return NULL;
    }
    case TE_SLICE: {
        const Type *e = resolve_type(x, te->elem);
        return e ? (te->resolved = type_slice(c, e)) : NULL;
    }
    case TE_GENERIC: {
        bool kv = strcmp(te->name, "KeyValue") == 0;
        if (!kv && strcmp(te->name, "Group") != 0) {
            diag_error(c, te->loc, "unknown generic type '%s' (the generic types are KeyValue<K, V> and Group<K, V>)",
                       te->name);
            return NULL;
        }
        if (te->nargs != 2) {
            diag_error(c, te->loc, "'%s' takes 2 type arguments, found %zu", te->name, te->nargs);
            return NULL;
        }
        const Type *k = resolve_type(x, te->args[0]);
        const Type *v = resolve_type(x, te->args[1]);
        if (!k || !v)
            return NULL;
        if (x->deferred_keys && k->kind == TY_STRUCT) {
            /* the key struct's own fields may not be resolved yet */
            vec_push(x->deferred_keys, te);
        } else if (!type_is_hashable(k)) {
            diag_error(c, te->args[0]->loc,
                       "key type '%s' is not hashable (keys are integers, bool, str, or structs of those)",
                       k->fx_name);
            note_unhashable(x, k);
            return NULL;
        }
        return te->resolved = kv ? type_kv(c, k, v) : type_group(c, k, v);
    }
    }
    return NULL;
}

/* ================================================================ C functions */

/* Records that C function `name` must have prototype `proto`; two uses with
 * different prototypes are an error (one C function cannot have both). */
static void use_cfunc(Ctx *x, const char *name, Loc loc, const char *proto, const char *role)
{
    SemaState *s = x->s;
    CFunc *seen = strmap_get(&s->cfunc_by_name, name);
    if (seen != NULL) {
        if (strcmp(seen->proto, proto) != 0) {
            diag_error(x->c, loc, "C function '%s' is used as the %s with prototype '%s'", name, role, proto);
            diag_note(x->c, seen->loc, "but here as the %s with prototype '%s'", seen->role, seen->proto);
        }
        return;
    }
    CFunc *f = xcalloc(1, sizeof *f);
    f->name = name;
    f->proto = proto;
    f->role = role;
    f->loc = loc;
    vec_push(&s->cfuncs, f);
    strmap_put(&s->cfunc_by_name, f->name, f);
}

static bool is_c_identifier_free(const char *name)
{
    static const char *const reserved[] = {
        "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum",
        "extern", "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return",
        "short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void",
        "volatile", "while", "main",
    };
    for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
        if (strcmp(reserved[i], name) == 0)
            return false;
    return true;
}

/* ================================================================ options */

static const char *lit_desc(Ctx *x, const Expr *v)
{
    switch (v->kind) {
    case EX_INT: return fmt(x->c, "integer '%s'", text(x, v));
    case EX_FLOAT: return fmt(x->c, "number '%s'", text(x, v));
    case EX_DURATION: return fmt(x->c, "duration '%s'", text(x, v));
    case EX_RATE: return fmt(x->c, "rate '%s'", text(x, v));
    case EX_PERCENT: return fmt(x->c, "percentage '%s'", text(x, v));
    case EX_STRING: return fmt(x->c, "string %s", text(x, v));
    case EX_BOOL: return fmt(x->c, "'%s'", v->ival ? "true" : "false");
    case EX_MAP: return "a { } map";
    case EX_REF: return fmt(x->c, "name '%s'", v->name);
    default: return fmt(x->c, "'%s'", text(x, v));
    }
}

static const char *kind_desc(OptKind k)
{
    switch (k) {
    case OK_INT: return "an integer";
    case OK_BOOL: return "true or false";
    case OK_DURATION: return "a duration like 100ms";
    case OK_RATE: return "a rate like 10/s, or inf";
    case OK_PERCENT: return "a percentage like 50%";
    case OK_FLOAT: return "a number";
    case OK_STRING: return "a string";
    case OK_CFUNC: return "the name of a C function";
    case OK_BACKOFF: return "constant(d), exponential(d, ...) or the name of a C function";
    case OK_ATTRS: return "a { key: \"value\" } map";
    case OK_STAGE: return "a stage";
    }
    return "a value";
}

static bool check_component(Ctx *x, Expr *e);

/* A bound as the user would write it: 64, 1ns, 50%. */
static const char *bound_text(Ctx *x, const OptSpec *o, double b)
{
    if (o->kind == OK_DURATION)
        return b == 1 ? "1ns" : fmt(x->c, "%.0fns", b);
    if (o->kind == OK_PERCENT)
        return fmt(x->c, "%.0f%%", b);
    return fmt(x->c, "%.0f", b);
}

static bool check_bounds(Ctx *x, const char *comb, const OptSpec *o, const Expr *v, double val, const char *shown)
{
    bool bounded = o->max >= o->min;
    if (val >= o->min && (!bounded || val <= o->max))
        return true;
    /* the very large maxima are there to keep values in range of C's int,
     * not to describe the option: mention them only when exceeded */
    if (!bounded || (o->max >= 1e9 && val < o->min))
        diag_error(x->c, v->loc, "option '%s' of %s must be at least %s, found %s", o->name, comb,
                   bound_text(x, o, o->min), shown);
    else if (o->max >= 1e9)
        diag_error(x->c, v->loc, "option '%s' of %s must be at most %s, found %s", o->name, comb,
                   bound_text(x, o, o->max), shown);
    else
        diag_error(x->c, v->loc, "option '%s' of %s must be between %s and %s, found %s", o->name, comb,
                   bound_text(x, o, o->min), bound_text(x, o, o->max), shown);
    return false;
}

static bool check_backoff(Ctx *x, const char *comb, Expr *v)
{
    if (v->kind == EX_REF) {
        use_cfunc(x, v->name, v->loc, fmt(x->c, "int64_t %s(int attempt)", v->name), "backoff function");
        return true;
    }
    if (v->kind != EX_CALL) {
        diag_error(x->c, v->loc, "option 'backoff' of %s expects %s, found %s%s", comb, kind_desc(OK_BACKOFF),
                   lit_desc(x, v),
                   v->kind == EX_DURATION ? fmt(x->c, "; did you mean 'constant(%s)'?", text(x, v)) : "");
        return false;
    }
    bool constant = strcmp(v->name, "constant") == 0;
    if (!constant && strcmp(v->name, "exponential") != 0) {
        Suggest sg = {NULL, (size_t)-1, v->name};
        suggest_try(&sg, "constant");
        suggest_try(&sg, "exponential");
        if (sg.best)
            diag_error(x->c, v->name_loc, "unknown backoff '%s'%s", v->name, did_you_mean(x, sg.best));
        else
            diag_error(x->c, v->name_loc, "unknown backoff '%s' (use constant(d), exponential(d, ...) or the name of a C function)",
                       v->name);
        return false;
    }
    size_t npos = 0;
    bool ok = true;
    for (size_t i = 0; i < v->nargs; i++) {
        Arg *a = &v->args[i];
        if (!a->name) {
            npos++;
            if (npos == 1 && a->value->kind != EX_DURATION) {
                diag_error(x->c, a->value->loc, "%s backoff expects a duration, found %s", v->name,
                           lit_desc(x, a->value));
                ok = false;
            }
            continue;
        }
        if (constant) {
            diag_error(x->c, a->name_loc, "constant backoff takes no options, found '%s'", a->name);
            ok = false;
            continue;
        }
        if (strcmp(a->name, "factor") == 0) {
            double f = a->value->kind == EX_INT || a->value->kind == EX_FLOAT ? a->value->fval : -1;
            if (a->value->kind != EX_INT && a->value->kind != EX_FLOAT) {
                diag_error(x->c, a->value->loc, "option 'factor' of exponential backoff expects a number, found %s",
                           lit_desc(x, a->value));
                ok = false;
            } else if (f < 1.0) {
                diag_error(x->c, a->value->loc, "option 'factor' of exponential backoff must be at least 1, found %s",
                           text(x, a->value));
                ok = false;
            }
        } else if (strcmp(a->name, "max") == 0) {
            if (a->value->kind != EX_DURATION) {
                diag_error(x->c, a->value->loc, "option 'max' of exponential backoff expects a duration, found %s",
                           lit_desc(x, a->value));
                ok = false;
            }
        } else if (strcmp(a->name, "jitter") == 0) {
            double j = a->value->fval;
            if (a->value->kind != EX_INT && a->value->kind != EX_FLOAT) {
                diag_error(x->c, a->value->loc, "option 'jitter' of exponential backoff expects a number, found %s",
                           lit_desc(x, a->value));
                ok = false;
            } else if (j < 0 || j > 1) {
                diag_error(x->c, a->value->loc, "option 'jitter' of exponential backoff must be between 0 and 1, found %s",
                           text(x, a->value));
                ok = false;
            }
        } else {
            Suggest sg = {NULL, (size_t)-1, a->name};
            suggest_try(&sg, "factor");
            suggest_try(&sg, "max");
            suggest_try(&sg, "jitter");
            diag_error(x->c, a->name_loc, "unknown option '%s' for exponential backoff%s", a->name,
                       did_you_mean(x, sg.best));
            ok = false;
        }
    }
    if (npos != 1) {
        diag_error(x->c, v->loc, "%s backoff takes one duration, found %zu arguments", v->name, npos);
        ok = false;
    }
    return ok;
}

/* The C prototype of an option's function, given the wrapped stage's input. */
static const char *cfunc_proto(Ctx *x, const char *opt, const char *name, const Type *in)
{
    const char *item = in ? type_c_const_ptr(x->c, in) : "const void *";
    if (strcmp(opt, "retry_if") == 0 || strcmp(opt, "when") == 0)
        return fmt(x->c, "bool %s(const fx_error *err)", name);
    if (strcmp(opt, "handler") == 0)
        return fmt(x->c, "int %s(fx_ctx *ctx, %sitem, const fx_error *err)", name, item);
    if (strcmp(opt, "on_handler_error") == 0)
        return fmt(x->c, "void %s(fx_ctx *ctx, %sitem, const fx_error *err, int handler_code)", name, item);
    return fmt(x->c, "int %s(fx_ctx *ctx, int code)", name);
}

static bool check_option(Ctx *x, const CombSpec *cs, const OptSpec *o, Expr *v, const Type *item)
{
    const char *comb = cs->name;
    switch (o->kind) {
    case OK_INT:
        if (v->kind != EX_INT)
            break;
        return check_bounds(x, comb, o, v, (double)v->ival, text(x, v));
    case OK_BOOL:
        if (v->kind != EX_BOOL)
            break;
        return true;
    case OK_DURATION:
        if (v->kind != EX_DURATION)
            break;
        return check_bounds(x, comb, o, v, (double)v->ival, text(x, v));
    case OK_RATE:
        if (v->kind == EX_REF && strcmp(v->name, "inf") == 0) {
            v->fval = INFINITY;
            return true;
        }
        if (v->kind != EX_RATE)
            break;
        return true;
    case OK_PERCENT:
        if (v->kind != EX_PERCENT)
            break;
        return check_bounds(x, comb, o, v, v->fval, text(x, v));
    case OK_FLOAT:
        if (v->kind != EX_FLOAT && v->kind != EX_INT)
            break;
        return true;
    case OK_STRING:
        if (v->kind != EX_STRING)
            break;
        if (v->name[0] == '\0') {
            diag_error(x->c, v->loc, "option '%s' of %s must not be empty", o->name, comb);
            return false;
        }
        return true;
    case OK_CFUNC:
        if (v->kind != EX_REF)
            break;
        if (!is_c_identifier_free(v->name)) {
            diag_error(x->c, v->loc, "'%s' is a C keyword, not a function name", v->name);
            return false;
        }
        use_cfunc(x, v->name, v->loc, cfunc_proto(x, o->name, v->name, item), fmt(x->c, "%s of %s", o->name, comb));
        return true;
    case OK_BACKOFF:
        return check_backoff(x, comb, v);
    case OK_ATTRS: {
        if (v->kind != EX_MAP)
            break;
        bool ok = true;
        for (size_t i = 0; i < v->nargs; i++) {
            for (size_t j = 0; j < i; j++)
                if (strcmp(v->args[j].name, v->args[i].name) == 0) {
                    diag_error(x->c, v->args[i].name_loc, "attribute '%s' given twice", v->args[i].name);
                    ok = false;
                }
            if (v->args[i].value->kind != EX_STRING) {
                diag_error(x->c, v->args[i].value->loc, "attribute '%s' must be a string, found %s", v->args[i].name,
                           lit_desc(x, v->args[i].value));
                ok = false;
            }
        }
        return ok;
    }
    case OK_STAGE:
        return check_component(x, v);
    }
    diag_error(x->c, v->loc, "option '%s' of %s expects %s, found %s", o->name, comb, kind_desc(o->kind),
               lit_desc(x, v));
    return false;
}

/* Checks a call's arguments against its spec: positional ones are
 * components (checked here), named ones are options. */
static bool check_args(Ctx *x, const CombSpec *cs, Expr *e)
{
    bool ok = true;
    size_t npos = 0;
    bool seen_named = false;
    for (size_t i = 0; i < e->nargs; i++) {
        Arg *a = &e->args[i];
        if (a->name) {
            seen_named = true;
            continue;
        }
        if (seen_named) {
            diag_error(x->c, a->value->loc, "positional argument after named options in %s", cs->name);
            ok = false;
        }
        npos++;
    }
    if ((int)npos < cs->min_pos || (cs->max_pos >= 0 && (int)npos > cs->max_pos)) {
        diag_error(x->c, e->loc, "'%s' takes %s, found %zu positional argument%s", cs->name, cs->pos_doc, npos,
                   npos == 1 ? "" : "s");
        return false;
    }
    /* positional stages */
    e->parts = xcalloc(npos ? npos : 1, sizeof *e->parts);
    e->nparts = 0;
    for (size_t i = 0; i < e->nargs; i++) {
        Arg *a = &e->args[i];
        if (a->name)
            continue;
        if (cs->op == OP_ON_ERROR && e->nparts == 1) {
            /* on_error's second argument is a C function */
            if (a->value->kind != EX_REF) {
                diag_error(x->c, a->value->loc, "on_error expects the name of a C function as its second argument, found %s",
                           lit_desc(x, a->value));
                ok = false;
            }
            continue;
        }
        if (!check_component(x, a->value))
            ok = false;
        e->parts[e->nparts++] = a->value;
    }
    if (!ok)
        return false;
    const Type *item = e->nparts > 0 ? e->parts[0]->in : NULL;
    /* options */
    for (size_t i = 0; i < e->nargs; i++) {
        Arg *a = &e->args[i];
        if (!a->name)
            continue;
        const OptSpec *o = NULL;
        Suggest sg = {NULL, (size_t)-1, a->name};
        for (const OptSpec *p = cs->opts; p->name; p++) {
            if (strcmp(p->name, a->name) == 0)
                o = p;
            suggest_try(&sg, p->name);
        }
        if (!o) {
            if (!cs->opts[0].name)
                diag_error(x->c, a->name_loc, "%s takes no options, found '%s'", cs->name, a->name);
            else
                diag_error(x->c, a->name_loc, "unknown option '%s' for %s%s", a->name, cs->name, did_you_mean(x, sg.best));
            ok = false;
            continue;
        }
        for (size_t j = 0; j < i; j++)
            if (e->args[j].name && strcmp(e->args[j].name, a->name) == 0) {
                diag_error(x->c, a->name_loc, "option '%s' given twice", a->name);
                diag_note(x->c, e->args[j].name_loc, "first given here");
                ok = false;
            }
        if (!check_option(x, cs, o, a->value, item))
            ok = false;
    }
    for (const OptSpec *p = cs->opts; p->name; p++)
        if (p->required && !expr_opt(e, p->name)) {
            diag_error(x->c, e->loc, "%s requires option '%s' (%s)", cs->name, p->name, kind_desc(p->kind));
            ok = false;
        }
    return ok;
}

/* ================================================================ typing rules */

/* a: A -> B then b: B -> C. The texts are made only for the message: a
 * long chain would otherwise intern every prefix of itself. */
static bool compose(Ctx *x, const Expr *a, const Expr *b)
{
    if (a->out == b->in)
        return true;
    diag_error(x->c, b->loc, "'%s' expects %s but '%s' produces %s", text(x, b), b->in->fx_name, text(x, a),
               a->out->fx_name);
    if (b->decl)
        note_decl(x, b->decl);
    return false;
}

static size_t flat_count(const Expr *part)
{
    return part->op == OP_CHAIN && part->kind == EX_PIPE ? part->nparts : 1;
}

/* Appends part's members (a checked `|>` chain is already flat) to e->parts,
 * which has room for them. */
static void flatten_into(Expr *e, Expr *part)
{
    if (part->op == OP_CHAIN && part->kind == EX_PIPE) {
        memcpy(e->parts + e->nparts, part->parts, part->nparts * sizeof *e->parts);
        e->nparts += part->nparts;
        return;
    }
    e->parts[e->nparts++] = part;
}

static bool ty_chain(Ctx *x, Expr *e)
{
    for (size_t i = 1; i < e->nparts; i++)
        if (!compose(x, e->parts[i - 1], e->parts[i]))
            return false;
    e->in = e->parts[0]->in;
    e->out = e->parts[e->nparts - 1]->out;
    return true;
}

static bool same_types(Ctx *x, Expr *e, size_t from, const char *what)
{
    const Expr *first = e->parts[from];
    bool ok = true;
    for (size_t i = from + 1; i < e->nparts; i++) {
        const Expr *s = e->parts[i];
        if (s->in != first->in || s->out != first->out) {
            diag_error(x->c, s->loc, "%s of %s must all have the same type: '%s' is %s but '%s' is %s", what,
                       op_name(e->op), text(x, s), sig(x, s), text(x, first), sig(x, first));
            ok = false;
        }
    }
    return ok;
}

static bool ty_fanout(Ctx *x, Expr *e)
{
    if (!same_types(x, e, 0, "the stages"))
        return false;
    e->in = e->parts[0]->in;
    e->out = type_slice(x->c, e->parts[0]->out);
    return true;
}

static bool need_slice_in(Ctx *x, Expr *e, const Expr *s, const char *role)
{
    if (s->in->kind == TY_SLICE)
        return true;
    diag_error(x->c, s->loc, "%s's %s must take a slice, but '%s' takes %s", op_name(e->op), role, text(x, s),
               s->in->fx_name);
    if (s->decl)
        note_decl(x, s->decl);
    return false;
}

static bool ty_fanin(Ctx *x, Expr *e)
{
    const Expr *agg = e->parts[0];
    if (!need_slice_in(x, e, agg, "aggregator"))
        return false;
    e->in = agg->in;
    e->out = agg->out;
    return true;
}

static bool ty_parallel(Ctx *x, Expr *e)
{
    if (!same_types(x, e, 0, "the stages"))
        return false;
    Expr *agg = (Expr *)expr_opt(e, "reduce");
    const Type *want = type_slice(x->c, e->parts[0]->out);
    if (agg->in != want) {
        diag_error(x->c, agg->loc, "parallel's reduce must take %s (the results of the stages), but '%s' takes %s",
                   want->fx_name, text(x, agg), agg->in->fx_name);
        if (agg->decl)
            note_decl(x, agg->decl);
        return false;
    }
    e->in = e->parts[0]->in;
    e->out = agg->out;
    return true;
}

static bool ty_map(Ctx *x, Expr *e)
{
    e->in = type_slice(x->c, e->parts[0]->in);
    e->out = type_slice(x->c, e->parts[0]->out);
    return true;
}

static bool ty_buffer(Ctx *x, Expr *e)
{
    const Expr *b = e->parts[0];
    if (b->in->kind != TY_SLICE || b->out->kind != TY_SLICE) {
        diag_error(x->c, b->loc, "%s's batch stage must map a slice to a slice, but '%s' is %s", op_name(e->op),
                   text(x, b), sig(x, b));
        if (b->decl)
            note_decl(x, b->decl);
        return false;
    }
    e->in = b->in;
    e->out = b->out;
    return true;
}

static bool ty_mapreduce(Ctx *x, Expr *e)
{
    const Expr *m = e->parts[0], *r = e->parts[1];
    if (m->out->kind != TY_KV) {
        diag_error(x->c, m->loc, "mapreduce's mapper must produce KeyValue<K, V>, but '%s' produces %s", text(x, m),
                   m->out->fx_name);
        if (m->decl)
            note_decl(x, m->decl);
        return false;
    }
    const Type *want = type_group(x->c, m->out->key, m->out->value);
    if (r->in != want) {
        diag_error(x->c, r->loc, "mapreduce's reducer must take %s, but '%s' takes %s", want->fx_name, text(x, r),
                   r->in->fx_name);
        if (r->decl)
            note_decl(x, r->decl);
        return false;
    }
    e->in = type_slice(x->c, m->in);
    e->out = type_slice(x->c, r->out);
    return true;
}

static bool ty_filter(Ctx *x, Expr *e)
{
    const Expr *p = e->parts[0];
    if (p->out->kind != TY_BOOL) {
        diag_error(x->c, p->loc, "filter's predicate must produce bool, but '%s' produces %s", text(x, p),
                   p->out->fx_name);
        if (p->decl)
            note_decl(x, p->decl);
        return false;
    }
    e->in = e->out = p->in;
    return true;
}

static bool ty_router(Ctx *x, Expr *e)
{
    const Expr *sel = e->parts[0];
    const Type *want = type_slice(x->c, type_builtin(x->c, TY_U32));
    if (sel->out != want) {
        diag_error(x->c, sel->loc, "router's selector must produce [u32] (the indices of the routes), but '%s' produces %s",
                   text(x, sel), sel->out->fx_name);
        if (sel->decl)
            note_decl(x, sel->decl);
        return false;
    }
    if (!same_types(x, e, 1, "the routes"))
        return false;
    const Expr *r = e->parts[1];
    if (r->in != sel->in) {
        diag_error(x->c, r->loc, "router's routes must take what the selector takes (%s), but '%s' takes %s",
                   sel->in->fx_name, text(x, r), r->in->fx_name);
        return false;
    }
    e->in = sel->in;
    e->out = type_slice(x->c, r->out);
    return true;
}

static bool ty_join(Ctx *x, Expr *e)
{
    const Expr *k = e->parts[0];
    if (!type_is_hashable(k->out)) {
        diag_error(x->c, k->loc,
                   "join_by_key's key '%s' produces %s, which is not hashable (keys are integers, bool, str, or structs of those)",
                   text(x, k), k->out->fx_name);
        note_unhashable(x, k->out);
        return false;
    }
    e->in = type_slice(x->c, k->in);
    e->out = type_slice(x->c, type_group(x->c, k->out, k->in));
    return true;
}

static bool ty_wrap(Ctx *x, Expr *e)
{
    (void)x;
    e->in = e->parts[0]->in;
    e->out = e->parts[0]->out;
    if (e->op == OP_METRICS || e->op == OP_TRACE) {
        const Expr *n = expr_opt(e, "name");
        if (n)
            e->parts[0]->label = n->name;
    }
    if (e->op == OP_CIRCUIT_BREAKER) {
        if (expr_opt(e, "failure_rate") && !expr_opt(e, "window")) {
            diag_error(x->c, expr_opt(e, "failure_rate")->loc,
                       "option 'failure_rate' of circuit_breaker needs option 'window' (the time the rate is measured over)");
            return false;
        }
        if (expr_opt(e, "slow_rate") && !expr_opt(e, "slow_call")) {
            diag_error(x->c, expr_opt(e, "slow_rate")->loc,
                       "option 'slow_rate' of circuit_breaker needs option 'slow_call' (the duration above which a call is slow)");
            return false;
        }
    }
    return true;
}

static bool ty_on_error(Ctx *x, Expr *e)
{
    const Expr *f = NULL;
    size_t pos = 0;
    for (size_t i = 0; i < e->nargs; i++)
        if (!e->args[i].name && pos++ == 1)
            f = e->args[i].value;
    if (!is_c_identifier_free(f->name)) {
        diag_error(x->c, f->loc, "'%s' is a C keyword, not a function name", f->name);
        return false;
    }
    use_cfunc(x, f->name, f->loc, fmt(x->c, "int %s(fx_ctx *ctx, int code)", f->name), "on_error handler");
    e->in = e->parts[0]->in;
    e->out = e->parts[0]->out;
    return true;
}

/* ================================================================ components */

static bool check_pipeline(Ctx *x, Decl *d, const Expr *use);

static bool check_ref(Ctx *x, Expr *e)
{
    Decl *d = (Decl *)sema_lookup(x->c, e->name);
    if (!d) {
        if (find_comb(e->name)) {
            diag_error(x->c, e->loc, "'%s' is a combinator and needs arguments: %s(...)", e->name, e->name);
            return false;
        }
        diag_error(x->c, e->loc, "unknown stage '%s'%s", e->name,
                   did_you_mean(x, suggest_decl(x, e->name, 1u << D_STAGE | 1u << D_PIPELINE)));
        return false;
    }
    if (d->kind == D_STAGE) {
        if (!d->in_t || !d->out_t)
            return false;   /* its declaration had an error */
        e->op = OP_STAGE;
        e->decl = d;
        e->in = d->in_t;
        e->out = d->out_t;
        e->label = d->name;
        return true;
    }
    if (d->kind == D_PIPELINE) {
        if (!check_pipeline(x, d, e))
            return false;
        e->op = OP_PIPELINE;
        e->decl = d;
        e->in = d->in_t;
        e->out = d->out_t;
        e->label = d->name;
        e->parts = xcalloc(1, sizeof *e->parts);
        e->parts[0] = d->body;
        e->nparts = 1;
        return true;
    }
    if (d->kind == D_STREAM)
        diag_error(x->c, e->loc, "'%s' is a stream; streams cannot be used as stages", e->name);
    else
        diag_error(x->c, e->loc, "'%s' is %s, not a stage", e->name, a_decl_kind(d));
    note_decl(x, d);
    return false;
}

static const char *const reserved_names[] = {"new", "free", "process", "state", "start", "stop", "wait", "push", "close"};

static bool check_as(Ctx *x, Expr *e)
{
    if (!check_component(x, e->lhs))
        return false;
    for (size_t i = 0; i < sizeof reserved_names / sizeof *reserved_names; i++)
        if (strcmp(e->name, reserved_names[i]) == 0) {
            diag_error(x->c, e->name_loc, "'%s' cannot name a component: the generated API uses it", e->name);
            return false;
        }
    for (size_t i = 0; i < x->s->names.len; i++) {
        const Expr *o = x->s->names.items[i];
        if (o->name == e->name && o != e) {
            diag_error(x->c, e->name_loc, "duplicate component name '%s' in %s '%s'", e->name,
                       decl_kind_name(x->pipeline), x->pipeline->name);
            diag_note(x->c, o->name_loc, "'%s' first named here", e->name);
            return false;
        }
    }
    vec_push(&x->s->names, e);
    e->op = OP_AS;
    e->in = e->lhs->in;
    e->out = e->lhs->out;
    e->lhs->label = e->name;
    e->label = e->name;
    e->parts = xcalloc(1, sizeof *e->parts);
    e->parts[0] = e->lhs;
    e->nparts = 1;
    return true;
}

static bool check_call(Ctx *x, Expr *e)
{
    const CombSpec *cs = find_comb(e->name);
    if (!cs) {
        const Decl *d = sema_lookup(x->c, e->name);
        if (d && (d->kind == D_STAGE || d->kind == D_PIPELINE)) {
            diag_error(x->c, e->loc, "'%s' is a %s, not a combinator; it takes no arguments", e->name,
                       decl_kind_name(d));
            note_decl(x, d);
            return false;
        }
        Suggest sg = {NULL, (size_t)-1, e->name};
        for (size_t i = 0; i < NCOMB; i++)
            suggest_try(&sg, combinators[i].name);
        diag_error(x->c, e->name_loc, "unknown combinator '%s'%s", e->name, did_you_mean(x, sg.best));
        return false;
    }
    e->op = cs->op;
    e->label = intern_cstr(x->c, cs->name);
    if (!check_args(x, cs, e))
        return false;
    return cs->type(x, e);
}

/* `a |> b |> c` is a left spine of EX_PIPE nodes: walk it with a loop, not
 * recursion, and flatten it once at the top, so that a chain of n stages
 * costs O(n) time and memory however long it is. Every member is checked,
 * so independent errors (unknown names) are all reported. The top node's
 * parts are the flattened members; an inner node of the spine (reachable
 * only through lhs) has parts {lhs, rhs}. */
static bool check_pipe(Ctx *x, Expr *e)
{
    Vec spine = {0};
    Expr *n = e;
    for (; n->kind == EX_PIPE && !(n->in && n->out); n = n->lhs)
        vec_push(&spine, n);
    bool ok = check_component(x, n);
    for (size_t i = spine.len; i-- > 0;) {
        Expr *p = spine.items[i];
        if (!check_component(x, p->rhs))
            ok = false;
        if (!ok || !compose(x, p->lhs, p->rhs)) {
            ok = false;
            continue;
        }
        p->op = OP_CHAIN;
        p->in = p->lhs->in;
        p->out = p->rhs->out;
        p->label = intern_cstr(x->c, "chain");
        if (p != e) {
            p->parts = xcalloc(2, sizeof *p->parts);
            p->parts[0] = p->lhs;
            p->parts[1] = p->rhs;
            p->nparts = 2;
        }
    }
    if (ok) {
        size_t count = flat_count(n);
        for (size_t i = 0; i < spine.len; i++)
            count += flat_count(((Expr *)spine.items[i])->rhs);
        e->parts = xcalloc(count, sizeof *e->parts);
        e->nparts = 0;
        flatten_into(e, n);
        for (size_t i = spine.len; i-- > 0;)
            flatten_into(e, ((Expr *)spine.items[i])->rhs);
    }
    vec_free(&spine);
    return ok;
}

static bool check_component(Ctx *x, Expr *e)
{
    if (e->in && e->out)
        return true;   /* shared pipeline bodies are checked once */
    switch (e->kind) {
    case EX_REF:
        return check_ref(x, e);
    case EX_PIPE:
        return check_pipe(x, e);
    case EX_CALL:
        return check_call(x, e);
    case EX_AS:
        return check_as(x, e);
    default:
        diag_error(x->c, e->loc, "expected a stage, found %s", lit_desc(x, e));
        return false;
    }
}

/* ================================================================ declarations */

/* `use` is the reference that made us check d (NULL at the top level). */
static bool check_pipeline(Ctx *x, Decl *d, const Expr *use)
{
    if (d->in_t && d->out_t && d->body->in)
        return true;
    for (size_t i = 0; i < x->s->checking.len; i++)
        if (x->s->checking.items[i] == d) {
            /* the pipelines between d and this use of it form the cycle */
            Buf via;
            buf_init(&via);
            for (size_t j = i + 1; j < x->s->checking.len; j++) {
                const Decl *p = x->s->checking.items[j];
                buf_printf(&via, "%s'%s'", j == i + 1 ? " through " : j + 1 == x->s->checking.len ? " and " : ", ",
                           p->name);
            }
            diag_error(x->c, use ? use->loc : d->name_loc, "pipeline '%s' uses itself%s", d->name, via.data);
            buf_free(&via);
            return false;
        }
    if (!d->in->resolved || !d->out->resolved || d->order < 0)
        return false;   /* a bad signature, or a body already reported */
    vec_push(&x->s->checking, d);
    Ctx inner = *x;
    inner.pipeline = d;
    Vec saved = x->s->names;
    memset(&x->s->names, 0, sizeof x->s->names);
    bool ok = check_component(&inner, d->body);
    vec_free(&x->s->names);
    x->s->names = saved;
    x->s->checking.len--;
    if (!ok) {
        d->order = -1;   /* reported: do not check again */
        return false;
    }
    const Expr *b = d->body;
    if (b->in != d->in->resolved) {
        diag_error(x->c, d->in->loc, "pipeline '%s' takes %s but '%s' expects %s", d->name, d->in->resolved->fx_name,
                   text(x, b), b->in->fx_name);
        d->order = -1;
        return false;
    }
    if (b->out != d->out->resolved) {
        diag_error(x->c, b->loc, "pipeline '%s' returns %s but '%s' produces %s", d->name, d->out->resolved->fx_name,
                   text(x, b), b->out->fx_name);
        diag_note(x->c, d->out->loc, "return type declared here");
        d->order = -1;
        return false;
    }
    d->in_t = d->in->resolved;
    d->out_t = d->out->resolved;
    return true;
}

static void check_struct(Ctx *x, Decl *d)
{
    if (d->nfields == 0)
        diag_error(x->c, d->name_loc, "struct '%s' has no fields (C has no empty structs)", d->name);
    for (size_t i = 0; i < d->nfields; i++) {
        Field *f = &d->fields[i];
        for (size_t j = 0; j < i; j++)
            if (d->fields[j].name == f->name) {
                diag_error(x->c, f->loc, "duplicate field '%s' in struct '%s'", f->name, d->name);
                diag_note(x->c, d->fields[j].loc, "'%s' first declared here", f->name);
            }
        if (!is_c_identifier_free(f->name))
            diag_error(x->c, f->loc, "field name '%s' is a C keyword", f->name);
        resolve_type(x, f->type);
    }
}

/* A struct that holds itself by value (directly or through other structs,
 * KeyValues or Groups' keys) has no size. */
static bool reaches_by_value(const Type *t, const Decl *target, Vec *visited)
{
    if (!t)
        return false;
    if (t->kind == TY_KV)
        return reaches_by_value(t->key, target, visited) || reaches_by_value(t->value, target, visited);
    if (t->kind == TY_GROUP)
        return reaches_by_value(t->key, target, visited);
    if (t->kind != TY_STRUCT)
        return false;
    if (t->decl == target)
        return true;
    for (size_t i = 0; i < visited->len; i++)
        if (visited->items[i] == t->decl)
            return false;   /* each struct is explored once: linear, not one walk per path */
    vec_push(visited, (void *)t->decl);
    for (size_t i = 0; i < t->decl->nfields; i++)
        if (t->decl->fields[i].type && reaches_by_value(t->decl->fields[i].type->resolved, target, visited))
            return true;
    return false;
}

static bool contains_by_value(const Type *t, const Decl *target)
{
    Vec visited = {0};
    bool found = reaches_by_value(t, target, &visited);
    vec_free(&visited);
    return found;
}

/* The first struct on the way from t to target (t contains target). */
static const Decl *struct_on_path(const Type *t, const Decl *target)
{
    if (t->kind == TY_STRUCT)
        return t->decl;
    if (t->kind == TY_KV)
        return struct_on_path(contains_by_value(t->key, target) ? t->key : t->value, target);
    return struct_on_path(t->key, target);   /* TY_GROUP */
}

/* One error per cycle of structs held by value, at the first struct of the
 * cycle in declaration order. */
static void check_struct_cycles(Ctx *x)
{
    Module *m = x->c->module;
    Vec reported = {0};
    for (size_t i = 0; i < m->ndecls; i++) {
        Decl *d = m->decls[i];
        if (d->kind != D_STRUCT || sema_lookup(x->c, d->name) != d)
            continue;
        bool seen = false;
        for (size_t r = 0; r < reported.len && !seen; r++) {
            const Decl *o = reported.items[r];
            seen = contains_by_value(d->type, o) && contains_by_value(o->type, d);
        }
        for (size_t f = 0; f < d->nfields && !seen; f++) {
            TypeExpr *te = d->fields[f].type;
            if (!te->resolved || !contains_by_value(te->resolved, d))
                continue;
            const Decl *via = struct_on_path(te->resolved, d);
            if (via == d)
                diag_error(x->c, te->loc, "struct '%s' contains itself (use a slice [%s] to hold others)", d->name,
                           d->name);
            else
                diag_error(x->c, te->loc, "struct '%s' contains itself through struct '%s' (use a slice to break the cycle)",
                           d->name, via->name);
            vec_push(&reported, d);
            break;
        }
    }
    vec_free(&reported);
}

static void check_stage(Ctx *x, Decl *d)
{
    const Type *in = resolve_type(x, d->in);
    const Type *out = resolve_type(x, d->out);
    if (!is_c_identifier_free(d->cfunc)) {
        diag_error(x->c, d->cfunc_loc, "'%s' is a C keyword, not a function name", d->cfunc);
        return;
    }
    if (d->state && !is_c_identifier_free(d->state)) {
        diag_error(x->c, d->state_loc, "'%s' is a C keyword, not a state type", d->state);
        return;
    }
    if (!in || !out)
        return;
    d->in_t = in;
    d->out_t = out;
    const char *state = "";
    if (d->state) {
        const Decl *sd = sema_lookup(x->c, d->state);
        const char *cname = sd && sd->type ? sd->type->c_name : d->state;
        state = fmt(x->c, "%s *state, ", cname);
    }
    use_cfunc(x, d->cfunc, d->cfunc_loc,
              fmt(x->c, "int %s(fx_ctx *ctx, %s%sin, %s)", d->cfunc, state, type_c_const_ptr(x->c, in),
                  type_c_decl(x->c, out, "*out")),
              fmt(x->c, "stage function of '%s'", d->name));
}

static bool check_opts_plain(Ctx *x, const char *what, Arg *opts, size_t n, const OptSpec *specs)
{
    CombSpec cs;
    memset(&cs, 0, sizeof cs);
    cs.name = what;
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        Arg *a = &opts[i];
        if (!a->name) {
            diag_error(x->c, a->value->loc, "%s takes only named options, found %s", what, lit_desc(x, a->value));
            ok = false;
            continue;
        }
        const OptSpec *o = NULL;
        Suggest sg = {NULL, (size_t)-1, a->name};
        for (const OptSpec *p = specs; p->name; p++) {
            if (strcmp(p->name, a->name) == 0)
                o = p;
            suggest_try(&sg, p->name);
        }
        if (!o) {
            diag_error(x->c, a->name_loc, "unknown option '%s' for %s%s", a->name, what, did_you_mean(x, sg.best));
            ok = false;
            continue;
        }
        for (size_t j = 0; j < i; j++)
            if (opts[j].name && strcmp(opts[j].name, a->name) == 0) {
                diag_error(x->c, a->name_loc, "option '%s' given twice", a->name);
                diag_note(x->c, opts[j].name_loc, "first given here");
                ok = false;
            }
        if (!check_option(x, &cs, o, a->value, NULL))
            ok = false;
    }
    return ok;
}

static void check_pool(Ctx *x, Decl *d)
{
    static const OptSpec specs[] = {
        {"capacity", OK_INT, false, 1, 1e9}, {"prewarm", OK_INT, false, 0, 1e9}, {0},
    };
    const Type *t = resolve_type(x, d->in);
    if (!check_opts_plain(x, fmt(x->c, "pool '%s'", d->name), d->opts, d->nopts, specs) || !t)
        return;
    const Expr *cap = find_opt(d->opts, d->nopts, "capacity");
    const Expr *pre = find_opt(d->opts, d->nopts, "prewarm");
    int64_t capacity = cap ? cap->ival : 64;
    if (pre && pre->ival > capacity)
        diag_error(x->c, pre->loc, "pool '%s' prewarms %lld objects but its capacity is %lld", d->name,
                   (long long)pre->ival, (long long)capacity);
    d->in_t = t;
}

static void check_stream(Ctx *x, Decl *d)
{
    static const OptSpec step_specs[] = {
        {"workers", OK_INT, false, 1, 1e6}, {"queue", OK_INT, false, 1, 1e9}, {"ordered", OK_BOOL, false, NOMAX}, {0},
    };
    const Type *in = resolve_type(x, d->in);
    const Type *out = resolve_type(x, d->out);
    if (!in || !out)
        return;
    Ctx inner = *x;
    inner.pipeline = d;
    Vec saved = x->s->names;
    memset(&x->s->names, 0, sizeof x->s->names);
    const Type *cur = in;
    const Expr *prev = NULL;
    bool ok = true, seen_policy = false, stages = false;
    for (size_t i = 0; i < d->nsteps && ok; i++) {
        Step *st = &d->steps[i];
        if (st->kind == STEP_ON_ERROR) {
            if (strcmp(st->expr->name, "on_error") != 0) {
                diag_error(x->c, st->expr->loc, "unknown stream setting '%s' (expected on_error: skip, stop or send)",
                           st->expr->name);
                ok = false;
            } else if (strcmp(st->word, "skip") && strcmp(st->word, "stop") && strcmp(st->word, "send")) {
                diag_error(x->c, st->word_loc, "unknown on_error policy '%s' (use skip, stop or send)", st->word);
                ok = false;
            } else if (seen_policy) {
                diag_error(x->c, st->loc, "on_error given twice in stream '%s'", d->name);
                ok = false;
            }
            seen_policy = true;
            continue;
        }
        if (st->kind == STEP_WINDOW) {
            Expr *w = st->expr;
            if (strcmp(st->word, "window") != 0) {
                diag_error(x->c, st->word_loc, "expected 'window' or a stage, found '%s'", st->word);
                ok = false;
                break;
            }
            bool tumbling = strcmp(w->name, "tumbling") == 0;
            if (!tumbling && strcmp(w->name, "sliding") != 0) {
                diag_error(x->c, w->name_loc, "unknown window '%s' (use tumbling(...) or sliding(...))", w->name);
                ok = false;
                break;
            }
            static const OptSpec tumbling_specs[] = {
                {"count", OK_INT, false, 1, 1e9}, {"every", OK_DURATION, false, 1, -1}, {0},
            };
            /* sliding(count: 5, slide: 2) slides by items,
             * sliding(every: 1s, slide: 500ms) by a duration */
            static const OptSpec sliding_count_specs[] = {
                {"count", OK_INT, false, 1, 1e9}, {"every", OK_DURATION, false, 1, -1},
                {"slide", OK_INT, false, 1, 1e9}, {0},
            };
            static const OptSpec sliding_every_specs[] = {
                {"count", OK_INT, false, 1, 1e9}, {"every", OK_DURATION, false, 1, -1},
                {"slide", OK_DURATION, false, 1, -1}, {0},
            };
            const OptSpec *specs = tumbling ? tumbling_specs
                                 : find_opt(w->args, w->nargs, "every") ? sliding_every_specs : sliding_count_specs;
            const char *what = fmt(x->c, "%s window", w->name);
            if (!check_opts_plain(x, what, w->args, w->nargs, specs)) {
                ok = false;
                break;
            }
            const Expr *count = expr_opt(w, "count"), *every = expr_opt(w, "every"), *slide = expr_opt(w, "slide");
            if (!count == !every) {
                diag_error(x->c, w->loc, "a %s window needs exactly one of the options 'count' and 'every'", w->name);
                ok = false;
                break;
            }
            if (!tumbling && !slide) {
                diag_error(x->c, w->loc, "a sliding window needs option 'slide' (how far each window moves on)");
                ok = false;
                break;
            }
            /* a window that moves on by more than its size would drop the
             * items in between, and nothing is silently dropped */
            if (slide && slide->ival > (count ? count->ival : every->ival)) {
                diag_error(x->c, slide->loc, "option 'slide' of sliding window must not exceed its %s (%s), found %s",
                           count ? "count" : "duration", text(x, count ? count : every), text(x, slide));
                ok = false;
                break;
            }
            cur = type_slice(x->c, cur);
            continue;
        }
        /* a stage step; `parse (workers: 2)` parses as a call of a stage */
        Expr *e = st->expr;
        if (e->kind == EX_CALL && !find_comb(e->name) && sema_lookup(x->c, e->name) && !st->opts) {
            bool all_named = true;
            for (size_t k = 0; k < e->nargs; k++)
                all_named = all_named && e->args[k].name != NULL;
            if (all_named) {
                st->opts = e->args;
                st->nopts = e->nargs;
                e->args = NULL;
                e->nargs = 0;
                e->kind = EX_REF;
                e->loc = e->name_loc;
            }
        }
        if (!check_component(&inner, e) ||
            !check_opts_plain(x, fmt(x->c, "stream step '%s'", text(x, e)), st->opts, st->nopts, step_specs)) {
            ok = false;
            break;
        }
        if (e->in != cur) {
            if (prev)
                diag_error(x->c, e->loc, "'%s' expects %s but the step before it produces %s", text(x, e),
                           e->in->fx_name, cur->fx_name);
            else
                diag_error(x->c, e->loc, "'%s' expects %s but stream '%s' takes %s", text(x, e), e->in->fx_name,
                           d->name, cur->fx_name);
            if (e->decl)
                note_decl(x, e->decl);
            ok = false;
            break;
        }
        cur = e->out;
        prev = e;
        stages = true;
    }
    vec_free(&x->s->names);
    x->s->names = saved;
    if (!ok)
        return;
    if (!stages) {
        diag_error(x->c, d->name_loc, "stream '%s' has no stages", d->name);
        return;
    }
    if (cur != out) {
        diag_error(x->c, d->out->loc, "stream '%s' returns %s but its last step produces %s", d->name, out->fx_name,
                   cur->fx_name);
        return;
    }
    d->in_t = in;
    d->out_t = out;
}

/* Names: one namespace for every declaration; combinators and built-in types
 * cannot be redeclared. */
static void collect(Ctx *x)
{
    Module *m = x->c->module;
    for (size_t i = 0; i < m->ndecls; i++) {
        Decl *d = m->decls[i];
        if (d->kind == D_INCLUDE)
            continue;
        if (type_builtin_named(x->c, d->name) || !strcmp(d->name, "KeyValue") || !strcmp(d->name, "Group")) {
            diag_error(x->c, d->name_loc, "'%s' is a built-in type and cannot be redeclared", d->name);
            continue;
        }
        if (find_comb(d->name) && d->kind != D_EXTERN && d->kind != D_STRUCT) {
            diag_error(x->c, d->name_loc, "'%s' is a built-in combinator; choose another name for this %s", d->name,
                       decl_kind_name(d));
            continue;
        }
        if (!is_c_identifier_free(d->name)) {
            diag_error(x->c, d->name_loc, "'%s' is a C keyword and cannot name %s", d->name, a_decl_kind(d));
            continue;
        }
        const Decl *prev = sema_lookup(x->c, d->name);
        if (prev) {
            diag_error(x->c, d->name_loc, "duplicate declaration of '%s'", d->name);
            diag_note(x->c, prev->name_loc, "previous declaration of '%s' is here", d->name);
            continue;
        }
        vec_push(&x->s->decls, d);
        strmap_put(&x->s->by_name, d->name, d);
        if (d->kind == D_STRUCT || d->kind == D_EXTERN)
            d->type = type_decl(x->c, d);
    }
    for (size_t i = 0; i < m->ndecls; i++) {
        Decl *d = m->decls[i];
        if (d->kind != D_INCLUDE)
            continue;
        for (const unsigned char *p = (const unsigned char *)d->path; *p; p++)
            if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\') {
                diag_error(x->c, d->name_loc,
                           "include path has a quote, backslash or control character, which #include cannot spell");
                break;
            }
        for (size_t j = 0; j < i; j++) {
            Decl *o = m->decls[j];
            if (o->kind == D_INCLUDE && o->path == d->path && o->system == d->system) {
                diag_error(x->c, d->name_loc, "'%s' is included twice", d->path);
                diag_note(x->c, o->name_loc, "first included here");
            }
        }
    }
}

bool sema_check(Compiler *c)
{
    if (!c->sema)
        c->sema = xcalloc(1, sizeof *c->sema);
    Ctx x = {.c = c, .s = c->sema};
    int before = c->nerrors;
    Module *m = c->module;

    /* The output files are named after the module (MODULE.c, MODULE.h):
     * a name past what a file system takes would fail only when writing. */
    enum { MODULE_NAME_MAX = 200 };
    if (m->has_module && strlen(m->name) > MODULE_NAME_MAX)
        diag_error(c, m->name_loc, "module name is %zu characters long; fluxc names its output files after it, "
                                   "so at most %d", strlen(m->name), (int)MODULE_NAME_MAX);

    collect(&x);
    Vec keys = {0};
    x.deferred_keys = &keys;
    for (size_t i = 0; i < m->ndecls; i++)
        if (m->decls[i]->kind == D_STRUCT && sema_lookup(c, m->decls[i]->name) == m->decls[i])
            check_struct(&x, m->decls[i]);
    x.deferred_keys = NULL;
    check_struct_cycles(&x);
    for (size_t i = 0; i < keys.len; i++) {
        TypeExpr *te = keys.items[i];
        const Type *k = te->args[0]->resolved;
        if (!type_is_hashable(k)) {
            diag_error(c, te->args[0]->loc,
                       "key type '%s' is not hashable (keys are integers, bool, str, or structs of those)", k->fx_name);
            note_unhashable(&x, k);
        }
    }
    vec_free(&keys);
    for (size_t i = 0; i < m->ndecls; i++)
        if (m->decls[i]->kind == D_STAGE && sema_lookup(c, m->decls[i]->name) == m->decls[i])
            check_stage(&x, m->decls[i]);
    /* resolve pipeline signatures before any body refers to them */
    for (size_t i = 0; i < m->ndecls; i++) {
        Decl *d = m->decls[i];
        if (d->kind == D_PIPELINE && sema_lookup(c, d->name) == d) {
            resolve_type(&x, d->in);
            resolve_type(&x, d->out);
        }
    }
    for (size_t i = 0; i < m->ndecls; i++) {
        Decl *d = m->decls[i];
        if (sema_lookup(c, d->name ? d->name : "") != d)
            continue;
        if (d->kind == D_PIPELINE)
            check_pipeline(&x, d, NULL);
        else if (d->kind == D_POOL)
            check_pool(&x, d);
        else if (d->kind == D_STREAM)
            check_stream(&x, d);
    }
    return c->nerrors == before;
}
