/* cg_batch.c — code generators for the batch and keyed combinators: buffer,
 * pooled_buffer, mapreduce, filter, join_by_key (SPEC §2.4, §5.4).
 *
 * Each row of the table at the end is one op (cgen.h). An op with no row is
 * type-checked by sema, and fluxc reports that it cannot generate it yet.
 *
 * Results live in the context arena. The shuffle of mapreduce and the
 * grouping of join_by_key go through a key table generated once per key
 * type (cg_batch_source): typed keys, typed hash and equality, no void *.
 */
#include <string.h>

#include "backend.h"
#include "cgen.h"

/* ------------------------------------------------------------ small helpers */

/* s as a C string literal (interned). */
static const char *lit(Gen *g, const char *s)
{
    Buf b;
    buf_init(&b);
    put_c_string(&b, s);
    const char *r = intern_cstr(g->c, b.data);
    buf_free(&b);
    return r;
}

/* "&M__P_components[K]": the component's table entry, for events. */
static const char *comp_entry(Gen *g, const Comp *k)
{
    return sprintf_intern(g->c, "&%s_components[%d]", g->pfx, k->id);
}

/* "T *name" */
static const char *ptr_decl(Gen *g, const Type *t, const char *name)
{
    return c_join(g->c, c_join(g->c, t->c_name, "*"), name);
}

static long long int_opt(const Comp *k, const char *name, long long dflt)
{
    const Expr *v = k->e != NULL ? expr_opt(k->e, name) : NULL;
    return v != NULL ? (long long)v->ival : dflt;
}

/* `rc = fx__stage_fail(ctx, FX_ENOMEM, LABEL);` at indent. */
static void put_nomem(Gen *g, int indent, const Comp *k)
{
    put(g, "%*src = fx__stage_fail(ctx, FX_ENOMEM, %s);\n", indent, "", lit(g, k->label));
}

/* ------------------------------------------------------------ key tables
 *
 * For every key type K of a mapreduce or join_by_key in the module, the
 * source gets, once:
 *
 *   M__hash_K(const K *)                 64-bit hash (splitmix64 mixing per
 *   M__equal_K(const K *, const K *)     field; FNV-1a over a string's bytes,
 *                                        alone for a str key)
 *   M__keys_K                            distinct keys numbered in order of
 *   M__keys_K_init(t, ctx, nslots)       first appearance, with the number
 *   M__keys_K_group(t, &key)             of items of each, found through an
 *                                        open-addressing table (linear
 *                                        probing) that doubles as keys come
 *
 * A keyed component's instance remembers the size its table ended a run
 * with (M__keys_start), so a steady workload starts each run with a table
 * big enough: no growing, and only the slots it needs to clear.
 *
 * A struct key hashes and compares field by field (nested structs through
 * their own M__hash_/M__equal_, written first). Strings compare by content;
 * NULL equals only NULL. */

typedef struct KeyGen {
    Gen *g;
    Vec keys;          /* key types of tables, first use order */
    Vec hashed;        /* types with hash/equal functions, dependencies first */
    bool text;         /* some hashed type holds a str */
    bool mix;          /* some hashed type is not a str (its hash goes through the mixer) */
} KeyGen;

static bool vec_has(const Vec *v, const void *p)
{
    for (size_t i = 0; i < v->len; i++)
        if (v->items[i] == p)
            return true;
    return false;
}

/* t gets M__hash_/M__equal_ functions: a key type, or a struct inside one
 * (other fields are hashed and compared in line). */
static void need_hash(KeyGen *kg, const Type *t, int depth)
{
    if (vec_has(&kg->hashed, t) || depth > 64)
        return;
    if (t->kind == TY_STR)
        kg->text = true;
    else
        kg->mix = true;
    if (t->kind == TY_STRUCT) {
        for (size_t i = 0; i < t->decl->nfields; i++) {
            const TypeExpr *te = t->decl->fields[i].type;
            if (te == NULL || te->resolved == NULL)
                continue;
            if (te->resolved->kind == TY_STRUCT)
                need_hash(kg, te->resolved, depth + 1);
            else if (te->resolved->kind == TY_STR)
                kg->text = true;
        }
    }
    vec_push(&kg->hashed, (void *)t);
}

static void collect_keys(KeyGen *kg, const Expr *e)
{
    e = skip_as(e);
    if (e == NULL)
        return;
    const Type *key = NULL;
    if (e->op == OP_MAPREDUCE && e->nparts > 0 && e->parts[0]->out != NULL)
        key = e->parts[0]->out->key;
    else if (e->op == OP_JOIN_BY_KEY && e->nparts > 0)
        key = e->parts[0]->out;
    if (key != NULL && !vec_has(&kg->keys, key)) {
        vec_push(&kg->keys, (void *)key);
        need_hash(kg, key, 0);
    }
    if (e->op == OP_PIPELINE)
        return;   /* its own declaration is walked too */
    for (size_t i = 0; i < e->nparts; i++)
        collect_keys(kg, e->parts[i]);
}

/* The statement that folds field (or value) `v` of type t into h. */
static void put_hash_step(Gen *g, const Type *t, const char *v)
{
    if (t->kind == TY_STR)
        put(g, "    h = %s__hash_mix(h, %s__hash_text(%s));\n", g->mod, g->mod, v);
    else if (t->kind == TY_STRUCT)
        put(g, "    h = %s__hash_mix(h, %s__hash_%s(&%s));\n", g->mod, g->mod, t->mangled, v);
    else
        put(g, "    h = %s__hash_mix(h, (uint64_t)%s);\n", g->mod, v);
}

/* An expression: are a and b (lvalues of type t) equal? */
static const char *equal_expr(Gen *g, const Type *t, const char *a, const char *b)
{
    if (t->kind == TY_STR)
        return sprintf_intern(g->c, "(%s == %s || (%s != NULL && %s != NULL && strcmp(%s, %s) == 0))", a, b,
                              a, b, a, b);
    if (t->kind == TY_STRUCT)
        return sprintf_intern(g->c, "%s__equal_%s(&%s, &%s)", g->mod, t->mangled, a, b);
    return sprintf_intern(g->c, "%s == %s", a, b);
}

/* M__hash_T: a str key is hashed by its text alone (FNV-1a, whose low bits
 * are what the key table indexes by); other keys go through the mixer. */
static void put_hash_function(Gen *g, const Type *t)
{
    Compiler *c = g->c;
    put(g, "\n/* %s as a key: hash and equality */\n", t->fx_name);
    put(g, "static uint64_t %s__hash_%s(%s)\n{\n", g->mod, t->mangled, in_param(c, t, "k"));
    if (t->kind == TY_STR) {
        put(g, "    return %s__hash_text(*k);\n}\n\n", g->mod);
        return;
    }
    put(g, "    uint64_t h = 0;\n");
    if (t->kind == TY_STRUCT) {
        for (size_t i = 0; i < t->decl->nfields; i++) {
            const TypeExpr *te = t->decl->fields[i].type;
            if (te != NULL && te->resolved != NULL)
                put_hash_step(g, te->resolved, sprintf_intern(c, "k->%s", t->decl->fields[i].name));
        }
        if (t->decl->nfields == 0)
            put(g, "    (void)k;\n");
    } else {
        put_hash_step(g, t, "*k");
    }
    put(g, "    return h;\n}\n\n");
}

