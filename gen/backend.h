/*
 * backend.h — what the back ends (codegen.c, emit_stubs.c, emit_dot.c,
 * emit_deps.c) share. Their entry points are in fluxc.h; this is only the
 * common vocabulary: the C functions the user writes, and C spellings.
 * Strings returned here are interned (owned by the Compiler).
 */
#ifndef FLUXC_BACKEND_H
#define FLUXC_BACKEND_H

#include "fluxc.h"

/* A C function the user writes: a stage's function, or a function named by
 * a combinator option (on_error's handler, retry_if, dlq's handler, ...). */
typedef struct UserFunc {
    const char *name;       /* the C name */
    const char *proto;      /* "int parse_order(fx_ctx *ctx, const char *const *in, Order *out)" */
    const char *what;       /* "stage parse(str) -> Order", "on_error handler of pipeline process" */
    Loc loc;                /* where the .fx binds it */
    const char *stub_body;  /* statements of a stub that compiles, 4-space indented, '\n'-ended */
} UserFunc;

/* Every user C function of the module, in declaration order (a pipeline's
 * option functions in the order they appear), each name once. Appends
 * UserFunc * (owned by the caller: free with user_funcs_free). */
void user_funcs(Compiler *c, Vec *out);
void user_funcs_free(Vec *v);

/* "dir/orders.fx" → "orders.fx" */
const char *base_name(const char *path);

/* Appends s as a C string literal, quotes included. */
void put_c_string(Buf *b, const char *s);

/* `ctype` followed by `name`, with a space only when needed:
 * ("const char *", "*out") → "const char **out", ("Order", "x") → "Order x". */
const char *c_join(Compiler *c, const char *ctype, const char *name);

/* The C type of a stage's `with State`: the C spelling of a declared struct
 * or extern type of that name, else the name itself. NULL without state. */
const char *stage_state_ctype(Compiler *c, const Decl *stage);

/* The component under any `as` (which only names it). */
const Expr *skip_as(const Expr *e);

#endif /* FLUXC_BACKEND_H */
