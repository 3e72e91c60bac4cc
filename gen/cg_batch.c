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
 *   M__equal_K(const K *, const K *)     field; FNV-1a over a string's bytes)
 *   M__keys_K                            distinct keys numbered in order of
 *   M__keys_K_init(t, ctx, n)            first appearance, found through an
 *   M__keys_K_group(t, &key)             open-addressing table (linear
 *                                        probing) sized once for n items
 *
 * A struct key hashes and compares field by field (nested structs through
 * their own M__hash_/M__equal_, written first). Strings compare by content;
 * NULL equals only NULL. */

typedef struct KeyGen {
    Gen *g;
    Vec keys;          /* key types of tables, first use order */
    Vec hashed;        /* types with hash/equal functions, dependencies first */
    bool text;         /* some hashed type holds a str */
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
        put(g, "    h = %s__hash_text(h, %s);\n", g->mod, v);
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

static void put_hash_functions(Gen *g, const Type *t)
{
    Compiler *c = g->c;
    const char *k = in_param(c, t, "k");
    put(g, "\n/* %s as a key: hash and equality */\n", t->fx_name);
    put(g, "static uint64_t %s__hash_%s(%s)\n{\n    uint64_t h = 0;\n", g->mod, t->mangled, k);
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
           " * key keys[g]): the shuffle of mapreduce and the grouping of join_by_key. */\n", t->fx_name);
    put(g, "typedef struct %s {\n"
           "    %s;   /* keys[g]: the key of group g */\n"
           "    size_t len;   /* groups so far */\n"
           "    size_t *slots;   /* open addressing: 0 = empty, else group + 1 */\n"
           "    size_t mask;   /* number of slots - 1 (a power of two) */\n"
           "} %s;\n\n", tab, ptr_decl(g, t, "keys"), tab);
    put(g, "/* Room for the keys of n items, in ctx's arena: 0 or FX_ENOMEM. */\n"
           "static int %s_init(%s *t, fx_ctx *ctx, size_t n)\n{\n"
           "    size_t nslots = 8;\n"
           "    while (nslots < 2 * n) {\n"
           "        if (nslots > SIZE_MAX / 4)\n"
           "            return FX_ENOMEM;\n"
           "        nslots *= 2;\n"
           "    }\n"
           "    t->keys = fx_alloc(ctx, n * sizeof *t->keys);\n"
           "    t->slots = fx_alloc(ctx, nslots * sizeof *t->slots);\n"
           "    if (t->keys == NULL || t->slots == NULL)\n"
           "        return FX_ENOMEM;\n"
           "    memset(t->slots, 0, nslots * sizeof *t->slots);\n"
           "    t->len = 0;\n"
           "    t->mask = nslots - 1;\n"
           "    return 0;\n}\n\n", tab, tab);
    put(g, "/* The group of *key: the one an equal key got before, or the next new one.\n"
           " * At most n (of _init) distinct keys fit. */\n"
           "static size_t %s_group(%s *t, %s)\n{\n"
           "    size_t s = (size_t)%s__hash_%s(key) & t->mask;\n"
           "    while (t->slots[s] != 0) {\n"
           "        size_t group = t->slots[s] - 1;\n"
           "        if (%s__equal_%s(&t->keys[group], key))\n"
           "            return group;\n"
           "        s = (s + 1) & t->mask;\n"
           "    }\n"
           "    t->keys[t->len] = *key;\n"
           "    t->slots[s] = ++t->len;\n"
           "    return t->len - 1;\n}\n",
        tab, tab, in_param(g->c, t, "key"), m, tn, m, tn);
}