static void put_hash_functions(Gen *g, const Type *t)
{
    Compiler *c = g->c;
    put_hash_function(g, t);
    put(g, "static bool %s__equal_%s(%s, %s)\n{\n", g->mod, t->mangled, in_param(c, t, "a"), in_param(c, t, "b"));
    if (t->kind == TY_STRUCT) {
        if (t->decl->nfields == 0) {
            put(g, "    (void)a;\n    (void)b;\n    return true;\n}\n");
            return;
        }
        put(g, "    return ");
        bool first = true;
        for (size_t i = 0; i < t->decl->nfields; i++) {
            const TypeExpr *te = t->decl->fields[i].type;
            if (te == NULL || te->resolved == NULL)
                continue;
            const char *f = t->decl->fields[i].name;
            put(g, "%s%s", first ? "" : "\n        && ",
                equal_expr(g, te->resolved, sprintf_intern(c, "a->%s", f), sprintf_intern(c, "b->%s", f)));
            first = false;
        }
        put(g, ";\n}\n");
    } else {
        put(g, "    return %s;\n}\n", equal_expr(g, t, "*a", "*b"));
    }
}

static void put_key_table(Gen *g, const Type *t)
{
    const char *m = g->mod, *tn = t->mangled;
    const char *tab = sprintf_intern(g->c, "%s__keys_%s", m, tn);
    put(g, "\n/* Distinct %s keys numbered in order of first appearance (group g has\n"
           " * key keys[g] and sizes[g] items so far): the shuffle of mapreduce and the\n"
           " * grouping of join_by_key. Open addressing with linear probing, at most half\n"
           " * full: it doubles as groups come. Everything is in ctx's arena. */\n", t->fx_name);
    put(g, "typedef struct %s {\n"
           "    %s;\n"
           "    size_t *sizes;\n"
           "    size_t len;   /* groups so far; room for (mask + 1) / 2 */\n"
           "    %s__key_slot *slots;\n"
           "    size_t mask;   /* number of slots - 1 (a power of two) */\n"
           "    fx_ctx *ctx;\n"
           "} %s;\n\n", tab, ptr_decl(g, t, "keys"), m, tab);
    put(g, "/* An empty table of nslots slots (a power of two, at least 2): 0 or FX_ENOMEM. */\n"
           "static int %s_init(%s *t, fx_ctx *ctx, size_t nslots)\n{\n"
           "    const size_t room = nslots / 2;\n"
           "    if (nslots > SIZE_MAX / sizeof *t->slots || room > SIZE_MAX / sizeof *t->keys || room >= UINT32_MAX)\n"
           "        return FX_ENOMEM;   /* group + 1 must fit a slot */\n"
           "    t->keys = fx_alloc(ctx, room * sizeof *t->keys);\n"
           "    t->sizes = fx_alloc(ctx, room * sizeof *t->sizes);\n"
           "    t->slots = fx_alloc(ctx, nslots * sizeof *t->slots);\n"
           "    if (t->keys == NULL || t->sizes == NULL || t->slots == NULL)\n"
           "        return FX_ENOMEM;\n"
           "    memset(t->slots, 0, nslots * sizeof *t->slots);\n"
           "    t->len = 0;\n"
           "    t->mask = nslots - 1;\n"
           "    t->ctx = ctx;\n"
           "    return 0;\n}\n\n", tab, tab);
    put(g, "/* Twice the slots, the groups kept: 0 or FX_ENOMEM (t unchanged). */\n"
           "static int %s_grow(%s *t)\n{\n"
           "    %s bigger;\n"
           "    if (t->mask + 1 > SIZE_MAX / 2 || %s_init(&bigger, t->ctx, 2 * (t->mask + 1)) != 0)\n"
           "        return FX_ENOMEM;\n"
           "    memcpy(bigger.keys, t->keys, t->len * sizeof *t->keys);\n"
           "    memcpy(bigger.sizes, t->sizes, t->len * sizeof *t->sizes);\n"
           "    bigger.len = t->len;\n"
           "    for (size_t s = 0; s <= t->mask; s++) {\n"
           "        if (t->slots[s].group == 0)\n"
           "            continue;\n"
           "        size_t to = (size_t)%s__hash_%s(&t->keys[t->slots[s].group - 1]) & bigger.mask;\n"
           "        while (bigger.slots[to].group != 0)\n"
           "            to = (to + 1) & bigger.mask;\n"
           "        bigger.slots[to] = t->slots[s];\n"
           "    }\n"
           "    *t = bigger;\n"
           "    return 0;\n}\n\n", tab, tab, tab, tab, m, tn);
    put(g, "/* A new group for *key (whose hash is h), the table grown first when it\n"
           " * would be more than half full: the group, or SIZE_MAX when it cannot grow. */\n"
           "static size_t %s_add(%s *t, %s, uint64_t h)\n{\n"
           "    if (2 * (t->len + 1) > t->mask + 1 && %s_grow(t) != 0)\n"
           "        return SIZE_MAX;\n"
           "    size_t s = (size_t)h & t->mask;\n"
           "    while (t->slots[s].group != 0)\n"
           "        s = (s + 1) & t->mask;\n"
           "    t->keys[t->len] = *key;\n"
           "    t->sizes[t->len] = 1;\n"
           "    t->slots[s] = (%s__key_slot){(uint32_t)(t->len + 1), (uint32_t)(h >> 32)};\n"
           "    return t->len++;\n}\n\n",
        tab, tab, in_param(g->c, t, "key"), tab, m);
    put(g, "/* The group of *key, one more item in it: the group an equal key got\n"
           " * before, or the next new one. SIZE_MAX when the table cannot grow. */\n"
           "static inline size_t %s_group(%s *t, %s)\n{\n"
           "    const uint64_t h = %s__hash_%s(key);\n"
           "    for (size_t s = (size_t)h & t->mask; t->slots[s].group != 0; s = (s + 1) & t->mask) {\n"
           "        const size_t group = t->slots[s].group - 1;\n"
           "        if (t->slots[s].tag == (uint32_t)(h >> 32) && %s__equal_%s(&t->keys[group], key)) {\n"
           "            t->sizes[group]++;\n"
           "            return group;\n"
           "        }\n"
           "    }\n"
           "    return %s_add(t, key, h);\n}\n",
        tab, tab, in_param(g->c, t, "key"), m, tn, m, tn, tab);
}

