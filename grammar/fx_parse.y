/*
 * fx_parse.y — the .fx grammar (lemon).
 *
 * The parser builds the AST of gen/fluxc.h and nothing else: names are
 * resolved and types checked by sema.c. Combinator names are ordinary
 * identifiers here, so a new combinator needs no grammar change.
 *
 * Every pointer-valued nonterminal has a %destructor, so that a syntax error
 * part-way through a declaration leaks nothing. Tokens carry interned
 * strings (owned by the Compiler) and need no destructor.
 */

%name fxParse
%token_prefix FX_TK_
%token_type {Token}
%default_type {Token}
%extra_context {ParseState *ps}
%start_symbol file

%include {
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include "fluxc.h"

void fx_parse_report(ParseState *ps, const Token *found, const int *expected, size_t nexpected);
void fx_parse_overflow(ParseState *ps);

static Decl *decl_new(DeclKind kind, Loc loc)
{
    Decl *d = xcalloc(1, sizeof *d);
    d->kind = kind;
    d->loc = loc;
    return d;
}

static Expr *lit(ExprKind kind, Token t)
{
    Expr *e = ex_new(kind, t.loc);
    e->ival = t.ival;
    e->fval = t.fval;
    e->name = t.text;
    return e;
}

static void take_args(Expr *e, ArgList *l)
{
    e->args = l->items;
    e->nargs = l->len;
    l->items = NULL;
    l->len = 0;
    arglist_free(l);
}
}

%syntax_error {
    /* Work out every token that could have come next, by running the
     * parser's tables on a copy of its stack, then report them. */
    int expected[YYNTOKEN];
    size_t nexpected = 0;
    for (int tok = 1; tok < YYNTOKEN; tok++) {
        YYACTIONTYPE stack[YYSTACKDEPTH + 64];
        int n = 0;
        for (yyStackEntry *e = yypParser->yystack; e <= yypParser->yytos && n < YYSTACKDEPTH; e++)
            stack[n++] = e->stateno;
        YYACTIONTYPE act = stack[n - 1];
        for (int guard = 0; guard < 10000; guard++) {
            act = yy_find_shift_action((YYCODETYPE)tok, act);
            if (act >= YY_MIN_REDUCE && act != YY_ERROR_ACTION && act != YY_ACCEPT_ACTION &&
                act - YY_MIN_REDUCE < (int)(sizeof yyRuleInfoLhs / sizeof yyRuleInfoLhs[0])) {
                int rule = act - YY_MIN_REDUCE;
                n += yyRuleInfoNRhs[rule];
                if (n <= 0 || n >= YYSTACKDEPTH + 63)
                    break;
                act = yy_find_reduce_action(stack[n - 1], yyRuleInfoLhs[rule]);
                stack[n++] = act;
                continue;
            }
            if (act <= YY_MAX_SHIFTREDUCE || act == YY_ACCEPT_ACTION)
                expected[nexpected++] = tok;
            break;
        }
    }
    fx_parse_report(ps, &yyminor, expected, nexpected);
    ps->failed = true;
}

%parse_failure {
    ps->failed = true;
}

%stack_overflow {
    fx_parse_overflow(ps);
    ps->failed = true;
}

/* Tokens, in a fixed order (their numbers appear in nothing but this file). */
%token MODULE INCLUDE EXTERN TYPE STRUCT STAGE PIPELINE STREAM POOL WITH AS TRUE FALSE.
%token IDENT INT FLOAT DURATION RATE PERCENT STRING HEADER.
%token SEMI COLON COMMA LPAREN RPAREN LBRACE RBRACE LBRACKET RBRACKET LT GT ARROW PIPE EQ.
%token ERROR.

/* `name (` starts a call; a bare name before `(` is never a complete term. */
%nonassoc BARE.
%nonassoc LPAREN.
%left PIPE.
%left AS.

%type decl {Decl *}
%destructor decl { (void)ps; decl_free($$); }
%type type {TypeExpr *}
%destructor type { te_free($$); }
%type types {TypeList *}
%destructor types { typelist_free($$); }
%type expr {Expr *}
%destructor expr { ex_free($$); }
%type term {Expr *}
%destructor term { ex_free($$); }
%type args {ArgList *}
%destructor args { arglist_free($$); }
%type arglist {ArgList *}
%destructor arglist { arglist_free($$); }
%type arg {Arg}
%destructor arg { ex_free($$.value); }
%type entries {ArgList *}
%destructor entries { arglist_free($$); }
%type entrylist {ArgList *}
%destructor entrylist { arglist_free($$); }
%type entry {Arg}
%destructor entry { ex_free($$.value); }
%type fields {FieldList *}
%destructor fields { fieldlist_free($$); }
%type field {Field}
%destructor field { te_free($$.type); }
%type steps {StepList *}
%destructor steps { steplist_free($$); }
%type step {Step}
%destructor step { steps_free(&$$, 1); }
%type pool_opts {ArgList *}
%destructor pool_opts { arglist_free($$); }
%type state {Token}

