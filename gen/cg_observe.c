/* cg_observe.c — code generators for the observability combinators: metrics, trace (SPEC §5.6).
 *
 * Each row of the table below is one op (cgen.h). Neither op is observed
 * through emit_component (its table entry would be named "metrics" or
 * "trace"); each body observes its part itself under the name the user
 * gave, with a component description of its own (a function-local static).
 * Both have variants (cgen.h): the plain one only calls the part, the
 * observed one reports. docs/OBSERVABILITY.md explains what each reports.
 */
#include "cgen.h"

/* The name a metrics()/trace() call gives its part: name: "…", else the
 * part's own name. */
static const char *given_name(const Comp *k)
{
    const Expr *n = expr_opt(k->e, "name");
    return n != NULL && n->name != NULL ? n->name : k->kids[0]->label;
}

/* True when the part reports by itself (fx_observe_begin/end around it). */
static bool part_observed(const Comp *k)
{
    const OpGen *og = cg_op(k->kids[0]->op);
    return og != NULL && og->observed;
}

/* `    static const fx_component VAR = {"pipeline", "name", "module", KIND};` */
static void put_component(Gen *g, const char *var, const char *name, const char *kind)
{
    put(g, "    static const fx_component %s = {", var);
    put_c_string(g->out, g->pipe->name);
    put(g, ", ");
    put_c_string(g->out, name);
    put(g, ", ");
    put_c_string(g->out, g->mod);
    put(g, ", %s};\n", kind);
}

/* metrics(s, name: "x"): s reports as x. A part that is observed by itself
 * already carries the name (sema labels it); any other part (a chain,
 * on_error, ...) is observed here: stage events and a span named x. */
static void body_metrics(Gen *g, const Comp *k)
{
    const Comp *part = k->kids[0];
    const char *name = given_name(k);
    if (g->variant == VARIANT_PLAIN) {
        put(g, "    int rc = %s(p, ctx, in, out);   /* metrics(): nothing to report here */\n", comp_fn(g, part));
        return;
    }
    if (part_observed(k)) {
        put(g, "    /* metrics(): the part reports as \"");
        put_comment_text(g, name);
        put(g, "\" by itself */\n");
        put(g, "    int rc = %s(p, ctx, in, out);\n", comp_fn(g, part));
        return;
    }
    const OpGen *pg = cg_op(part->op);
    put(g, "    /* metrics(): stage events and a span for the part, as \"");
    put_comment_text(g, name);
    put(g, "\" */\n");
    put_component(g, "metered", name, pg != NULL ? pg->kind : "FX_COMPONENT_COMBINATOR");
    put(g, "    fx_observation mobs;\n"
           "    fx_observe_begin(p->rt, ctx, &metered, &mobs);\n"
           "    int rc = %s(p, ctx, in, out);\n"
           "    fx_observe_end(p->rt, ctx, &metered, &mobs, rc);\n",
        comp_fn(g, part));
}

/* trace(s, name: "x", attrs: {k: "v", ...}): one span x with the
 * attributes around s. When s is observed by itself its own span is that
 * span (merge); otherwise a trace-only span is opened here. */
static void body_trace(Gen *g, const Comp *k)
{
    const Comp *part = k->kids[0];
    const char *name = given_name(k);
    const Expr *attrs = expr_opt(k->e, "attrs");
    size_t nattrs = attrs != NULL ? attrs->nargs : 0;
    bool merge = part_observed(k);
    if (g->variant == VARIANT_PLAIN) {
        put(g, "    int rc = %s(p, ctx, in, out);   /* trace(): nothing to report here */\n", comp_fn(g, part));
        return;
    }
    put(g, "    /* trace(): %s */\n", merge ? "the part's own span carries the name and attributes"
                                            : "a span around the part (no metrics events)");
    put_component(g, "traced", name, "FX_COMPONENT_COMBINATOR");
    if (nattrs > 0) {
        put(g, "    static const fx_attr traced_attrs[] = {\n");
        for (size_t i = 0; i < nattrs; i++) {
            put(g, "        {");
            put_c_string(g->out, attrs->args[i].name);
            put(g, ", ");
            put_c_string(g->out, attrs->args[i].value->name);
            put(g, "},\n");
        }
        put(g, "    };\n");
    }
    put(g, "    fx_observation tobs;\n"
           "    fx_observe_trace_begin(p->rt, ctx, &traced, %s, %zu, %s, &tobs);\n"
           "    int rc = %s(p, ctx, in, out);\n"
           "    fx_observe_trace_end(p->rt, ctx, &tobs, rc);\n",
        nattrs > 0 ? "traced_attrs" : "NULL", nattrs, merge ? "true" : "false", comp_fn(g, part));
}

const OpGenEntry cg_observe_ops[] = {
    {OP_METRICS, {.kind = "FX_COMPONENT_COMBINATOR", .checks_ctx = false, .observed = false, .variants = true,
                   .body = body_metrics}},
    {OP_TRACE, {.kind = "FX_COMPONENT_COMBINATOR", .checks_ctx = false, .observed = false, .variants = true,
                 .body = body_trace}},
    {OP_NONE, {.kind = NULL}},
};