void cg_batch_source(Gen *g)
{
    const Module *mod = g->c->module;
    KeyGen kg = {g, {0}, {0}, false, false};
    for (size_t i = 0; i < mod->ndecls; i++)
        if (mod->decls[i]->kind == D_PIPELINE)
            collect_keys(&kg, mod->decls[i]->body);
    if (kg.keys.len == 0)
        return;
    const char *m = g->mod;
    put(g, "\n/* ================================================================ key tables\n"
           " * Hash, equality and a table of distinct keys per key type of a mapreduce\n"
           " * or join_by_key: monomorphized, no void *. */\n\n");
    if (kg.mix)
        put(g, "/* Folds v into h (splitmix64's finalizer). */\n"
               "static uint64_t %s__hash_mix(uint64_t h, uint64_t v)\n{\n"
               "    v += h + UINT64_C(0x9e3779b97f4a7c15);\n"
               "    v = (v ^ (v >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);\n"
               "    v = (v ^ (v >> 27)) * UINT64_C(0x94d049bb133111eb);\n"
               "    return v ^ (v >> 31);\n}\n", m);
    if (kg.text)
        put(g, "\n/* The text of s hashed (FNV-1a over its bytes); NULL is not \"\". */\n"
               "static uint64_t %s__hash_text(const char *s)\n{\n"
               "    if (s == NULL)\n"
               "        return 0;\n"
               "    uint64_t x = UINT64_C(0xcbf29ce484222325);\n"
               "    for (; *s != '\\0'; s++)\n"
               "        x = (x ^ (unsigned char)*s) * UINT64_C(0x100000001b3);\n"
               "    return x;\n}\n", m);
    put(g, "\n/* A slot of a key table: empty (group 0), or group + 1 and the high half\n"
           " * of that key's hash, which settles most unequal keys without comparing. */\n"
           "typedef struct %s__key_slot {\n"
           "    uint32_t group;\n"
           "    uint32_t tag;\n"
           "} %s__key_slot;\n", m, m);
    put(g, "\n/* The slots a key table starts with: `hint` (what the component's last run\n"
           " * ended with, so a steady workload never grows it), but no more than n\n"
           " * items can fill at load 1/2, and at least 8. */\n"
           "static size_t %s__keys_start(size_t n, size_t hint)\n{\n"
           "    size_t nslots = 8;\n"
           "    while (nslots < hint && nslots / 2 < n && nslots < SIZE_MAX / 2)\n"
           "        nslots *= 2;\n"
           "    return nslots;\n}\n", m);
    for (size_t i = 0; i < kg.hashed.len; i++)
        put_hash_functions(g, kg.hashed.items[i]);
    for (size_t i = 0; i < kg.keys.len; i++)
        put_key_table(g, kg.keys.items[i]);
    vec_free(&kg.keys);
    vec_free(&kg.hashed);
}

/* ------------------------------------------------------------ filter */

/* filter(pred): true passes the item on unchanged; false also sets the
 * output to the input and returns FX_EFILTERED (an FX_EVENT_FILTERED event);
 * a predicate error propagates as it is. */
static void body_filter(Gen *g, const Comp *k)
{
    put(g, "    bool keep = false;\n");
    put(g, "    int rc = %s(p, ctx, in, &keep);\n", comp_fn(g, k->kids[0]));
    put(g, "    if (rc == 0) {\n"
           "        *out = *in;   /* unchanged; also when filtered out (SPEC 5.4) */\n"
           "        if (!keep) {\n"
           "            rc = fx__stage_fail(ctx, FX_EFILTERED, %s);\n"
           "            if (FX_UNLIKELY(fx_runtime_observed(p->rt)))\n"
           "                fx_observe_event(p->rt, ctx, &(fx_event){.kind = FX_EVENT_FILTERED,\n"
           "                    .component = %s, .index = -1, .code = FX_EFILTERED});\n"
           "        }\n"
           "    }\n", lit(g, k->label), comp_entry(g, k));
}

/* ------------------------------------------------------------ buffer, pooled_buffer */

/* The part of a batch loop both buffers share: the context check and the
 * batch event, with `off` and `len` in scope. */
static void put_batch_start(Gen *g, const Comp *k)
{
    put(g, "        if (FX_UNLIKELY(fx_ctx_done(ctx))) {\n"
           "            rc = fx__ctx_fail(ctx, %s);\n"
           "            break;\n"
           "        }\n"
           "        if (FX_UNLIKELY(observed))\n"
           "            fx_observe_event(p->rt, ctx, &(fx_event){.kind = FX_EVENT_BUFFER_BATCH,\n"
           "                .component = %s, .value = (int64_t)len, .index = (int)off});\n",
        lit(g, k->label), comp_entry(g, k));
}

/* `rc = BATCH(p, ctx, from, to);` at indent 8, right after put_batch_start:
 * an unobserved instance calls the part's plain variant, or, when the part
 * is a stage, its C function itself (the part's own first act would be the
 * context check just made); an observed one the variant with the events. */
static void put_batch_call(Gen *g, const Comp *part, const char *from, const char *to)
{
    Variant saved = g->variant;
    g->variant = VARIANT_OBSERVED;
    const char *observed_fn = comp_fn(g, part);
    g->variant = VARIANT_PLAIN;
    const char *plain_fn = comp_fn(g, part);
    g->variant = saved;
    if (part->op == OP_STAGE) {
        const Decl *d = part->decl;
        put(g, "        if (FX_LIKELY(!observed)) {   /* the stage itself: ctx was checked just now */\n");
        line_fx(g, part->loc);
        if (d->state != NULL)
            put(g, "            rc = %s(ctx, p->state.%s, %s, %s);\n", cg_call(g, d->cfunc), d->name, from, to);
        else
            put(g, "            rc = %s(ctx, %s, %s);\n", cg_call(g, d->cfunc), from, to);
        line_back(g);
        put(g, "            if (FX_UNLIKELY(rc != 0))\n"
               "                rc = fx__stage_fail(ctx, rc, %s);\n"
               "        } else {\n"
               "            rc = %s(p, ctx, %s, %s);\n"
               "        }\n",
            lit(g, part->label), observed_fn, from, to);
    } else if (strcmp(plain_fn, observed_fn) != 0) {
        put(g, "        rc = FX_LIKELY(!observed) ? %s(p, ctx, %s, %s)\n"
               "                                  : %s(p, ctx, %s, %s);\n",
            plain_fn, from, to, observed_fn, from, to);
    } else {
        put(g, "        rc = %s(p, ctx, %s, %s);\n", plain_fn, from, to);
    }
}

/* A failed batch: FX_EBUFFER, index = the batch offset, cause = its error. */
static void put_batch_fail(Gen *g, const Comp *k)
{
    put(g, "        if (FX_UNLIKELY(rc != 0)) {\n"
           "            fx__stage_fail(ctx, rc, %s);   /* ctx's record is now the batch's error */\n"
           "            rc = fx__flow_fail(ctx, FX_EBUFFER, %s, (int)off, fx_ctx_error(ctx),\n"
           "                                 \"batch processing error at offset %%zu\", off);\n"
           "            break;\n"
           "        }\n", lit(g, k->kids[0]->label), lit(g, k->label));
}

