/*
 * fluxc.h — the one internal header of the fluxus compiler.
 *
 * One section per phase, in pipeline order: memory and strings, sources and
 * locations, diagnostics, tokens and the lexer, the AST and the parser,
 * types, the checker (sema), and the back ends (C, stubs, dot, deps).
 *
 * Ownership: everything a compilation allocates hangs off one `Compiler`
 * (interned strings, types, the AST) and is released by compiler_free().
 * Nothing here is thread-safe; a Compiler is used by one thread.
 */
#ifndef FLUXC_H
#define FLUXC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifndef FLUXC_VERSION
#define FLUXC_VERSION "0.0.0"
#endif

#if defined(__GNUC__)
#define FXC_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define FXC_PRINTF(f, a)
#endif

typedef struct Compiler Compiler;

/* ------------------------------------------------------------ util.c */

void *xmalloc(size_t n);                 /* aborts on OOM: a compiler has no way on */
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* A growable byte buffer; `data` is always NUL-terminated. */
typedef struct Buf {
    char *data;
    size_t len, cap;
} Buf;
void buf_init(Buf *b);
void buf_free(Buf *b);
void buf_putc(Buf *b, char c);
void buf_puts(Buf *b, const char *s);
void buf_putn(Buf *b, const char *s, size_t n);
void buf_printf(Buf *b, const char *fmt, ...) FXC_PRINTF(2, 3);
void buf_vprintf(Buf *b, const char *fmt, va_list ap);

/* A growable array of pointers. */
typedef struct Vec {
    void **items;
    size_t len, cap;
} Vec;
void vec_push(Vec *v, void *item);
void vec_free(Vec *v);

/* A map from string keys (compared by content; the caller keeps them alive,
 * e.g. interned) to pointers. Lookups are O(1) on average. */
typedef struct StrMap {
    const char **keys;
    void **values;
    size_t cap, count;
} StrMap;
void *strmap_get(const StrMap *m, const char *key);   /* NULL when absent */
void  strmap_put(StrMap *m, const char *key, void *value);   /* replaces */
void  strmap_free(StrMap *m);

/* Interned strings: equal text, equal pointer. Owned by the Compiler. */
const char *intern(Compiler *c, const char *s, size_t n);
const char *intern_cstr(Compiler *c, const char *s);

/* Levenshtein distance, for "did you mean" suggestions. */
size_t edit_distance(const char *a, const char *b);

/* ------------------------------------------------------------ sources, locations */

typedef struct Source {
    const char *path;   /* as given on the command line; printed in diagnostics */
    char *text;         /* whole file, NUL-terminated (owned) */
    size_t len;
} Source;

/* A span of source text. `len` may cross lines; diagnostics underline the
 * part on the first line. line and col are 1-based (col counts bytes). */
typedef struct Loc {
    const Source *src;
    const char *p;
    int line, col;
    unsigned len;
} Loc;

/* The span from the start of a to the end of b. */
Loc loc_join(Loc a, Loc b);
/* The source text of a span, whitespace runs folded to one space (interned). */
const char *loc_text(Compiler *c, Loc l);

/* ------------------------------------------------------------ diag.c */

typedef enum DiagLevel { DIAG_ERROR, DIAG_NOTE } DiagLevel;

enum { DIAG_MAX_ERRORS = 25 };

/* Reports `path:line:col: error: MESSAGE`, the source line and a caret under
 * the span. Notes attach to the error before them. All diagnostics go through
 * here; they are written to the Compiler's sink (stderr by default).
 * After DIAG_MAX_ERRORS errors it prints one "too many errors" line and then
 * swallows the rest (the count still grows). */
void diag(Compiler *c, DiagLevel level, Loc loc, const char *fmt, ...) FXC_PRINTF(4, 5);
void diag_v(Compiler *c, DiagLevel level, Loc loc, const char *fmt, va_list ap);
void diag_error(Compiler *c, Loc loc, const char *fmt, ...) FXC_PRINTF(3, 4);
void diag_note(Compiler *c, Loc loc, const char *fmt, ...) FXC_PRINTF(3, 4);
/* An error with no source location (I/O, usage): `fluxc: error: …`. */
void diag_plain(Compiler *c, const char *fmt, ...) FXC_PRINTF(2, 3);
int  diag_errors(const Compiler *c);

/* ------------------------------------------------------------ tokens, lexer (grammar/fx_lex.re) */

typedef enum LitKind { LIT_NONE, LIT_INT, LIT_FLOAT, LIT_DURATION, LIT_RATE, LIT_PERCENT, LIT_STRING } LitKind;

/* A token. Token codes are the lemon FX_TK_* constants (fx_parse.h), plus 0
 * for end of input. Identifiers and strings are interned. */