file ::= decls.

decls ::= .
decls ::= decls decl(D). {
    Module *m = ps->module;
    D->order = (int)m->ndecls;
    m->decls = xrealloc(m->decls, (m->ndecls + 1) * sizeof *m->decls);
    m->decls[m->ndecls++] = D;
}
decls ::= decls MODULE(K) IDENT(N) SEMI. {
    Module *m = ps->module;
    if (m->has_module) {
        diag_error(ps->c, loc_join(K.loc, N.loc), "duplicate module declaration");
        diag_note(ps->c, m->name_loc, "module '%s' declared here", m->name);
    } else {
        m->has_module = true;
        m->name = N.text;
        m->name_loc = N.loc;
    }
}

decl(D) ::= INCLUDE(K) STRING(P) SEMI(E). {
    D = decl_new(D_INCLUDE, loc_join(K.loc, E.loc));
    D->path = P.text;
    D->name_loc = P.loc;
}
decl(D) ::= INCLUDE(K) HEADER(P) SEMI(E). {
    D = decl_new(D_INCLUDE, loc_join(K.loc, E.loc));
    D->path = P.text;
    D->system = true;
    D->name_loc = P.loc;
}
decl(D) ::= EXTERN(K) TYPE IDENT(N) SEMI(E). {
    D = decl_new(D_EXTERN, loc_join(K.loc, E.loc));
    D->name = N.text;
    D->name_loc = N.loc;
}
decl(D) ::= EXTERN(K) TYPE IDENT(N) STRING(S) SEMI(E). {
    D = decl_new(D_EXTERN, loc_join(K.loc, E.loc));
    D->name = N.text;
    D->name_loc = N.loc;
    D->c_spelling = S.text;
    D->cfunc_loc = S.loc;
}
decl(D) ::= STRUCT(K) IDENT(N) LBRACE fields(F) RBRACE(E). {
    D = decl_new(D_STRUCT, loc_join(K.loc, E.loc));
    D->name = N.text;
    D->name_loc = N.loc;
    D->fields = F->items;
    D->nfields = F->len;
    F->items = NULL;
    F->len = 0;
    fieldlist_free(F);
}
decl(D) ::= STAGE(K) IDENT(N) LPAREN type(I) RPAREN ARROW type(O) EQ IDENT(F) state(S) SEMI(E). {
    D = decl_new(D_STAGE, loc_join(K.loc, E.loc));
    D->name = N.text;
    D->name_loc = N.loc;
    D->in = I;
    D->out = O;
    D->cfunc = F.text;
    D->cfunc_loc = F.loc;
    D->state = S.text;
    D->state_loc = S.loc;
}
decl(D) ::= PIPELINE(K) IDENT(N) LPAREN type(I) RPAREN ARROW type(O) EQ expr(X) SEMI(E). {
    D = decl_new(D_PIPELINE, loc_join(K.loc, E.loc));
    D->name = N.text;
    D->name_loc = N.loc;
    D->in = I;
    D->out = O;
    D->body = X;
}
decl(D) ::= POOL(K) IDENT(N) COLON type(T) pool_opts(P) SEMI(E). {
    D = decl_new(D_POOL, loc_join(K.loc, E.loc));
    D->name = N.text;
    D->name_loc = N.loc;
    D->in = T;
    D->opts = P->items;
    D->nopts = P->len;
    P->items = NULL;
    P->len = 0;
    arglist_free(P);
}
decl(D) ::= STREAM(K) IDENT(N) LPAREN type(I) RPAREN ARROW type(O) LBRACE steps(S) RBRACE(E). {
    D = decl_new(D_STREAM, loc_join(K.loc, E.loc));
    D->name = N.text;
    D->name_loc = N.loc;
    D->in = I;
    D->out = O;
    D->steps = S->items;
    D->nsteps = S->len;
    S->items = NULL;
    S->len = 0;
    steplist_free(S);
}

state(S) ::= . { memset(&S, 0, sizeof S); }
state(S) ::= WITH IDENT(N). { S = N; }

pool_opts(P) ::= . { P = arglist_new(); }
pool_opts(P) ::= LPAREN arglist(A) RPAREN. { P = A; }

fields(F) ::= . { F = fieldlist_new(); }
fields(F) ::= fields(G) field(X). { F = G; fieldlist_push(F, X); }
field(F) ::= IDENT(N) COLON type(T) SEMI. {
    F.name = N.text;
    F.loc = N.loc;
    F.type = T;
}

type(T) ::= IDENT(N). { T = te_name(N.loc, N.text); }
type(T) ::= LBRACKET(L) type(E) RBRACKET(R). { T = te_slice(loc_join(L.loc, R.loc), E); }
type(T) ::= IDENT(N) LT types(A) GT(R). {
    T = te_generic(loc_join(N.loc, R.loc), N.text, A->items, A->len);
    A->items = NULL;
    A->len = 0;
    typelist_free(A);
}
types(L) ::= type(T). { L = typelist_new(); typelist_push(L, T); }
types(L) ::= types(M) COMMA type(T). { L = M; typelist_push(L, T); }