/* buffer(batch, size: n): contiguous batches of n items (the last one
 * shorter), each a view into the input; their outputs concatenated in
 * order into one array in the arena. Batch stages usually allocate their
 * outputs one after the other from the arena: when every output follows
 * the one before, the first right after a one-byte mark taken before the
 * first batch (so all of them are this run's arena memory), they already
 * are that array, and the result is a view of them instead of a copy. */
/* Up to this many batches, buffer keeps their outputs on its stack. */
enum { BUFFER_FEW = 16 };

static void body_buffer(Gen *g, const Comp *k)
{
    const Type *outs = k->out;
    put(g, "    const size_t size = %lld, n = in->len;\n", int_opt(k, "size", 1));
    put(g, "    const size_t nbatches = (n + size - 1) / size;\n");
    put(g, "    %s;   /* the batch outputs, when there are few */\n",
        type_c_decl(g->c, outs, sprintf_intern(g->c, "few[%d]", BUFFER_FEW)));
    put(g, "    %s = nbatches <= %d ? few : NULL;   /* each batch's output, in order */\n", ptr_decl(g, outs, "parts"),
        BUFFER_FEW);
    put(g, "    const void *mark = NULL;   /* the arena's last allocation before the first batch */\n");
    put(g, "    size_t total = 0;\n");
    put(g, "    int rc = 0;\n");
    put(g, "    if (nbatches > 0 && ((parts == NULL && (parts = fx_alloc(ctx, nbatches * sizeof *parts)) == NULL) ||\n"
           "                         (mark = fx_alloc(ctx, 1)) == NULL))\n");
    put_nomem(g, 8, k);
    put(g, "    %s result = {0};\n", outs->c_name);
    put(g, "    bool in_place = true;   /* so far, the outputs lie back to back after mark */\n"
           "    uintptr_t end = (uintptr_t)mark;   /* where the next non-empty output must start */\n");
    put(g, "    for (size_t b = 0; rc == 0 && b < nbatches; b++) {\n"
           "        const size_t off = b * size, len = n - off < size ? n - off : size;\n");
    put_batch_start(g, k);
    put(g, "        const %s batch = {in->ptr + off, len};\n", k->in->c_name);
    put(g, "        %s part = {0};\n", outs->c_name);
    put_batch_call(g, k->kids[0], "&batch", "&part");
    put_batch_fail(g, k);
    put(g, "        parts[b] = part;\n"
           "        total += part.len;\n"
           "        if (in_place && part.len > 0) {\n"
           "            const uintptr_t start = (uintptr_t)(void *)part.ptr;\n"
           "            if (result.ptr == NULL) {   /* the first: the arena's next place after mark */\n"
           "                in_place = start > end && start - end <= _Alignof(max_align_t);\n"
           "                result.ptr = part.ptr;\n"
           "            } else {\n"
           "                in_place = start == end;\n"
           "            }\n"
           "            end = start + part.len * sizeof *part.ptr;\n"
           "        }\n"
           "    }\n");
    put(g, "    if (rc == 0 && in_place && total > 0) {   /* already one array: a view of it */\n"
           "        result.len = total;\n"
           "    } else {\n"
           "        result.ptr = NULL;\n"
           "        if (rc == 0 && total > 0 && (result.ptr = fx_alloc(ctx, total * sizeof *result.ptr)) == NULL)\n");
    put_nomem(g, 12, k);
    put(g, "        for (size_t b = 0; rc == 0 && b < nbatches; b++) {\n"
           "            if (parts[b].len > 0)\n"
           "                memcpy(result.ptr + result.len, parts[b].ptr, parts[b].len * sizeof *result.ptr);\n"
           "            result.len += parts[b].len;\n"
           "        }\n"
           "    }\n"
           "    if (rc == 0)\n"
           "        *out = result;\n");
}

/* pooled_buffer keeps two slice pools per instance: batch copies (room for
 * `size` items) and output accumulators. Each run takes one of each and
 * gives them back, so after warm-up a run allocates only its result. */
static void members_pooled_buffer(Gen *g, const Comp *k)
{
    put(g, "    fx_pool *batches_n%d;   /* pooled_buffer n%d: %s, room for a batch */\n", k->id, k->id,
        k->in->fx_name);
    put(g, "    fx_pool *outputs_n%d;   /* pooled_buffer n%d: %s, the outputs so far */\n", k->id, k->id,
        k->out->fx_name);
}

static void init_pooled_buffer(Gen *g, const Comp *k)
{
    /* One pair per run in flight: keep as many as the runtime has threads, plus the caller's. */
    put(g, "    p->batches_n%d = fx_pool_new(&(fx_pool_config){.size = sizeof(%s),\n"
           "        .capacity = (size_t)fx_runtime_threads(rt) + 1, .elem_size = sizeof(%s)});\n",
        k->id, k->in->c_name, k->in->elem->c_name);
    put(g, "    p->outputs_n%d = fx_pool_new(&(fx_pool_config){.size = sizeof(%s),\n"
           "        .capacity = (size_t)fx_runtime_threads(rt) + 1, .elem_size = sizeof(%s)});\n",
        k->id, k->out->c_name, k->out->elem->c_name);
    put(g, "    if (p->batches_n%d == NULL || p->outputs_n%d == NULL)\n        goto fail;\n", k->id, k->id);
}

static void fini_pooled_buffer(Gen *g, const Comp *k)
{
    put(g, "    fx_pool_free(p->batches_n%d);\n    fx_pool_free(p->outputs_n%d);\n", k->id, k->id);
}

/* pooled_buffer(batch, size: n): as buffer, but each batch is a copy in
 * pooled storage (the batch stage may write to it) and the outputs are
 * gathered in a pooled accumulator; the result is one arena array. */