void cg_batch_source(Gen *g)
{
    const Module *mod = g->c->module;
    KeyGen kg = {g, {0}, {0}, false};
    for (size_t i = 0; i < mod->ndecls; i++)
        if (mod->decls[i]->kind == D_PIPELINE)
            collect_keys(&kg, mod->decls[i]->body);
    if (kg.keys.len == 0)
        return;
    const char *m = g->mod;
    put(g, "\n/* ================================================================ key tables\n"
           " * Hash, equality and a table of distinct keys per key type of a mapreduce\n"
           " * or join_by_key: monomorphized, no void *. */\n\n");
    put(g, "/* Folds v into h (splitmix64's finalizer). */\n"
           "static uint64_t %s__hash_mix(uint64_t h, uint64_t v)\n{\n"
           "    v += h + UINT64_C(0x9e3779b97f4a7c15);\n"
           "    v = (v ^ (v >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);\n"
           "    v = (v ^ (v >> 27)) * UINT64_C(0x94d049bb133111eb);\n"
           "    return v ^ (v >> 31);\n}\n", m);
    if (kg.text)
        put(g, "\n/* Folds the text of s into h (FNV-1a over its bytes); NULL is not \"\". */\n"
               "static uint64_t %s__hash_text(uint64_t h, const char *s)\n{\n"
               "    if (s == NULL)\n"
               "        return %s__hash_mix(h, 0);\n"
               "    uint64_t x = UINT64_C(0xcbf29ce484222325);\n"
               "    for (; *s != '\\0'; s++)\n"
               "        x = (x ^ (unsigned char)*s) * UINT64_C(0x100000001b3);\n"
               "    return %s__hash_mix(h, x);\n}\n", m, m, m);
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
           "        if (FX_UNLIKELY(fx_runtime_observed(p->rt)))\n"
           "            fx_observe_event(p->rt, ctx, &(fx_event){.kind = FX_EVENT_BUFFER_BATCH,\n"
           "                .component = %s, .value = (int64_t)len, .index = (int)off});\n",
        lit(g, k->label), comp_entry(g, k));
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
 * order into one array in the arena. */