typedef struct Token {
    int kind;
    Loc loc;
    const char *text;   /* identifier name, string value (unescaped), header path */
    LitKind lit;
    int64_t ival;       /* LIT_INT; LIT_DURATION in nanoseconds */
    double fval;        /* LIT_FLOAT; LIT_RATE per second; LIT_PERCENT 0..100 */
} Token;

typedef struct Lexer {
    Compiler *c;
    const Source *src;
    const unsigned char *cur, *lim, *tok, *mark;
    const unsigned char *line_start;
    int line;
    int prev_kind;      /* the token before: `include` switches `<…>` to a header path */
} Lexer;

void lexer_init(Lexer *lx, Compiler *c, const Source *src);
/* The next token; kind 0 at end of input. A lexical error is reported through
 * diag and returns the token FX_TK_ERROR. */
Token lexer_next(Lexer *lx);
/* The name of a token kind for "expected X, found Y" messages. */
const char *token_kind_name(int kind);
/* "identifier 'Order'", "integer 42", "'->'", "end of file" */
const char *token_describe(Compiler *c, const Token *t);

/* ------------------------------------------------------------ AST (ast.c), parser (grammar/fx_parse.y, parse.c) */

typedef struct Type Type;
typedef struct Decl Decl;
typedef struct Expr Expr;

typedef enum TypeExprKind { TE_NAME, TE_SLICE, TE_GENERIC } TypeExprKind;

/* A type as written. Resolved by sema into `resolved`. */
typedef struct TypeExpr {
    TypeExprKind kind;
    Loc loc;
    const char *name;          /* TE_NAME, TE_GENERIC (KeyValue, Group) */
    struct TypeExpr *elem;     /* TE_SLICE */
    struct TypeExpr **args;    /* TE_GENERIC */
    size_t nargs;
    const Type *resolved;
} TypeExpr;

typedef enum ExprKind {
    EX_REF,        /* a name: stage, pipeline, C function, or bare word (inf, skip) */
    EX_PIPE,       /* lhs |> rhs */
    EX_CALL,       /* callee(args) */
    EX_AS,         /* inner as name */
    EX_INT, EX_FLOAT, EX_DURATION, EX_RATE, EX_PERCENT, EX_STRING, EX_BOOL,
    EX_MAP,        /* { key: value, … } */
} ExprKind;

/* An argument, or an entry of a { } map: `name` is NULL when positional. */
typedef struct Arg {
    const char *name;
    Loc name_loc;
    Expr *value;
} Arg;

/* What a component expression does once checked (sema fills `op`). */
typedef enum Op {
    OP_NONE = 0,
    OP_STAGE, OP_PIPELINE, OP_CHAIN, OP_AS,
    OP_FANOUT, OP_FANIN, OP_PARALLEL, OP_MAP, OP_BUFFER, OP_POOLED_BUFFER,
    OP_MAPREDUCE, OP_FILTER, OP_ROUTER, OP_JOIN_BY_KEY,
    OP_RETRY, OP_TIMEOUT, OP_CIRCUIT_BREAKER, OP_RATE_LIMIT, OP_DLQ,
    OP_ON_ERROR, OP_METRICS, OP_TRACE,
    OP__COUNT
} Op;

struct Expr {
    ExprKind kind;
    Loc loc;                   /* the whole expression */
    /* EX_REF, EX_AS (the name), EX_CALL (the callee), EX_STRING (value) */
    const char *name;
    Loc name_loc;
    Expr *lhs, *rhs;           /* EX_PIPE; EX_AS uses lhs */
    Arg *args;                 /* EX_CALL, EX_MAP */
    size_t nargs;
    int64_t ival;              /* EX_INT, EX_DURATION (ns), EX_BOOL */
    double fval;               /* EX_FLOAT, EX_RATE (/s), EX_PERCENT */

    /* Filled by sema for component expressions. */
    Op op;
    const Type *in, *out;
    const Decl *decl;          /* OP_STAGE, OP_PIPELINE: what the name refers to */
    Expr **parts;              /* the component's sub-components in order, see below */
    size_t nparts;
    const char *label;         /* the component's name for metrics, spans and the
                                  picture: stage/pipeline name, `as` name,
                                  metrics/trace name:, or the combinator's name */
};
/* parts by op:
 *   OP_STAGE        none (decl = the stage)
 *   OP_PIPELINE     parts[0] = the nested pipeline's body (decl = the pipeline)
 *   OP_CHAIN        the members, flattened (`a |> b |> c` and chain(a, b, c));
 *                   an inner `|>` node, reachable only through the outer
 *                   one's lhs, keeps parts = {lhs, rhs}: back ends read the
 *                   outermost node only
 *   OP_AS           parts[0] = the named component; name = the `as` name
 *   OP_FANOUT, OP_PARALLEL   the stages (parallel's reduce: is an option)
 *   OP_MAPREDUCE    parts[0] = mapper, parts[1] = reducer
 *   OP_ROUTER       parts[0] = selector, parts[1..] = routes
 *   everything else parts[0] = the wrapped stage or the argument stage
 * Options stay in args; after sema they are valid and expr_opt() finds them. */