static void body_pooled_buffer(Gen *g, const Comp *k)
{
    const Type *ins = k->in, *outs = k->out;
    const char *bp = sprintf_intern(g->c, "p->batches_n%d", k->id);
    const char *op = sprintf_intern(g->c, "p->outputs_n%d", k->id);
    put(g, "    const size_t size = %lld, n = in->len;\n", int_opt(k, "size", 1));
    put(g, "    %s = fx_pool_get(%s);   /* the current batch, copied */\n", ptr_decl(g, ins, "batch"), bp);
    put(g, "    %s = fx_pool_get(%s);   /* every batch's output so far */\n", ptr_decl(g, outs, "acc"), op);
    put(g, "    int rc = 0;\n");
    put(g, "    if (batch == NULL || acc == NULL || (batch->ptr = fx_pool_storage(%s, batch, size)) == NULL)\n", bp);
    put_nomem(g, 8, k);
    put(g, "    else\n"
           "        acc->len = 0;\n");
    put(g, "    for (size_t off = 0; rc == 0 && off < n; off += size) {\n"
           "        const size_t len = n - off < size ? n - off : size;\n");
    put_batch_start(g, k);
    put(g, "        memcpy(batch->ptr, in->ptr + off, len * sizeof *batch->ptr);\n"
           "        batch->len = len;\n");
    put(g, "        %s part = {0};\n", outs->c_name);
    put_batch_call(g, k->kids[0], "batch", "&part");
    put_batch_fail(g, k);
    put(g, "        if (part.len == 0)\n"
           "            continue;\n");
    put(g, "        %s = fx_pool_storage(%s, acc, acc->len + part.len);\n", ptr_decl(g, outs->elem, "room"), op);
    put(g, "        if (room == NULL) {\n");
    put_nomem(g, 12, k);
    put(g, "            break;\n"
           "        }\n"
           "        acc->ptr = room;\n"
           "        memcpy(acc->ptr + acc->len, part.ptr, part.len * sizeof *part.ptr);\n"
           "        acc->len += part.len;\n"
           "    }\n");
    put(g, "    %s result = {0};\n", outs->c_name);
    put(g, "    if (rc == 0 && acc->len > 0) {\n"
           "        if ((result.ptr = fx_alloc(ctx, acc->len * sizeof *result.ptr)) == NULL) {\n");
    put_nomem(g, 12, k);
    put(g, "        } else {\n"
           "            memcpy(result.ptr, acc->ptr, acc->len * sizeof *result.ptr);\n"
           "            result.len = acc->len;\n"
           "        }\n"
           "    }\n"
           "    fx_pool_put(%s, batch);\n"
           "    fx_pool_put(%s, acc);\n"
           "    if (rc == 0)\n"
           "        *out = result;\n", bp, op);
}

/* ------------------------------------------------------------ grouping */

/* Statements that turn `group_of[i]` (i < n) and a key table `keys` into
 * `groups[0 .. keys.len)` of type gt with values taken, in input order,
 * from item expression `item` (uses i), laid out group after group in
 * `values` (n of them): a counting sort on the sizes the table kept, which
 * become each group's next free place in values. */
static void put_grouping(Gen *g, int ind, const char *item)
{
    put(g, "%*sfor (size_t gi = 0, start = 0; gi < keys.len; gi++) {\n"
           "%*s    const size_t size = keys.sizes[gi];\n"
           "%*s    groups[gi].key = keys.keys[gi];\n"
           "%*s    groups[gi].values.ptr = values + start;\n"
           "%*s    groups[gi].values.len = size;\n"
           "%*s    keys.sizes[gi] = start;\n"
           "%*s    start += size;\n"
           "%*s}\n"
           "%*sfor (size_t i = 0; i < n; i++)\n"
           "%*s    values[keys.sizes[group_of[i]]++] = %s;\n",
        ind, "", ind, "", ind, "", ind, "", ind, "", ind, "", ind, "", ind, "", ind, "", ind, "", item);
}

/* The instance remembers how big a keyed component's table got, so the next
 * run starts with it: relaxed, a hint that concurrent runs may race on. */
static void members_keyed(Gen *g, const Comp *k)
{
    put(g, "    _Atomic size_t keys_n%d;   /* n%d: slots its key table ended the last run with */\n", k->id, k->id);
}

/* `const size_t hint = ...;` at indent 8: what component k's table ended
 * its last run with. */
static void put_keys_hint(Gen *g, const Comp *k)
{
    put(g, "        const size_t hint = atomic_load_explicit(&p->keys_n%d, memory_order_relaxed);   /* slots */\n",
        k->id);
}

/* `M__keys_K_init(&keys, ctx, start) != 0` over n items (after put_keys_hint). */
static const char *keys_init_expr(Gen *g, const Type *kt)
{
    return sprintf_intern(g->c, "%s__keys_%s_init(&keys, ctx, %s__keys_start(n, hint)) != 0", g->mod, kt->mangled,
                          g->mod);
}

static void put_keys_remember(Gen *g, int ind, const Comp *k)
{
    put(g, "%*satomic_store_explicit(&p->keys_n%d, keys.mask + 1, memory_order_relaxed);\n", ind, "", k->id);
}

/* ------------------------------------------------------------ join_by_key */

/* join_by_key(key): sequential; groups in order of first appearance, each
 * with its items in input order. A key error keeps its code and names the
 * item (index). */
static void body_join(Gen *g, const Comp *k)
{
    const Comp *key = k->kids[0];
    const Type *kt = key->out, *it = k->in->elem, *gt = k->out->elem;
    put(g, "    const size_t n = in->len;\n");
    put(g, "    %s result = {0};\n", k->out->c_name);
    put(g, "    int rc = 0;\n");
    put(g, "    if (n > 0) {\n");
    put(g, "        %s__keys_%s keys;\n", g->mod, kt->mangled);
    put_keys_hint(g, k);
    put(g, "        size_t *group_of = fx_alloc(ctx, n * sizeof *group_of);   /* item i is in group group_of[i] */\n");
    put(g, "        if (group_of == NULL || %s)\n", keys_init_expr(g, kt));
    put_nomem(g, 12, k);
    put(g, "        for (size_t i = 0; rc == 0 && i < n; i++) {\n");
    put_zero_var(g, 12, kt, "item_key", NULL);
    put(g, "            rc = %s(p, ctx, &in->ptr[i], &item_key);\n", comp_fn(g, key));
    put(g, "            if (FX_UNLIKELY(rc != 0)) {\n"
           "                fx__stage_fail(ctx, rc, %s);\n"
           "                rc = fx__flow_fail(ctx, rc, %s, (int)i, fx_ctx_error(ctx),\n"
           "                                     \"key function error on item %%zu\", i);\n"
           "                break;\n"
           "            }\n", lit(g, key->label), lit(g, k->label));
    put(g, "            if ((group_of[i] = %s__keys_%s_group(&keys, &item_key)) == SIZE_MAX)\n", g->mod, kt->mangled);
    put_nomem(g, 16, k);
    put(g, "        }\n");
    put(g, "        if (rc == 0)\n");
    put_keys_remember(g, 12, k);
    put(g, "        %s = NULL;\n", ptr_decl(g, gt, "groups"));
    put(g, "        %s = NULL;   /* the groups' items, group after group */\n", ptr_decl(g, it, "values"));
    put(g, "        if (rc == 0 && ((groups = fx_alloc(ctx, keys.len * sizeof *groups)) == NULL ||\n"
           "                        (values = fx_alloc(ctx, n * sizeof *values)) == NULL))\n");
    put_nomem(g, 12, k);
    put(g, "        if (rc == 0) {\n");
    put_grouping(g, 12, "in->ptr[i]");
    put(g, "            result.ptr = groups;\n"
           "            result.len = keys.len;\n"
           "        }\n"
           "    }\n"
           "    if (rc == 0)\n"
           "        *out = result;\n");
}

/* ------------------------------------------------------------ mapreduce */