/* ---- expressions */

expr(X) ::= term(T). { X = T; }
expr(X) ::= expr(A) PIPE term(B). {
    X = ex_new(EX_PIPE, loc_join(A->loc, B->loc));
    X->lhs = A;
    X->rhs = B;
}

term(X) ::= IDENT(N). [BARE] {
    X = ex_new(EX_REF, N.loc);
    X->name = N.text;
    X->name_loc = N.loc;
}
term(X) ::= IDENT(N) LPAREN arglist(A) RPAREN(R). {
    X = ex_new(EX_CALL, loc_join(N.loc, R.loc));
    X->name = N.text;
    X->name_loc = N.loc;
    take_args(X, A);
}
term(X) ::= LPAREN(L) expr(E) RPAREN(R). {
    X = E;
    X->loc = loc_join(L.loc, R.loc);
}
term(X) ::= term(T) AS IDENT(N). {
    X = ex_new(EX_AS, loc_join(T->loc, N.loc));
    X->lhs = T;
    X->name = N.text;
    X->name_loc = N.loc;
}
term(X) ::= INT(T).      { X = lit(EX_INT, T); }
term(X) ::= FLOAT(T).    { X = lit(EX_FLOAT, T); }
term(X) ::= DURATION(T). { X = lit(EX_DURATION, T); }
term(X) ::= RATE(T).     { X = lit(EX_RATE, T); }
term(X) ::= PERCENT(T).  { X = lit(EX_PERCENT, T); }
term(X) ::= STRING(T).   { X = lit(EX_STRING, T); }
term(X) ::= TRUE(T).     { X = lit(EX_BOOL, T); X->ival = 1; }
term(X) ::= FALSE(T).    { X = lit(EX_BOOL, T); X->ival = 0; }
term(X) ::= LBRACE(L) entrylist(A) RBRACE(R). {
    X = ex_new(EX_MAP, loc_join(L.loc, R.loc));
    take_args(X, A);
}

/* Argument lists may be empty and may end with a comma. */
arglist(L) ::= . { L = arglist_new(); }
arglist(L) ::= args(A). { L = A; }
arglist(L) ::= args(A) COMMA. { L = A; }
args(L) ::= arg(A). { L = arglist_new(); arglist_push(L, A); }
args(L) ::= args(M) COMMA arg(A). { L = M; arglist_push(L, A); }
arg(A) ::= expr(E). { memset(&A, 0, sizeof A); A.value = E; }
arg(A) ::= IDENT(N) COLON expr(E). { A.name = N.text; A.name_loc = N.loc; A.value = E; }

entrylist(L) ::= . { L = arglist_new(); }
entrylist(L) ::= entries(A). { L = A; }
entrylist(L) ::= entries(A) COMMA. { L = A; }
entries(L) ::= entry(A). { L = arglist_new(); arglist_push(L, A); }
entries(L) ::= entries(M) COMMA entry(A). { L = M; arglist_push(L, A); }
entry(A) ::= IDENT(N) COLON expr(E). { A.name = N.text; A.name_loc = N.loc; A.value = E; }
entry(A) ::= STRING(N) COLON expr(E). { A.name = N.text; A.name_loc = N.loc; A.value = E; }

/* ---- stream bodies */

steps(L) ::= . { L = steplist_new(); }
steps(L) ::= steps(M) step(S). { L = M; steplist_push(L, S); }

step(S) ::= expr(E) SEMI. {
    memset(&S, 0, sizeof S);
    S.kind = STEP_STAGE;
    S.loc = E->loc;
    S.expr = E;
}
step(S) ::= expr(E) LPAREN arglist(A) RPAREN(R) SEMI. {
    memset(&S, 0, sizeof S);
    S.kind = STEP_STAGE;
    S.loc = loc_join(E->loc, R.loc);
    S.expr = E;
    S.opts = A->items;
    S.nopts = A->len;
    A->items = NULL;
    A->len = 0;
    arglist_free(A);
}
step(S) ::= IDENT(W) IDENT(K) LPAREN arglist(A) RPAREN(R) SEMI. {
    memset(&S, 0, sizeof S);
    S.kind = STEP_WINDOW;
    S.loc = loc_join(W.loc, R.loc);
    S.word = W.text;
    S.word_loc = W.loc;
    S.expr = ex_new(EX_CALL, loc_join(K.loc, R.loc));
    S.expr->name = K.text;
    S.expr->name_loc = K.loc;
    take_args(S.expr, A);
}
step(S) ::= IDENT(K) COLON(C) IDENT(P) SEMI. {
    memset(&S, 0, sizeof S);
    S.kind = STEP_ON_ERROR;
    S.loc = loc_join(K.loc, P.loc);
    S.word = P.text;
    S.word_loc = P.loc;
    /* the key itself must be on_error; sema says so if it is not */
    S.expr = ex_new(EX_REF, K.loc);
    S.expr->name = K.text;
    S.expr->name_loc = K.loc;
    (void)C;
}