typedef enum DeclKind {
    D_INCLUDE, D_EXTERN, D_STRUCT, D_STAGE, D_PIPELINE, D_POOL, D_STREAM
} DeclKind;

typedef struct Field {
    const char *name;
    Loc loc;
    TypeExpr *type;
} Field;

/* A stream step: an expression with optional step options, a window, or
 * `on_error: policy`. */
typedef enum StepKind { STEP_STAGE, STEP_WINDOW, STEP_ON_ERROR } StepKind;
typedef struct Step {
    StepKind kind;
    Loc loc;
    Expr *expr;                /* STEP_STAGE: the stage expression; STEP_WINDOW: the call tumbling(...) */
    Arg *opts;                 /* STEP_STAGE options (workers:, queue:, ordered:) */
    size_t nopts;
    const char *word;          /* STEP_WINDOW: "window" as written; STEP_ON_ERROR: the policy */
    Loc word_loc;
} Step;

struct Decl {
    DeclKind kind;
    Loc loc;                   /* the whole declaration */
    const char *name;          /* not for D_INCLUDE */
    Loc name_loc;

    /* D_INCLUDE */
    const char *path;          /* header path as written, without quotes/brackets */
    bool system;               /* <…> */
    /* D_EXTERN */
    const char *c_spelling;    /* NULL when the C name equals the fx name */
    /* D_STRUCT */
    Field *fields;
    size_t nfields;
    /* D_STAGE, D_PIPELINE, D_STREAM, D_POOL (in = the pooled type) */
    TypeExpr *in, *out;
    const char *cfunc;         /* D_STAGE: the C function */
    Loc cfunc_loc;
    const char *state;         /* D_STAGE: `with State` C type, or NULL */
    Loc state_loc;
    Expr *body;                /* D_PIPELINE */
    Arg *opts;                 /* D_POOL */
    size_t nopts;
    Step *steps;               /* D_STREAM */
    size_t nsteps;

    const Type *type;          /* sema: D_STRUCT, D_EXTERN: the declared type */
    const Type *in_t, *out_t;  /* sema: D_STAGE, D_PIPELINE, D_STREAM, D_POOL(in_t) */
    int order;                 /* declaration order */
};

typedef struct Module {
    const char *name;
    Loc name_loc;
    bool has_module;
    Decl **decls;
    size_t ndecls;
} Module;

/* ast.c: constructors used by the grammar and destructors used by lemon's
 * %destructor and by compiler_free. Every node is malloc'd. */
TypeExpr *te_name(Loc loc, const char *name);
TypeExpr *te_slice(Loc loc, TypeExpr *elem);
TypeExpr *te_generic(Loc loc, const char *name, TypeExpr **args, size_t nargs);
void      te_free(TypeExpr *t);
Expr     *ex_new(ExprKind kind, Loc loc);
void      ex_free(Expr *e);
void      args_free(Arg *args, size_t n);
void      decl_free(Decl *d);
void      steps_free(Step *s, size_t n);
void      module_free(Module *m);

/* Lists built by the grammar: a growable array plus its length. */
typedef struct ArgList  { Arg *items; size_t len, cap; } ArgList;
typedef struct FieldList { Field *items; size_t len, cap; } FieldList;
typedef struct TypeList { TypeExpr **items; size_t len, cap; } TypeList;
typedef struct StepList { Step *items; size_t len, cap; } StepList;
ArgList   *arglist_new(void);
void       arglist_push(ArgList *l, Arg a);
void       arglist_free(ArgList *l);
FieldList *fieldlist_new(void);
void       fieldlist_push(FieldList *l, Field f);
void       fieldlist_free(FieldList *l);
TypeList  *typelist_new(void);
void       typelist_push(TypeList *l, TypeExpr *t);
void       typelist_free(TypeList *l);
StepList  *steplist_new(void);
void       steplist_push(StepList *l, Step s);
void       steplist_free(StepList *l);

/* The parser's state (lemon %extra_context). */
typedef struct ParseState {
    Compiler *c;
    Module *module;            /* the result; decls appended as parsed */
    bool failed;               /* a syntax error was reported */
    Loc eof_loc;
} ParseState;

/* parse.c: lexes and parses a source into c->module. Returns false after
 * reporting syntax errors (parsing stops at the first). */
bool parse_source(Compiler *c, const Source *src);