/* The phases of a mapreduce run as tasks on the runtime's worker pool
 * (fluxus/sched.h), each on the group's context, never the caller's: at
 * most `parallelism` tasks, which take chunks of the items (map) or groups
 * (reduce) from a shared cursor, so however the workers wake, there are
 * few hand-offs. A task stops at its first failure, or as soon as its
 * context is done: the group cancels the others at the first failure, and
 * a deadline or cancellation of the caller's context reaches every task at
 * once. At parallelism 1 the map phase and the shuffle are one task (and
 * at any other, on an untimed run of a map phase on the caller): in an
 * unobserved instance one loop maps each item with the mapper's plain
 * function and numbers its key at once (fewer instructions than two loops
 * once the mapper's observed test is gone); an observed one maps the items
 * in order, then numbers their keys in order. */

static const char *phase_fn(Gen *g, const Comp *k, const char *phase)
{
    return sprintf_intern(g->c, "%s_%s", comp_fn(g, k), phase);
}

/* `int rc = PART(p, ctx, FROM, TO);` at indent 8 + extra: after a context
 * check of the task's own, unless the part makes that very check first
 * (fx__ctx_fail under its own label) itself. */
static void put_part_call(Gen *g, int extra, const Comp *part, const char *from, const char *to)
{
    const OpGen *og = cg_op(part->op);
    if (og != NULL && og->checks_ctx) {
        put(g, "%*sint rc = %s(p, ctx, %s, %s);   /* it checks ctx first */\n", 8 + extra, "", comp_fn(g, part),
            from, to);
        return;
    }
    put(g, "%*sint rc = FX_UNLIKELY(fx_ctx_done(ctx)) ? fx__ctx_fail(ctx, %s)\n"
           "%*s                                       : %s(p, ctx, %s, %s);\n",
        8 + extra, "", lit(g, part->label), 8 + extra, "", comp_fn(g, part), from, to);
}

static bool fused_shuffle(const Comp *k)
{
    return int_opt(k, "parallelism", 0) == 1;
}

/* The instance member where the scheduler learns how long a phase's groups
 * take (fluxus/sched.h): tiny ones then run on the caller alone. */
static const char *site_member(Gen *g, const Comp *k, const char *phase)
{
    return sprintf_intern(g->c, "site_%s_n%d", phase, k->id);
}

static void members_mapreduce(Gen *g, const Comp *k)
{
    members_keyed(g, k);
    if (!fused_shuffle(k))
        put(g, "    fx_group_site %s;   /* n%d's map phase: how long its groups take */\n",
            site_member(g, k, "map"), k->id);
    put(g, "    fx_group_site %s;   /* n%d's reduce phase */\n", site_member(g, k, "reduce"), k->id);
}

/* A phase on a cursor: PART over FROM[0 .. n) into TO[0 .. n). */
static void prelude_cursor_phase(Gen *g, const Comp *k, const char *phase, const Comp *part, const char *what)
{
    const char *fn = phase_fn(g, k, phase);
    put(g, "\n/* n%d's %s phase: each task takes chunks of the %ss [0, n) until none is\n"
           " * left or one fails (index = that %s). */\n", k->id, phase, what, what);
    put(g, "typedef struct %s_frame {\n"
           "    %s *p;\n"
           "    %s;\n"
           "    %s;\n"
           "    size_t n;\n"
           "    size_t parts;   /* the number of tasks: sets the chunk size */\n"
           "    fx_cursor next;\n"
           "} %s_frame;\n\n", fn, g->api, in_param(g->c, part->in, "from"), out_param(g->c, part->out, "to"), fn);
    put(g, "typedef struct %s_task {\n"
           "    fx_task task;   /* first: what the scheduler sees */\n"
           "    %s_frame *f;\n"
           "} %s_task;\n\n", fn, fn, fn);
    put(g, "static int %s(fx_task *task, fx_ctx *ctx)\n{\n"
           "    %s_frame *f = ((%s_task *)(void *)task)->f;\n"
           "    %s *p = f->p;\n"
           "    for (;;) {\n"
           "        size_t hi, i = fx_cursor_take_chunk(&f->next, f->n, f->parts, &hi);\n"
           "        if (i >= f->n)\n"
           "            return 0;\n"
           "        for (; i < hi; i++) {\n", fn, fn, fn, g->api);
    put_part_call(g, 4, part, "&f->from[i]", "&f->to[i]");
    put(g, "            if (FX_UNLIKELY(rc != 0)) {\n"
           "                task->index = (int)i;\n"
           "                return fx__stage_fail(ctx, rc, %s);\n"
           "            }\n"
           "        }\n"
           "    }\n}\n", lit(g, part->label));
}

/* The map phase and the shuffle in one task (parallelism 1). In an
 * unobserved instance one loop maps item i with the mapper's plain function
 * and numbers its key at once; a failed item still stops the phase there,
 * with nothing after it mapped. When the key table cannot grow, the rest
 * are only mapped (its _map function), so a later failed item is still the error, as
 * when mapping comes first; an observed instance does exactly that. */
static void prelude_shuffle(Gen *g, const Comp *k)
{
    const Comp *mapper = k->kids[0];
    const Type *kv = mapper->out;
    const char *fn = phase_fn(g, k, "shuffle");
    const char *tab = sprintf_intern(g->c, "%s__keys_%s", g->mod, kv->key->mangled);
    const char *label = lit(g, mapper->label);
    put(g, "\n/* n%d's map phase and shuffle, one task: maps the items in order, stopping\n"
           " * at the first failure (index = that item) or when its context is done,\n"
           " * and numbers their keys in order. */\n", k->id);
    put(g, "typedef struct %s_task {\n"
           "    fx_task task;   /* first: what the scheduler sees */\n"
           "    %s *p;\n"
           "    %s;\n"
           "    size_t n;\n"
           "    %s;   /* kvs[i]: what item i mapped to */\n"
           "    size_t *group_of;   /* item i's value is in group group_of[i] */\n"
           "    %s *keys;\n"
           "    bool nomem;   /* the key table could not grow */\n"
           "} %s_task;\n\n", fn, g->api, in_param(g->c, mapper->in, "items"), ptr_decl(g, kv, "kvs"), tab, fn);
    put(g, "/* Maps items [from, n) into kvs, the first failure ending it (index = that item). */\n"
           "static FX__NOINLINE int %s_map(%s_task *t, fx_ctx *ctx, size_t from)\n{\n"
           "    %s *p = t->p;\n"
           "    for (size_t i = from; i < t->n; i++) {\n", fn, fn, g->api);
    put_part_call(g, 0, mapper, "&t->items[i]", "&t->kvs[i]");
    put(g, "        if (FX_UNLIKELY(rc != 0)) {\n"
           "            t->task.index = (int)i;\n"
           "            return fx__stage_fail(ctx, rc, %s);\n"
           "        }\n"
           "    }\n"
           "    return 0;\n}\n\n", label);
    put(g, "static int %s(fx_task *task, fx_ctx *ctx)\n{\n"
           "    %s_task *t = (%s_task *)(void *)task;\n"
           "    %s *p = t->p;\n"
           "    %s = t->items;\n"
           "    %s = t->kvs;\n"
           "    size_t *group_of = t->group_of;\n"
           "    %s *keys = t->keys;\n"
           "    const size_t n = t->n;\n"
           "    if (FX_LIKELY(!p->observed)) {   /* one pass: the mapper's plain function, inlined */\n"
           "        for (size_t i = 0; i < n; i++) {\n",
        fn, fn, fn, g->api, in_param(g->c, mapper->in, "items"), ptr_decl(g, kv, "kvs"), tab);
    Variant saved = g->variant;
    g->variant = VARIANT_PLAIN;
    put_part_call(g, 4, mapper, "&items[i]", "&kvs[i]");
    g->variant = saved;
    put(g, "            if (FX_UNLIKELY(rc != 0)) {\n"
           "                task->index = (int)i;\n"
           "                return fx__stage_fail(ctx, rc, %s);\n"
           "            }\n"
           "            if (FX_UNLIKELY((group_of[i] = %s_group(keys, &kvs[i].key)) == SIZE_MAX)) {\n"
           "                int rest = %s_map(t, ctx, i + 1);   /* a later failure is still the error */\n"
           "                t->nomem = rest == 0;\n"
           "                return rest != 0 ? rest : FX_ENOMEM;\n"
           "            }\n"
           "        }\n"
           "        return 0;\n"
           "    }\n"
           "    int rc = %s_map(t, ctx, 0);\n"
           "    if (FX_UNLIKELY(rc != 0))\n"
           "        return rc;\n"
           "    for (size_t i = 0; i < n; i++) {\n"
           "        if (FX_UNLIKELY((group_of[i] = %s_group(keys, &kvs[i].key)) == SIZE_MAX)) {\n"
           "            t->nomem = true;\n"
           "            return FX_ENOMEM;\n"
           "        }\n"
           "    }\n"
           "    return 0;\n}\n",
        label, tab, fn, fn, tab);
}

