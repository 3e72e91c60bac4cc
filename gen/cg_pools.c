/* cg_pools.c — module-level pools: `pool NAME: T (capacity: n, prewarm: k)`
 * (SPEC §5.5).
 *
 * Each pool is a module-level object with static storage: the fx_pool is
 * made on the first call of any of its functions (fx_pool_once: once, even
 * when many threads race) and lives until the program ends; nothing frees
 * it (like the default runtime). The header declares, for module M:
 *
 *   T            *M_NAME_get(void);           an object, reused or new (zeroed)
 *   void          M_NAME_put(T *obj);         give it back
 *   fx_pool_stats M_NAME_stats(void);         gets, puts, misses, size
 *   fx_slice_E   *M_NAME_get_cap(size_t n);   T = [E]: length 0, room for >= n
 *
 * and the source defines them over libfluxus's fx_pool (fluxus/pool.h).
 */
#include <string.h>

#include "backend.h"
#include "cgen.h"

/* Defaults when an option is left out (sema checks the values). */
enum { POOL_DEFAULT_CAPACITY = 64, POOL_DEFAULT_PREWARM = 0 };

static long long pool_opt(const Decl *d, const char *name, long long dflt)
{
    for (size_t i = 0; i < d->nopts; i++)
        if (d->opts[i].name != NULL && strcmp(d->opts[i].name, name) == 0 && d->opts[i].value != NULL)
            return (long long)d->opts[i].value->ival;
    return dflt;
}

static bool is_pool(const Decl *d)
{
    return d->kind == D_POOL && d->in_t != NULL;
}

void cg_pools_header(Gen *g)
{
    const Module *m = g->c->module;
    bool any = false;
    for (size_t i = 0; i < m->ndecls; i++)
        any = any || is_pool(m->decls[i]);
    if (!any)
        return;
    put(g, "\n/* ---------------------------------------------------------------- pools\n"
           " * Module-level pools (SPEC 5.5), made on first use and kept until the\n"
           " * program ends. Every function may be called from any thread.\n"
           " *   _get    an idle object (the last one put back, as it was left) or a new,\n"
           " *           zeroed one; NULL on OOM.\n"
           " *   _put    gives an object from _get back (NULL: no-op); kept while the pool\n"
           " *           holds fewer than its capacity, else freed. Put it back once.\n"
           " *   _stats  gets, puts, misses (gets that made a new object), size (idle now).\n"
           " *   _get_cap  (pools of a slice type) length 0 and room for at least n items;\n"
           " *           the storage stays with the object across put/get. NULL on OOM.\n"
           " */\n");
    for (size_t i = 0; i < m->ndecls; i++) {
        const Decl *d = m->decls[i];
        if (!is_pool(d))
            continue;
        const Type *t = d->in_t;
        const char *api = sprintf_intern(g->c, "%s_%s", g->mod, d->name);
        put(g, "\n/* pool %s: %s (capacity: %lld, prewarm: %lld)  (%s:%d) */\n", d->name, t->fx_name,
            pool_opt(d, "capacity", POOL_DEFAULT_CAPACITY), pool_opt(d, "prewarm", POOL_DEFAULT_PREWARM),
            g->fx_base, d->loc.line);
        put(g, "%s_get(void);\n", c_join(g->c, c_join(g->c, t->c_name, "*"), api));
        put(g, "void %s_put(%s);\n", api, c_join(g->c, c_join(g->c, t->c_name, "*"), "obj"));
        put(g, "fx_pool_stats %s_stats(void);\n", api);
        if (t->kind == TY_SLICE)
            put(g, "%s *%s_get_cap(size_t n);\n", t->c_name, api);
    }
}

void cg_pools_source(Gen *g)
{
    const Module *m = g->c->module;
    for (size_t i = 0; i < m->ndecls; i++) {
        const Decl *d = m->decls[i];
        if (!is_pool(d))
            continue;
        const Type *t = d->in_t;
        const bool slice = t->kind == TY_SLICE;
        const char *api = sprintf_intern(g->c, "%s_%s", g->mod, d->name);
        const char *pfx = sprintf_intern(g->c, "%s__%s", g->mod, d->name);
        put(g, "\n/* ================================================================ pool %s\n"
               " * %s (%s:%d) */\n\n", d->name, t->fx_name, g->fx_base, d->loc.line);
        put(g, "static fx_pool *%s_pool;   /* made on first use, never freed */\n", pfx);
        put(g, "static const fx_pool_config %s_config = {\n"
               "    .size = sizeof(%s),\n"
               "    .capacity = %lld,\n"
               "    .prewarm = %lld,\n", pfx, t->c_name,
            pool_opt(d, "capacity", POOL_DEFAULT_CAPACITY), pool_opt(d, "prewarm", POOL_DEFAULT_PREWARM));
        if (slice)
            put(g, "    .elem_size = sizeof(%s),   /* each slice keeps its storage */\n", t->elem->c_name);
        put(g, "};\n\n");
        put(g, "static fx_pool *%s(void)\n{\n    return fx_pool_once(&%s_pool, &%s_config);\n}\n\n", pfx, pfx, pfx);

        if (slice) {
            put(g, "%s *%s_get(void)\n{\n"
                   "    fx_pool *pool = %s();\n"
                   "    %s = fx_pool_get(pool);\n"
                   "    if (s != NULL) {\n"
                   "        s->ptr = fx_pool_storage(pool, s, 0);   /* what it had, or NULL */\n"
                   "        s->len = 0;\n"
                   "    }\n"
                   "    return s;\n}\n\n", t->c_name, api, pfx, c_join(g->c, c_join(g->c, t->c_name, "*"), "s"));
            put(g, "%s *%s_get_cap(size_t n)\n{\n"
                   "    fx_pool *pool = %s();\n"
                   "    %s = fx_pool_get(pool);\n"
                   "    if (s == NULL)\n"
                   "        return NULL;\n"
                   "    s->ptr = fx_pool_storage(pool, s, n);\n"
                   "    s->len = 0;\n"
                   "    if (s->ptr == NULL && n > 0) {\n"
                   "        fx_pool_put(pool, s);\n"
                   "        return NULL;\n"
                   "    }\n"
                   "    return s;\n}\n\n", t->c_name, api, pfx, c_join(g->c, c_join(g->c, t->c_name, "*"), "s"));
        } else {
            put(g, "%s_get(void)\n{\n    return fx_pool_get(%s());\n}\n\n",
                c_join(g->c, c_join(g->c, t->c_name, "*"), api), pfx);
        }
        put(g, "void %s_put(%s)\n{\n    if (obj != NULL)\n        fx_pool_put(%s(), obj);\n}\n\n", api,
            c_join(g->c, c_join(g->c, t->c_name, "*"), "obj"), pfx);
        put(g, "fx_pool_stats %s_stats(void)\n{\n    return fx_pool_read_stats(%s());\n}\n", api, pfx);
    }
}