/* ------------------------------------------------------------ types.c */

typedef enum TypeKind {
    TY_BOOL, TY_I8, TY_I16, TY_I32, TY_I64, TY_U8, TY_U16, TY_U32, TY_U64,
    TY_F32, TY_F64, TY_USIZE, TY_STR,
    TY_SLICE, TY_KV, TY_GROUP, TY_STRUCT, TY_EXTERN
} TypeKind;

/* Types are hash-consed: two types are equal iff their pointers are. */
struct Type {
    TypeKind kind;
    const Type *elem;          /* TY_SLICE */
    const Type *key, *value;   /* TY_KV, TY_GROUP */
    const Decl *decl;          /* TY_STRUCT, TY_EXTERN */
    const char *fx_name;       /* spelling in .fx: "str", "[Order]", "KeyValue<str, i64>" */
    const char *mangled;       /* "str", "slice_Order", "kv_str_i64", "group_i64_Order" */
    const char *c_name;        /* C spelling: "const char *", "fx_slice_Order", "struct payment" */
};

const Type *type_builtin(Compiler *c, TypeKind k);
const Type *type_builtin_named(Compiler *c, const char *name);   /* "i64" → type, or NULL */
const Type *type_slice(Compiler *c, const Type *elem);
const Type *type_kv(Compiler *c, const Type *key, const Type *value);
const Type *type_group(Compiler *c, const Type *key, const Type *value);
const Type *type_decl(Compiler *c, const Decl *d);              /* struct or extern */
bool        type_is_hashable(const Type *t);
bool        type_is_integer(const Type *t);
/* C declaration of a variable of type t named `name` ("const char *x"). */
const char *type_c_decl(Compiler *c, const Type *t, const char *name);
/* The C spelling of `const T *` for a stage input ("const char *const *"). */
const char *type_c_const_ptr(Compiler *c, const Type *t);
/* Every composite type (slice, KeyValue, Group) made so far, creation order. */
const Vec  *types_composite(const Compiler *c);

/* ------------------------------------------------------------ sema.c */

/* Checks the whole module; reports every error it finds (up to the limit).
 * On success, every pipeline body is annotated (Expr.op, in, out, parts,
 * opts, decl) and Decl.type / in_t / out_t are set. */
bool sema_check(Compiler *c);

/* The declaration named `name`, or NULL. */
const Decl *sema_lookup(const Compiler *c, const char *name);
/* A checked call's named option (`attempts: 3` → the INT expr), or NULL
 * when it was not given. `name` need not be interned. */
const Expr *expr_opt(const Expr *call, const char *name);
/* The name of a combinator op ("fanout"), or "stage"/"pipeline"/"chain". */
const char *op_name(Op op);

/* ------------------------------------------------------------ back ends */

typedef struct Options {
    const char *input;         /* the .fx path */
    const char *out_dir;       /* -o, or NULL */
    enum { EMIT_C, EMIT_STUBS, EMIT_DOT, EMIT_DEPS } emit;
    bool check_only;
    bool line_directives;      /* false with --no-line */
    bool write_deps;           /* -MD */
} Options;

/* Each back end renders into memory; the driver writes files only when the
 * whole compilation succeeded. Return false after reporting an error. */
bool codegen_c(Compiler *c, const Options *o, Buf *header, Buf *source);
bool emit_stubs(Compiler *c, Buf *out);
bool emit_dot(Compiler *c, Buf *out);
void emit_deps(Compiler *c, const Options *o, const char *target_dir, Buf *out);

/* templates (built from templates/ into the binary): the text of a template
 * by file name ("header.h.in"), or NULL. */
const char *template_get(const char *name);
/* Appends template `name` to out with every ${KEY} replaced by its value
 * from the NULL-terminated key/value list. An unknown key aborts: it is a
 * bug in fluxc, caught by the tests. */
void template_render(Buf *out, const char *name, const char *const *kv);

/* ------------------------------------------------------------ compiler.c */

struct Compiler {
    FILE *diag_out;            /* diagnostics sink (stderr) */
    int nerrors;
    bool in_error;             /* notes attach to a printed error */
    Source *src;
    Module *module;
    struct InternTable *strings;
    struct TypeTable *types;
    struct SemaState *sema;
};

Compiler *compiler_new(FILE *diag_out);
void      compiler_free(Compiler *c);
/* Reads a file into a Source owned by the compiler. false + diagnostic on I/O error. */
bool      compiler_load(Compiler *c, const char *path);
/* Uses `text` (copied) as the source named `path`: for tests and the fuzzer. */
void      compiler_load_text(Compiler *c, const char *path, const char *text, size_t len);
/* Front end on the loaded source: parse + check. */
bool      compiler_check(Compiler *c);

#endif /* FLUXC_H */