static void prelude_mapreduce(Gen *g, const Comp *k)
{
    prelude_shuffle(g, k);   /* parallelism 1, or an untimed map phase on the caller */
    if (!fused_shuffle(k))
        prelude_cursor_phase(g, k, "map", k->kids[0], "item");
    prelude_cursor_phase(g, k, "reduce", k->kids[1], "group");
}

/* On an initialized `group`, with the phase's frame `f` and `tasks`:
 * spawns the phase's tasks on the cursor, waits, and wraps a failure as
 * "PHASE phase failed" (index = the item or group). */
static void put_cursor_tasks(Gen *g, const Comp *k, const char *phase, int ind)
{
    const char *fn = phase_fn(g, k, phase);
    put(g, "%*sconst size_t ntasks = fx_cursor_watch(&f.next, &group, f.parts);   /* 1 when it runs on the caller */\n"
           "%*sfor (size_t ti = 0; ti < ntasks; ti++) {\n"
           "%*s    tasks[ti] = (%s_task){.task = {.fn = %s, .index = -1}, .f = &f};\n"
           "%*s    fx_group_spawn(&group, &tasks[ti].task);\n"
           "%*s}\n"
           "%*src = fx_group_wait(&group);\n"
           "%*sif (FX_UNLIKELY(rc != 0)) {\n"
           "%*s    const fx_task *bad = fx_group_failed(&group);\n"
           "%*s    rc = fx__flow_fail(ctx, rc, %s, bad->index, bad->error, \"%s phase failed\");\n"
           "%*s}\n",
        ind, "", ind, "", ind, "", fn, fn, ind, "", ind, "", ind, "", ind, "", ind, "", ind, "",
        lit(g, k->label), phase, ind, "");
}

/* Runs the phase over `count` FROM[i] -> TO[i] on min(count, workers)
 * tasks; on failure wraps the first failed task's error as "PHASE phase
 * failed" with index = the item or group. Inside `if (n > 0) { ... }`. */
static void put_cursor_phase(Gen *g, const Comp *k, const char *phase, const char *count, const char *from,
                             const char *to)
{
    const char *fn = phase_fn(g, k, phase);
    put(g, "        if (rc == 0) {   /* %s phase */\n", phase);
    put(g, "            %s_frame f = {.p = p, .from = %s, .to = %s, .n = %s,\n"
           "                .parts = %s < workers ? %s : workers};\n"
           "            %s_task *tasks = fx_alloc(ctx, f.parts * sizeof *tasks);\n"
           "            fx_group group;\n"
           "            if (tasks == NULL || fx_group_init_at(&group, p->rt, ctx, (int)workers, &p->%s, f.n) != 0) {\n",
        fn, from, to, count, count, count, fn, site_member(g, k, phase));
    put_nomem(g, 16, k);
    put(g, "            } else {\n");
    put_cursor_tasks(g, k, phase, 16);
    put(g, "            }\n"
           "        }\n");
}

/* parallelism != 1: the map phase on its site. A run the site puts on the
 * caller and does not time maps and numbers the keys in one pass there (the
 * shuffle task, as at parallelism 1) and sets `shuffled`; every other run
 * maps on the cursor tasks and the shuffle follows (body_mapreduce), so the
 * site always times the map phase alone, on either way. */
static void put_map_phase(Gen *g, const Comp *k)
{
    const char *map = phase_fn(g, k, "map"), *shuffle = phase_fn(g, k, "shuffle");
    const char *label = lit(g, k->label);
    put(g, "        if (rc == 0) {   /* map phase */\n"
           "            fx_group group;\n"
           "            if (fx_group_init_at(&group, p->rt, ctx, (int)workers, &p->%s, n) != 0) {\n",
        site_member(g, k, "map"));
    put_nomem(g, 16, k);
    put(g, "            } else if (fx_group_is_inline(&group) && !fx__group_is_timed(&group)) {\n"
           "                /* on the caller, untimed: map and number in one pass */\n"
           "                if (%s) {\n"
           "                    fx_group_end_inline(&group, 0);\n",
        keys_init_expr(g, k->kids[0]->out->key));
    put_nomem(g, 20, k);
    put(g, "                } else {\n"
           "                    %s_task t = {.task = {.fn = %s, .index = -1}, .p = p,\n"
           "                        .items = in->ptr, .n = n, .kvs = kvs, .group_of = group_of, .keys = &keys};\n"
           "                    int trc = %s(&t.task, ctx);\n"
           "                    const fx_error *cause = fx_group_end_inline(&group, trc);\n"
           "                    if (FX_UNLIKELY(trc != 0 && t.nomem)) {\n",
        shuffle, shuffle, shuffle);
    put_nomem(g, 24, k);
    put(g, "                    } else if (FX_UNLIKELY(trc != 0)) {\n"
           "                        rc = fx__flow_fail(ctx, trc, %s, t.task.index, cause, \"map phase failed\");\n"
           "                    }\n"
           "                    shuffled = true;\n"
           "                }\n"
           "            } else {\n"
           "                %s_frame f = {.p = p, .from = in->ptr, .to = kvs, .n = n,\n"
           "                    .parts = n < workers ? n : workers};\n"
           "                %s_task *tasks = fx_alloc(ctx, f.parts * sizeof *tasks);\n"
           "                if (tasks == NULL) {\n"
           "                    (void)fx_group_wait(&group);   /* nothing spawned: it only ends */\n",
        label, map, map);
    put_nomem(g, 20, k);
    put(g, "                } else {\n");
    put_cursor_tasks(g, k, "map", 20);
    put(g, "                }\n"
           "            }\n"
           "        }\n");
}