static void body_buffer(Gen *g, const Comp *k)
{
    const Type *outs = k->out;
    put(g, "    const size_t size = %lld, n = in->len;\n", int_opt(k, "size", 1));
    put(g, "    const size_t nbatches = (n + size - 1) / size;\n");
    put(g, "    %s = NULL;   /* each batch's output, in order */\n", ptr_decl(g, outs, "parts"));
    put(g, "    size_t total = 0;\n");
    put(g, "    int rc = 0;\n");
    put(g, "    if (nbatches > 0 && (parts = fx_alloc(ctx, nbatches * sizeof *parts)) == NULL)\n");
    put_nomem(g, 8, k);
    put(g, "    for (size_t b = 0; rc == 0 && b < nbatches; b++) {\n"
           "        const size_t off = b * size, len = n - off < size ? n - off : size;\n");
    put_batch_start(g, k);
    put(g, "        const %s batch = {in->ptr + off, len};\n", k->in->c_name);
    put(g, "        %s part = {0};\n", outs->c_name);
    put(g, "        rc = %s(p, ctx, &batch, &part);\n", comp_fn(g, k->kids[0]));
    put_batch_fail(g, k);
    put(g, "        parts[b] = part;\n"
           "        total += part.len;\n"
           "    }\n");
    put(g, "    %s result = {0};\n", outs->c_name);
    put(g, "    if (rc == 0 && total > 0 && (result.ptr = fx_alloc(ctx, total * sizeof *result.ptr)) == NULL)\n");
    put_nomem(g, 8, k);
    put(g, "    for (size_t b = 0; rc == 0 && b < nbatches; b++) {\n"
           "        if (parts[b].len > 0)\n"
           "            memcpy(result.ptr + result.len, parts[b].ptr, parts[b].len * sizeof *result.ptr);\n"
           "        result.len += parts[b].len;\n"
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
    put(g, "        rc = %s(p, ctx, batch, &part);\n", comp_fn(g, k->kids[0]));
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
 * from item expression `item` (uses i): counts, then each group's run of
 * the `values` array. */
static void put_grouping(Gen *g, int ind, const char *item)
{
    put(g, "%*sfor (size_t gi = 0; gi < keys.len; gi++) {\n"
           "%*s    groups[gi].key = keys.keys[gi];\n"
           "%*s    groups[gi].values.len = 0;\n"
           "%*s}\n"
           "%*sfor (size_t i = 0; i < n; i++)\n"
           "%*s    groups[group_of[i]].values.len++;\n"
           "%*sfor (size_t gi = 0, start = 0; gi < keys.len; gi++) {\n"
           "%*s    groups[gi].values.ptr = values + start;\n"
           "%*s    start += groups[gi].values.len;\n"
           "%*s    groups[gi].values.len = 0;\n"
           "%*s}\n"
           "%*sfor (size_t i = 0; i < n; i++) {\n"
           "%*s    size_t gi = group_of[i];\n"
           "%*s    groups[gi].values.ptr[groups[gi].values.len++] = %s;\n"
           "%*s}\n",
        ind, "", ind, "", ind, "", ind, "", ind, "", ind, "", ind, "", ind, "", ind, "", ind, "", ind, "",
        ind, "", ind, "", ind, "", item, ind, "");
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
    put(g, "        %s__keys_%s keys = {0};\n", g->mod, kt->mangled);
    put(g, "        size_t *group_of = fx_alloc(ctx, n * sizeof *group_of);   /* item i is in group group_of[i] */\n");
    put(g, "        %s = fx_alloc(ctx, n * sizeof *groups);\n", ptr_decl(g, gt, "groups"));
    put(g, "        %s = fx_alloc(ctx, n * sizeof *values);   /* the groups' items, group after group */\n",
        ptr_decl(g, it, "values"));
    put(g, "        if (group_of == NULL || groups == NULL || values == NULL || %s__keys_%s_init(&keys, ctx, n) != 0)\n",
        g->mod, kt->mangled);
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
    put(g, "            group_of[i] = %s__keys_%s_group(&keys, &item_key);\n", g->mod, kt->mangled);
    put(g, "        }\n");
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

/* Both phases of a mapreduce run as tasks on the runtime's worker pool
 * (fluxus/sched.h). A task covers a range [lo, hi) of items (map) or groups
 * (reduce) and stops at its first failure, or as soon as its context is
 * done: the group cancels the others at the first failure, and a deadline
 * or cancellation of the caller's context reaches every task at once. */
static void prelude_phase(Gen *g, const Comp *k, const char *phase, const Comp *part, const char *what)
{
    const char *task = sprintf_intern(g->c, "%s_%s_task", comp_fn(g, k), phase);
    const char *fn = sprintf_intern(g->c, "%s_%s", comp_fn(g, k), phase);
    put(g, "\n/* n%d's %s phase: one task %ss the %ss [lo, hi). */\n", k->id, phase, phase, what);
    put(g, "typedef struct %s {\n"
           "    fx_task task;   /* first: what the scheduler sees */\n"
           "    %s *p;\n"
           "    %s;\n"
           "    %s;\n"
           "    size_t lo, hi;\n"
           "} %s;\n\n", task, g->api, in_param(g->c, part->in, "from"), out_param(g->c, part->out, "to"), task);
    put(g, "static int %s(fx_task *task, fx_ctx *ctx)\n{\n"
           "    %s *t = (%s *)(void *)task;\n"
           "    for (size_t i = t->lo; i < t->hi; i++) {\n"
           "        int rc = FX_UNLIKELY(fx_ctx_done(ctx)) ? fx__ctx_fail(ctx, %s)\n"
           "                                               : %s(t->p, ctx, &t->from[i], &t->to[i]);\n"
           "        if (FX_UNLIKELY(rc != 0)) {\n"
           "            task->index = (int)i;   /* the %s that failed */\n"
           "            return fx__stage_fail(ctx, rc, %s);\n"
           "        }\n"
           "    }\n"
           "    return 0;\n}\n", fn, task, task, lit(g, part->label), comp_fn(g, part), what, lit(g, part->label));
}

static void prelude_mapreduce(Gen *g, const Comp *k)
{
    prelude_phase(g, k, "map", k->kids[0], "item");
    prelude_phase(g, k, "reduce", k->kids[1], "group");
}

/* Runs `count` FROM[i] -> TO[i] through the phase's tasks, at most `workers`
 * at once; on failure wraps the first task's error as "PHASE phase failed"
 * with index = the item or group. Inside `if (rc == 0) { ... }`. */
static void put_phase(Gen *g, const Comp *k, const char *phase, const char *count, const char *from,
                      const char *to)
{
    const char *task = sprintf_intern(g->c, "%s_%s_task", comp_fn(g, k), phase);
    put(g, "        if (rc == 0) {   /* %s phase */\n", phase);
    put(g, "            const size_t chunk = %s / (workers * 4) > 0 ? %s / (workers * 4) : 1;\n"
           "            const size_t ntasks = (%s + chunk - 1) / chunk;\n"
           "            %s *tasks = fx_alloc(ctx, ntasks * sizeof *tasks);\n"
           "            fx_group group;\n"
           "            if (tasks == NULL || fx_group_init(&group, p->rt, ctx, (int)workers) != 0) {\n",
        count, count, count, task);
    put_nomem(g, 16, k);
    put(g, "            } else {\n"
           "                for (size_t ti = 0; ti < ntasks; ti++) {\n"
           "                    const size_t lo = ti * chunk, hi = lo + chunk < %s ? lo + chunk : %s;\n"
           "                    tasks[ti] = (%s){.task = {.fn = %s_%s, .index = (int)lo},\n"
           "                                     .p = p, .from = %s, .to = %s, .lo = lo, .hi = hi};\n"
           "                    fx_group_spawn(&group, &tasks[ti].task);\n"
           "                }\n"
           "                rc = fx_group_wait(&group);\n"
           "                if (FX_UNLIKELY(rc != 0)) {\n"
           "                    const fx_task *bad = fx_group_failed(&group);\n"
           "                    rc = fx__flow_fail(ctx, rc, %s, bad->index, bad->error, \"%s phase failed\");\n"
           "                }\n"
           "            }\n"
           "        }\n",
        count, count, task, comp_fn(g, k), phase, from, to, lit(g, k->label), phase);
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
    put(g, "        if (kvs == NULL)\n");
    put_nomem(g, 12, k);
    put_phase(g, k, "map", "n", "in->ptr", "kvs");
    /* shuffle */
    put(g, "        /* shuffle: the values grouped by key, in item order */\n");
    put(g, "        %s__keys_%s keys = {0};\n", g->mod, kt->mangled);
    put(g, "        size_t *group_of = NULL;   /* item i's value is in group group_of[i] */\n");
    put(g, "        %s = NULL;\n", ptr_decl(g, gt, "groups"));
    put(g, "        %s = NULL;   /* the groups' values, group after group */\n", ptr_decl(g, vt, "values"));
    put(g, "        if (rc == 0) {\n"
           "            group_of = fx_alloc(ctx, n * sizeof *group_of);\n"
           "            groups = fx_alloc(ctx, n * sizeof *groups);\n"
           "            values = fx_alloc(ctx, n * sizeof *values);\n"
           "            if (group_of == NULL || groups == NULL || values == NULL || %s__keys_%s_init(&keys, ctx, n) != 0)\n",
        g->mod, kt->mangled);
    put_nomem(g, 16, k);
    put(g, "        }\n");
    put(g, "        if (rc == 0) {\n"
           "            for (size_t i = 0; i < n; i++)\n"
           "                group_of[i] = %s__keys_%s_group(&keys, &kvs[i].key);\n", g->mod, kt->mangled);
    put_grouping(g, 12, "kvs[i].value");
    put(g, "        }\n");
    /* reduce */
    put(g, "        if (rc == 0 && (result.ptr = fx_alloc(ctx, keys.len * sizeof *result.ptr)) == NULL)\n");
    put_nomem(g, 12, k);
    put_phase(g, k, "reduce", "keys.len", "groups", "result.ptr");
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
                    .body = body_mapreduce, .prelude = prelude_mapreduce}},
    {OP_FILTER, {.kind = "FX_COMPONENT_COMBINATOR", .checks_ctx = false, .observed = false, .body = body_filter}},
    {OP_JOIN_BY_KEY, {.kind = "FX_COMPONENT_COMBINATOR", .checks_ctx = true, .observed = true, .body = body_join}},
    {OP_NONE, {.kind = NULL}},
};
