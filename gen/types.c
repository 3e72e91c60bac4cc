/* types.c — the type table. Types are hash-consed, so type equality is
 * pointer equality, and every composite is made once. */
#include <stdlib.h>
#include <string.h>

#include "fluxc.h"

typedef struct TypeTable {
    Vec all;          /* every Type, owned */
    Vec composites;   /* slices, KeyValues, Groups in creation order */
    const Type *builtins[TY_STR + 1];
} TypeTable;

static const struct {
    const char *fx, *c;
} builtin_names[TY_STR + 1] = {
    [TY_BOOL] = {"bool", "bool"},
    [TY_I8] = {"i8", "int8_t"},
    [TY_I16] = {"i16", "int16_t"},
    [TY_I32] = {"i32", "int32_t"},
    [TY_I64] = {"i64", "int64_t"},
    [TY_U8] = {"u8", "uint8_t"},
    [TY_U16] = {"u16", "uint16_t"},
    [TY_U32] = {"u32", "uint32_t"},
    [TY_U64] = {"u64", "uint64_t"},
    [TY_F32] = {"f32", "float"},
    [TY_F64] = {"f64", "double"},
    [TY_USIZE] = {"usize", "size_t"},
    [TY_STR] = {"str", "const char *"},
};

static TypeTable *table(Compiler *c)
{
    if (!c->types)
        c->types = xcalloc(1, sizeof *c->types);
    return c->types;
}

void types_free(TypeTable *t);
void types_free(TypeTable *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->all.len; i++)
        free(t->all.items[i]);
    vec_free(&t->all);
    vec_free(&t->composites);
    free(t);
}

static Type *type_new(Compiler *c, TypeKind k)
{
    Type *t = xcalloc(1, sizeof *t);
    t->kind = k;
    vec_push(&table(c)->all, t);
    return t;
}

const Type *type_builtin(Compiler *c, TypeKind k)
{
    TypeTable *tt = table(c);
    if (k > TY_STR)
        return NULL;
    if (!tt->builtins[k]) {
        Type *t = type_new(c, k);
        t->fx_name = intern_cstr(c, builtin_names[k].fx);
        t->mangled = t->fx_name;
        t->c_name = intern_cstr(c, builtin_names[k].c);
        tt->builtins[k] = t;
    }
    return tt->builtins[k];
}

const Type *type_builtin_named(Compiler *c, const char *name)
{
    for (int k = 0; k <= TY_STR; k++)
        if (strcmp(builtin_names[k].fx, name) == 0)
            return type_builtin(c, (TypeKind)k);
    return NULL;
}

static const Type *find(Compiler *c, TypeKind k, const Type *a, const Type *b)
{
    TypeTable *tt = table(c);
    for (size_t i = 0; i < tt->composites.len; i++) {
        const Type *t = tt->composites.items[i];
        if (t->kind != k)
            continue;
        if (k == TY_SLICE ? t->elem == a : (t->key == a && t->value == b))
            return t;
    }
    return NULL;
}

static const char *fmt(Compiler *c, const char *f, const char *a, const char *b)
{
    Buf buf;
    buf_init(&buf);
    buf_printf(&buf, f, a, b);
    const char *s = intern(c, buf.data, buf.len);
    buf_free(&buf);
    return s;
}

const Type *type_slice(Compiler *c, const Type *elem)
{
    const Type *found = find(c, TY_SLICE, elem, NULL);
    if (found)
        return found;
    Type *t = type_new(c, TY_SLICE);
    t->elem = elem;
    t->fx_name = fmt(c, "[%s]%s", elem->fx_name, "");
    t->mangled = fmt(c, "slice_%s%s", elem->mangled, "");
    t->c_name = fmt(c, "fx_%s%s", t->mangled, "");
    vec_push(&table(c)->composites, t);
    return t;
}

static const Type *pair(Compiler *c, TypeKind k, const Type *key, const Type *value)
{
    const Type *found = find(c, k, key, value);
    if (found)
        return found;
    Type *t = type_new(c, k);
    t->key = key;
    t->value = value;
    bool kv = k == TY_KV;
    t->fx_name = fmt(c, kv ? "KeyValue<%s, %s>" : "Group<%s, %s>", key->fx_name, value->fx_name);
    t->mangled = fmt(c, kv ? "kv_%s_%s" : "group_%s_%s", key->mangled, value->mangled);
    t->c_name = fmt(c, "fx_%s%s", t->mangled, "");
    if (!kv)
        type_slice(c, value);   /* a Group holds a slice of its values: make it first */
    vec_push(&table(c)->composites, t);
    return t;
}

const Type *type_kv(Compiler *c, const Type *key, const Type *value)
{
    return pair(c, TY_KV, key, value);
}

const Type *type_group(Compiler *c, const Type *key, const Type *value)
{
    return pair(c, TY_GROUP, key, value);
}

const Type *type_decl(Compiler *c, const Decl *d)
{
    if (d->type)
        return d->type;
    Type *t = type_new(c, d->kind == D_STRUCT ? TY_STRUCT : TY_EXTERN);
    t->decl = d;
    t->fx_name = d->name;
    t->mangled = d->name;
    t->c_name = d->c_spelling ? d->c_spelling : d->name;
    return t;
}

bool type_is_integer(const Type *t)
{
    return t->kind >= TY_I8 && t->kind <= TY_U64 ? true : t->kind == TY_USIZE;
}

/* A struct that contains itself is an error reported by sema; the depth
 * bound keeps this from recursing forever on one. */
/* Within one question, a struct already visited is either still being
 * walked (a cycle: reported as a struct holding itself) or was found
 * hashable (a "no" ends the whole walk at once): either way it adds nothing,
 * so each struct is walked once, not once per path to it. */
static bool hashable(const Type *t, Vec *visited)
{
    if (type_is_integer(t) || t->kind == TY_BOOL || t->kind == TY_STR)
        return true;
    if (t->kind != TY_STRUCT)
        return false;
    const Decl *d = t->decl;
    for (size_t i = 0; i < visited->len; i++)
        if (visited->items[i] == d)
            return true;
    vec_push(visited, (void *)d);
    for (size_t i = 0; i < d->nfields; i++) {
        const Type *ft = d->fields[i].type ? d->fields[i].type->resolved : NULL;
        /* a field whose type did not resolve has had its error already */
        if (ft && !hashable(ft, visited))
            return false;
    }
    return true;
}

bool type_is_hashable(const Type *t)
{
    Vec visited = {0};
    bool ok = hashable(t, &visited);
    vec_free(&visited);
    return ok;
}

const char *type_c_decl(Compiler *c, const Type *t, const char *name)
{
    size_t n = strlen(t->c_name);
    bool star = n > 0 && t->c_name[n - 1] == '*';
    return fmt(c, star ? "%s%s" : "%s %s", t->c_name, name);
}

const char *type_c_const_ptr(Compiler *c, const Type *t)
{
    if (t->kind == TY_STR)
        return intern_cstr(c, "const char *const *");
    return fmt(c, "const %s *%s", t->c_name, "");
}

const Vec *types_composite(const Compiler *c)
{
    static const Vec empty;
    return c->types ? &c->types->composites : &empty;
}