/* parallelism 1: the map phase and shuffle as one task (prelude_shuffle). */
static void put_fused_shuffle(Gen *g, const Comp *k)
{
    const char *fn = phase_fn(g, k, "shuffle");
    put(g, "        if (rc == 0) {   /* map phase and shuffle */\n"
           "            %s_task t = {.task = {.fn = %s, .index = -1}, .p = p,\n"
           "                .items = in->ptr, .n = n, .kvs = kvs, .group_of = group_of, .keys = &keys};\n"
           "            fx_group group;\n"
           "            if (fx_group_init(&group, p->rt, ctx, 1) != 0) {\n", fn, fn);
    put_nomem(g, 16, k);
    put(g, "            } else {\n"
           "                fx_group_spawn(&group, &t.task);\n"
           "                rc = fx_group_wait(&group);\n"
           "                if (FX_UNLIKELY(rc != 0 && t.nomem)) {\n");
    put_nomem(g, 20, k);
    put(g, "                } else if (FX_UNLIKELY(rc != 0)) {\n"
           "                    const fx_task *bad = fx_group_failed(&group);\n"
           "                    rc = fx__flow_fail(ctx, rc, %s, bad->index, bad->error, \"map phase failed\");\n"
           "                }\n"
           "            }\n"
           "        }\n", lit(g, k->label));
}

/* mapreduce(mapper, reducer, parallelism: n): the map phase gives one
 * KeyValue per item (kvs[i]); the shuffle groups the values by key in item
 * order, groups in order of first appearance of their key; the reduce
 * phase runs the reducer once per group, results in group order. Both
 * phases run on at most n tasks at once (default: the runtime's threads).
 * A failure keeps its code, wrapped as "map phase failed" (index = item)
 * or "reduce phase failed" (index = group). */
static void body_mapreduce(Gen *g, const Comp *k)
{
    const Comp *mapper = k->kids[0], *reducer = k->kids[1];
    const Type *kv = mapper->out, *kt = kv->key, *vt = kv->value;
    const Type *gt = reducer->in;
    long long parallelism = int_opt(k, "parallelism", 0);
    put(g, "    const size_t n = in->len;\n");
    if (parallelism > 0)
        put(g, "    const size_t workers = %lld;   /* parallelism */\n", parallelism);
    else
        put(g, "    const size_t workers = (size_t)fx_runtime_threads(p->rt);   /* parallelism: the runtime's threads */\n");
    put(g, "    %s result = {0};\n", k->out->c_name);
    put(g, "    int rc = 0;\n");
    put(g, "    if (n > 0) {\n");
    put(g, "        %s = fx_alloc(ctx, n * sizeof *kvs);   /* kvs[i]: what item i mapped to */\n",
        ptr_decl(g, kv, "kvs"));
    put(g, "        size_t *group_of = fx_alloc(ctx, n * sizeof *group_of);   /* item i's value is in group group_of[i] */\n");
    put(g, "        %s__keys_%s keys = {0};\n", g->mod, kt->mangled);
    put_keys_hint(g, k);
    if (fused_shuffle(k)) {
        put(g, "        if (kvs == NULL || group_of == NULL || %s)\n", keys_init_expr(g, kt));
        put_nomem(g, 12, k);
        put_fused_shuffle(g, k);
    } else {
        put(g, "        bool shuffled = false;   /* the map phase numbered the keys as it went */\n"
               "        if (kvs == NULL || group_of == NULL)\n");
        put_nomem(g, 12, k);
        put_map_phase(g, k);
        put(g, "        if (rc == 0 && !shuffled && %s)\n", keys_init_expr(g, kt));
        put_nomem(g, 12, k);
        put(g, "        for (size_t i = 0; rc == 0 && !shuffled && i < n; i++) {   /* shuffle */\n"
               "            if ((group_of[i] = %s__keys_%s_group(&keys, &kvs[i].key)) == SIZE_MAX)\n",
            g->mod, kt->mangled);
        put_nomem(g, 16, k);
        put(g, "        }\n");
    }
    put(g, "        if (rc == 0)\n");
    put_keys_remember(g, 12, k);
    put(g, "        %s = NULL;\n", ptr_decl(g, gt, "groups"));
    put(g, "        %s = NULL;   /* the groups' values, group after group */\n", ptr_decl(g, vt, "values"));
    put(g, "        if (rc == 0 && ((groups = fx_alloc(ctx, keys.len * sizeof *groups)) == NULL ||\n"
           "                        (values = fx_alloc(ctx, n * sizeof *values)) == NULL ||\n"
           "                        (result.ptr = fx_alloc(ctx, keys.len * sizeof *result.ptr)) == NULL))\n");
    put_nomem(g, 12, k);
    put(g, "        if (rc == 0) {\n");
    put_grouping(g, 12, "kvs[i].value");
    put(g, "        }\n");
    put_cursor_phase(g, k, "reduce", "keys.len", "groups", "result.ptr");
    put(g, "        if (rc == 0)\n"
           "            result.len = keys.len;\n"
           "    }\n"
           "    if (rc == 0)\n"
           "        *out = result;\n");
}

/* ------------------------------------------------------------ the table */

const OpGenEntry cg_batch_ops[] = {
    {OP_BUFFER, {.kind = "FX_COMPONENT_COMBINATOR", .checks_ctx = true, .observed = true, .body = body_buffer}},
    {OP_POOLED_BUFFER, {.kind = "FX_COMPONENT_COMBINATOR", .checks_ctx = true, .observed = true,
                        .body = body_pooled_buffer, .members = members_pooled_buffer,
                        .init = init_pooled_buffer, .fini = fini_pooled_buffer}},
    {OP_MAPREDUCE, {.kind = "FX_COMPONENT_COMBINATOR", .checks_ctx = true, .observed = true,
                    .body = body_mapreduce, .prelude = prelude_mapreduce, .members = members_mapreduce}},
    {OP_FILTER, {.kind = "FX_COMPONENT_COMBINATOR", .checks_ctx = false, .observed = false, .body = body_filter}},
    {OP_JOIN_BY_KEY, {.kind = "FX_COMPONENT_COMBINATOR", .checks_ctx = true, .observed = true, .body = body_join,
                      .members = members_keyed}},
    {OP_NONE, {.kind = NULL}},
};
