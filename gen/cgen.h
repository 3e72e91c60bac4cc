/*
 * cgen.h — the vocabulary of the C back end's component generators.
 *
 * codegen.c writes the files and, for every component of a pipeline, one
 * static function through emit_component(): the context check and the
 * observability events are written there alone, as the op's OpGen says.
 * An op's generator supplies only what is particular to it: its body, and
 * (for components that keep state between calls: breakers, limiters,
 * pools, ...) the instance members, their set-up and tear-down, and the
 * run-time accessors of `... as NAME`.
 *
 * The core ops live in codegen.c; each family of combinators has its own
 * file with its own table (cg_flow.c, cg_batch.c, cg_resilience.c,
 * cg_observe.c), so a
 * new combinator is a new row and a body function in its family's file.
 */
#ifndef FLUXC_CGEN_H
#define FLUXC_CGEN_H

#include "backend.h"
#include "fluxc.h"

typedef struct Comp Comp;

/* The variants of a component's function (OpGen.variants). */
typedef enum Variant {
    VARIANT_ANY,                /* for any instance; tests its flag: M__P_nK */
    VARIANT_PLAIN,              /* the instance is unobserved: M__P_nK_plain */
    VARIANT_OBSERVED,           /* the instance is observed: M__P_nK_observed */
} Variant;

typedef struct Gen {
    Compiler *c;
    const char *mod;            /* module name: the prefix of every symbol */
    const char *fx_path;        /* the .fx as given: #line target */
    const char *fx_base;        /* its base name: banner, comments */
    bool lines;                 /* write #line directives */

    Buf *out;                   /* the file being written */
    const char *out_name;       /* "M.h" / "M.c": target of #line back */
    size_t counted;             /* bytes of *out whose newlines are in nl */
    int nl;

    /* the pipeline being written */
    const Decl *pipe;
    const char *api;            /* "M_P" */
    const char *pfx;            /* "M__P" */
    Vec comps;                  /* Comp *, index = component number */
    Variant variant;            /* the one being written (emit_component) */
} Gen;

/* One component of a pipeline: an expression node (under any `as`), or the
 * pipeline itself (n0). */
struct Comp {
    int id;
    Op op;
    const Expr *e;              /* NULL for n0; the call for combinators (options: expr_opt(e, …)) */
    const char *label;          /* name in the component table */
    const char *as_name;        /* the `as` name, or NULL: accessors are M_P_<as_name> */
    const Type *in, *out;
    const Decl *decl;           /* OP_STAGE, OP_PIPELINE */
    Loc loc;
    Comp **kids;
    size_t nkids;
};

/* How to write one op. Every hook but body is optional (NULL). Hooks write
 * with put() into g->out. */
typedef struct OpGen {
    const char *kind;           /* fx_component_kind of its table entry */
    bool checks_ctx;            /* a done context returns its error before the body */
    bool observed;              /* fx_observe_begin/end around the body */
    /* The body knows g->variant: in VARIANT_PLAIN it writes no
     * observability, in VARIANT_OBSERVED it writes it unconditionally, and
     * never uses `observed`. Such a component gets a plain and an observed
     * variant and a dispatcher between them (emit_component); the others
     * are written once, testing `observed` (the instance's flag). */
    bool variants;
    /* The body: declares `int rc` and leaves the component's result in it;
     * never returns (emit_component writes the epilogue). `p`, `ctx`, `in`
     * and `out` are in scope; kids are called as comp_fn(g, k->kids[i]). */
    void (*body)(Gen *g, const Comp *k);
    /* File-scope definitions the body needs (task structs, task functions
     * for the worker pool), written right before the component's function,
     * after the functions of its parts. */
    void (*prelude)(Gen *g, const Comp *k);
    /* Members of the instance struct (`    fx_circuit_breaker *cb_n3;\n`). */
    void (*members)(Gen *g, const Comp *k);
    /* Statements in M_P_new after the instance is allocated (p, rt in
     * scope); on failure they `goto fail;` (M_P_free then runs on p). */
    void (*init)(Gen *g, const Comp *k);
    /* Statements in M_P_free (p in scope, never NULL); members may be NULL
     * (a failed new). */
    void (*fini)(Gen *g, const Comp *k);
    /* For `... as NAME`: declarations in the header and definitions in the
     * source of the run-time accessors (SPEC §4: M_P_NAME). */
    void (*accessor_decl)(Gen *g, const Comp *k);
    void (*accessor_impl)(Gen *g, const Comp *k);
} OpGen;

typedef struct OpGenEntry {
    Op op;
    OpGen gen;
} OpGenEntry;

/* The extension tables, each ended by an entry with op OP_NONE. */
extern const OpGenEntry cg_flow_ops[];        /* cg_flow.c: fanout, fanin, parallel, map, router */
extern const OpGenEntry cg_batch_ops[];       /* cg_batch.c: buffer, mapreduce, filter, join_by_key */
extern const OpGenEntry cg_resilience_ops[];  /* cg_resilience.c: retry, timeout, breaker, ... */
extern const OpGenEntry cg_observe_ops[];     /* cg_observe.c: metrics, trace */

/* The generator of op, or NULL when the C back end cannot write it yet. */
const OpGen *cg_op(Op op);

/* ---- writing (codegen.c) */
void put(Gen *g, const char *fmt, ...) FXC_PRINTF(2, 3);
void line_fx(Gen *g, Loc loc);         /* `#line N "FILE.fx"` */
void line_back(Gen *g);                /* `#line N "M.c"` */
void put_comment_text(Gen *g, const char *s);
/* s made safe inside a C comment (no comment start or end, one line): for
 * names that come from .fx strings (metrics names become labels). */
const char *cg_comment(Compiler *c, const char *s);
const char *sprintf_intern(Compiler *c, const char *fmt, ...) FXC_PRINTF(2, 3);
const char *in_param(Compiler *c, const Type *t, const char *name);    /* "const Order *in" */
const char *out_param(Compiler *c, const Type *t, const char *name);   /* "Order *out" */
const char *zero_init(const Type *t);  /* "0", "{0}", "NULL", NULL for extern (memset) */
/* `T name = ZERO;` (memset for extern types), indented, with a comment. */
void put_zero_var(Gen *g, int indent, const Type *t, const char *name, const char *comment);
/* The name to call the user's C function `cfunc` by in generated code
 * ("M__call_cfunc": a static inline thunk no local can shadow). */
const char *cg_call(Gen *g, const char *cfunc);
/* `LHS CALL(ctx[, p->state.NAME], in, OUT);` at `indent`: the call of the
 * C function of stage k (OP_STAGE), with #line to it. */
void cg_stage_call(Gen *g, const Comp *k, int indent, const char *lhs, const char *out);
/* The static function of a component: "M__P_nK", or while a plain or
 * observed variant is written and k has variants, "M__P_nK_plain" or
 * "M__P_nK_observed": a variant calls its parts' variant of its kind. */
const char *comp_fn(Gen *g, const Comp *k);

/* ---- cg_flow.c */
/* The error code with which k hands back a usable output, or NULL: a map
 * with collect_errors (FX_EMULTI: every result, zero in the failed slots),
 * a filter (FX_EFILTERED: the output is the input), also through a chain
 * it ends and a pipeline, metrics or trace whose body it is: those then
 * copy their output on that code too, instead of leaving it untouched. */
const char *cg_partial_code(const Comp *k);

/* ---- cg_batch.c, cg_pools.c: module-level code of the batch family */
/* Source: the key tables (hash, equality, first-seen numbering) of every
 * key type a mapreduce or join_by_key of the module uses; before the
 * pipelines. Writes nothing when there is none. */
void cg_batch_source(Gen *g);
/* Header / source: the functions of every `pool` declaration (SPEC 5.5).
 * Write nothing when the module declares no pool. */
void cg_pools_header(Gen *g);
void cg_pools_source(Gen *g);

#endif /* FLUXC_CGEN_H */
