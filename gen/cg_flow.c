/* cg_flow.c — code generators for the flow combinators: fanout, fanin,
 * parallel, map, router (SPEC §2.4, §5.4; docs/PATTERNS.md).
 *
 * Each row of the table below is one op (cgen.h). An op with no row is
 * type-checked by sema, and fluxc reports that it cannot generate it yet.
 *
 * The concurrent ones run their branches as tasks of a group on the
 * instance's runtime (fluxus/sched.h). Per call, nothing is shared between
 * calls: the task structs live on the caller's stack (fanout, parallel:
 * their number is bounded) or in the context arena (map, router), results in
 * the arena (or on the stack, for a parallel whose reducer cannot keep them); after warm-up (and fx_ctx_reset between runs) a call makes no
 * malloc. Every task struct embeds fx_task first and carries typed
 * pointers: no item travels as void *.
 *
 *   fanout/parallel  min(N, concurrency, threads) tasks that take stage
 *                    indices from a shared fx_cursor; a switch calls the
 *                    stage's component function; a failed stage ends its
 *                    task with index = the stage. A group that runs on the
 *                    caller alone (fx_group_is_inline) spawns nothing: an
 *                    unobserved instance calls the stages' plain functions
 *                    one after another, unrolled (up to FANOUT_UNROLL_MAX
 *                    stages), an observed one loops over the switch with
 *                    the branch spans. parallel's results live on the
 *                    stack when the reducer's output holds no pointer.
 *   router           the selector runs first on the caller's thread; then
 *                    like fanout over the selection positions.
 *   map              min(n, concurrency, threads) tasks that take chunks of items
 *                    from a shared fx_cursor (guided self-scheduling);
 *                    fail-fast stops at the first error (the group cancels
 *                    the others), collect_errors records each failed item
 *                    and goes on.
 * The calling thread runs one of the tasks itself (fluxus/sched.h), so
 * with concurrency 1, or when the work is done before a worker wakes,
 * nothing is handed off. Each of them is a call site of its own
 * (fx_group_site in the instance, `site_nK`): the scheduler learns there
 * whether its groups are cheap enough to run on the caller alone (and the
 * cursor then counts without atomics).
 */
#include <string.h>

#include "cgen.h"

/* ------------------------------------------------------------ helpers */

static const char *label_lit(Gen *g, const Comp *k)
{
    Buf b;
    buf_init(&b);
    put_c_string(&b, k->label);
    const char *s = intern_cstr(g->c, b.data);
    buf_free(&b);
    return s;
}

/* `concurrency:` (or 0 when not given). */
static long long opt_int(const Comp *k, const char *name)
{
    const Expr *v = k->e != NULL ? expr_opt(k->e, name) : NULL;
    return v != NULL ? (long long)v->ival : 0;
}

static bool collect_errors(const Comp *k)
{
    const Expr *v = k->e != NULL ? expr_opt(k->e, "collect_errors") : NULL;
    return v != NULL && v->ival != 0;
}

const char *cg_partial_code(const Comp *k)
{
    switch (k->op) {
    case OP_MAP:
        return collect_errors(k) ? "FX_EMULTI" : NULL;
    case OP_FILTER:
        return "FX_EFILTERED";
    case OP_CHAIN:
        return k->nkids > 0 ? cg_partial_code(k->kids[k->nkids - 1]) : NULL;
    case OP_PIPELINE: case OP_METRICS: case OP_TRACE:
        return k->nkids > 0 ? cg_partial_code(k->kids[0]) : NULL;
    default:
        return NULL;
    }
}

/* `if (FX_UNLIKELY(observed)) fx_observe_event(...)` at `ind`. */
static void put_event(Gen *g, const Comp *k, int ind, const char *kind, const char *value,
                      const char *index, const char *code)
{
    put(g, "%*sif (FX_UNLIKELY(observed))\n"
           "%*s    fx_observe_event(p->rt, ctx, &(fx_event){ .kind = %s, .component = &%s_components[%d],\n"
           "%*s                     .value = (int64_t)(%s), .index = %s, .code = %s });\n",
        ind, "", ind, "", kind, g->pfx, k->id, ind, "", value, index, code);
}

static void put_attr_int(Gen *g, int ind, const char *key, const char *value)
{
    put(g, "%*sif (FX_UNLIKELY(observed))\n%*s    fx_span_attr_int(ctx, \"%s\", (int64_t)(%s));\n", ind, "",
        ind, "", key, value);
}

/* In a task function: `int rc = CALL;` at `ind`, under a child span
 * (FX_CHILD_BRANCH or FX_CHILD_ITEM, number idx) on the task's context. */
static void put_branch_call(Gen *g, const Comp *k, int ind, const char *child_kind, const char *idx,
                            const char *call)
{
    put(g, "%*sfx_observation bo;\n"
           "%*sconst bool observed = fx_runtime_observed(p->rt);\n"
           "%*sif (FX_UNLIKELY(observed))\n"
           "%*s    fx_observe_child_begin(p->rt, ctx, &%s_components[%d], %s, (int)(%s), &bo);\n",
        ind, "", ind, "", ind, "", ind, "", g->pfx, k->id, child_kind, idx);
    put(g, "%*sint rc = %s;\n", ind, "", call);
    put(g, "%*sif (FX_UNLIKELY(observed))\n%*s    fx_observe_child_end(p->rt, ctx, &bo, rc);\n", ind, "",
        ind, "");
}

/* ntasks = min(ntasks, the runtime's threads): with the caller running
 * one, that many tasks keep every thread busy; more would take turns. */
static void put_cap_to_threads(Gen *g, int ind)
{
    put(g, "%*sif ((size_t)fx_runtime_threads(p->rt) < ntasks)   /* more would take turns on the CPUs */\n"
           "%*s    ntasks = (size_t)fx_runtime_threads(p->rt);\n",
        ind, "", ind, "");
}

/* Declares a task frame `f` (fn_frame) and sets it field by field: p, the
 * given assignments (each a whole statement, NULL-terminated), a zero
 * cursor. An initializer would also clear the two 64-byte pads around the
 * cursor, a `rep stos` that costs more than a cheap group's work. */
static void put_frame_init(Gen *g, int ind, const char *fn, ...)
{
    put(g, "%*s%s_frame f;   /* field by field: the pads stay unwritten */\n"
           "%*sf.p = p;\n",
        ind, "", fn, ind, "");
    va_list ap;
    va_start(ap, fn);
    for (const char *a = va_arg(ap, const char *); a != NULL; a = va_arg(ap, const char *))
        put(g, "%*s%s\n", ind, "", a);
    va_end(ap);
    put(g, "%*sf.next = (fx_cursor){0};\n", ind, "");
}

/* The instance member where the scheduler learns about this site. */
static const char *site_member(Gen *g, const Comp *k)
{
    return sprintf_intern(g->c, "site_n%d", k->id);
}

static void members_site(Gen *g, const Comp *k)
{
    put(g, "    fx_group_site %s;   /* n%d: how long its groups take (fluxus/sched.h) */\n", site_member(g, k),
        k->id);
}

/* ------------------------------------------------------------ fanout, parallel */

/* The stages of a fanout are all its kids; parallel's last kid is reduce. */
static size_t nstages(const Comp *k)
{
    return k->op == OP_PARALLEL ? k->nkids - 1 : k->nkids;
}

/* What the fan-out's tasks share (one per call, on the caller's stack) and
 * a task: min(N, concurrency, threads) tasks take stage indices from a
 * cursor and run stage `i` on the task's context under a branch span; a
 * failed stage ends its task (index = the stage). */
static void prelude_fanout(Gen *g, const Comp *k)
{
    const Comp *s0 = k->kids[0];
    const char *fn = comp_fn(g, k);
    put(g, "\n/* n%d: the fan-out's tasks take stages from a cursor (fluxus/sched.h) */\n", k->id);
    put(g, "typedef struct %s_frame {\n"
           "    %s *p;\n"
           "    %s;\n"
           "    %s;                 /* results[i]: stage i's */\n"
           "    char pad[64];              /* the cursor's line is written by every take: */\n"
           "    fx_cursor next;            /* the next stage to run */\n"
           "    char pad_end[64];          /* keep it off the lines read per stage */\n"
           "} %s_frame;\n\n",
        fn, g->api, in_param(g->c, s0->in, "in"), out_param(g->c, s0->out, "results"), fn);
    put(g, "typedef struct %s_task {\n"
           "    fx_task task;              /* first: the pool hands it back */\n"
           "    %s_frame *f;\n"
           "} %s_task;\n\n",
        fn, fn, fn);
    put(g, "static int %s_run(fx_task *t, fx_ctx *ctx)\n{\n"
           "    %s_frame *f = ((%s_task *)(void *)t)->f;\n"
           "    %s *p = f->p;\n"
           "    for (;;) {\n"
           "        size_t i = fx_cursor_take(&f->next);\n"
           "        if (i >= %zu)\n"
           "            return 0;\n",
        fn, fn, fn, g->api, nstages(k));
    put_branch_call(g, k, 8, "FX_CHILD_BRANCH", "i",
                    sprintf_intern(g->c, "%s_stage(p, ctx, (int)i, f->in, &f->results[i])", fn));
    put(g, "        if (FX_UNLIKELY(rc != 0)) {\n"
           "            t->index = (int)i;\n"
           "            return rc;\n"
           "        }\n"
           "    }\n}\n");
}

/* Stage i of a fanout/parallel: a switch over the stages' functions. */
static void prelude_fanout_dispatch(Gen *g, const Comp *k)
{
    const Comp *s0 = k->kids[0];
    const char *fn = comp_fn(g, k);
    put(g, "\n/* n%d: stage `i` of the fan-out */\n", k->id);
    put(g, "static int %s_stage(%s *p, fx_ctx *ctx, int i, %s, %s)\n{\n    switch (i) {\n", fn, g->api,
        in_param(g->c, s0->in, "in"), out_param(g->c, s0->out, "out"));
    for (size_t i = 0; i < nstages(k); i++)
        put(g, "    case %zu: return %s(p, ctx, in, out);\n", i, comp_fn(g, k->kids[i]));
    put(g, "    default: return fx__flow_fail(ctx, FX_EINVAL, %s, i, NULL, \"no stage %%d\", i);\n    }\n}\n",
        label_lit(g, k));
}

static void prelude_fanout_all(Gen *g, const Comp *k)
{
    prelude_fanout_dispatch(g, k);
    prelude_fanout(g, k);
}

/* Up to this many stages, an inline group of an unobserved instance calls
 * the stages' plain functions one after another, unrolled and inlined;
 * beyond it, a loop over the dispatch switch (the code would grow more
 * than the switch costs). */
#define FANOUT_UNROLL_MAX 16

/* No pointer can be hidden in a value of type t (numbers, bool, structs of
 * those): nothing of it can refer to memory that dies. */
static bool holds_no_pointer(const Type *t, int depth)
{
    if (t->kind <= TY_USIZE)   /* bool, the integers, the floats, usize */
        return true;
    if (t->kind != TY_STRUCT || depth > 32)   /* sema rejects a struct holding itself */
        return false;
    for (size_t i = 0; i < t->decl->nfields; i++) {
        const TypeExpr *fe = t->decl->fields[i].type;
        if (fe == NULL || fe->resolved == NULL || !holds_no_pointer(fe->resolved, depth + 1))
            return false;
    }
    return true;
}

/* parallel's results may live on the caller's stack: the only way out of
 * the component for the results array is through the reducer's output (its
 * input slice points at the array), and an output that holds no pointer
 * cannot keep it. Bounded like the unrolling, for the stack's sake. */
static bool results_on_stack(const Comp *k)
{
    return k->op == OP_PARALLEL && nstages(k) <= FANOUT_UNROLL_MAX &&
           holds_no_pointer(k->kids[k->nkids - 1]->out, 0);
}

/* The inline run of an unobserved instance: stage i's plain function for
 * every i in order, each inlined here; a failure leaves brc != 0 and i =
 * the stage. */
static void put_fanout_unrolled(Gen *g, const Comp *k, int ind)
{
    Variant saved = g->variant;
    g->variant = VARIANT_PLAIN;   /* the kids' _plain variants */
    put(g, "%*sdo {   /* once: the first failure breaks out, i = its stage */\n", ind, "");
    for (size_t i = 0; i < nstages(k); i++)
        put(g, "%*s    i = %zu;\n"
               "%*s    if (FX_UNLIKELY((brc = %s(p, ctx, in, &results[%zu])) != 0))\n"
               "%*s        break;\n",
            ind, "", i, ind, "", comp_fn(g, k->kids[i]), i, ind, "");
    put(g, "%*s} while (0);\n", ind, "");
    g->variant = saved;
}

/* The inline run of an instance: the loop over the dispatch switch, with
 * the branch spans when observed. */
static void put_fanout_inline_loop(Gen *g, const Comp *k, int ind)
{
    const char *fn = comp_fn(g, k);
    put(g, "%*sfor (; i < %zu; i++) {\n"
           "%*s    fx_observation bo;\n"
           "%*s    if (FX_UNLIKELY(observed))\n"
           "%*s        fx_observe_child_begin(p->rt, ctx, &%s_components[%d], FX_CHILD_BRANCH, (int)i, &bo);\n"
           "%*s    brc = %s_stage(p, ctx, (int)i, in, &results[i]);\n"
           "%*s    if (FX_UNLIKELY(observed))\n"
           "%*s        fx_observe_child_end(p->rt, ctx, &bo, brc);\n"
           "%*s    if (FX_UNLIKELY(brc != 0))\n"
           "%*s        break;\n"
           "%*s}\n",
        ind, "", nstages(k), ind, "", ind, "", ind, "", g->pfx, k->id, ind, "", fn, ind, "", ind, "", ind,
        "", ind, "", ind, "");
}

/* Runs the stages into `results` (N of them: in the arena, or on the stack
 * when results_on_stack); leaves rc; on error rc = FX_EFANOUT naming the
 * first failed stage. */
static void put_fanout_run(Gen *g, const Comp *k)
{
    const char *fn = comp_fn(g, k);
    const char *lbl = label_lit(g, k);
    size_t n = nstages(k);
    const Type *o = k->kids[0]->out;
    long long conc = opt_int(k, "concurrency");
    bool on_stack = results_on_stack(k);
    put(g, "    int rc;\n");
    put_attr_int(g, 4, "fluxus.stage.num_stages", sprintf_intern(g->c, "%zu", n));
    put_attr_int(g, 4, "fluxus.stage.concurrency", sprintf_intern(g->c, "%lld", conc));
    put_event(g, k, 4, "FX_EVENT_FANOUT_STARTED", sprintf_intern(g->c, "%zu", n), "-1", "0");
    if (on_stack)
        put(g, "    %s;   /* on the stack: the reducer's %s cannot point into it */\n",
            type_c_decl(g->c, o, sprintf_intern(g->c, "results[%zu]", n)), k->kids[k->nkids - 1]->out->fx_name);
    else
        put(g, "    %s = fx_alloc(ctx, %zu * sizeof *results);\n", type_c_decl(g->c, o, "*results"), n);
    put_frame_init(g, 4, fn, "f.in = in;", "f.results = results;", (const char *)NULL);
    if (conc > 0 && (size_t)conc < n)
        put(g, "    size_t ntasks = %lld;   /* concurrency */\n", conc);
    else
        put(g, "    size_t ntasks = %zu;\n", n);
    put(g, "    %s_task tasks[%zu];\n", fn, conc > 0 && (size_t)conc < n ? (size_t)conc : n);
    put(g, "    fx_group grp;\n");
    /* A site settled on the caller starts its group inline (sched.h). */
    const char *start = sprintf_intern(g->c,
        "fx__group_init_fast(&grp, ctx, %lld, &p->%s, %zu) ? 0 : fx_group_init_at(&grp, p->rt, ctx, %lld, &p->%s, %zu)",
        conc, site_member(g, k), n, conc, site_member(g, k), n);
    if (on_stack)
        put(g, "    if (FX_UNLIKELY((rc = %s) != 0))\n"
               "        rc = fx__flow_fail(ctx, rc, %s, -1, NULL, NULL);\n"
               "    else\n"
               "        memset(results, 0, sizeof results);\n",
            start, lbl);
    else
        put(g, "    if (FX_UNLIKELY(results == NULL))\n"
               "        rc = fx__flow_fail(ctx, FX_ENOMEM, %s, -1, NULL, NULL);\n"
               "    else if (FX_UNLIKELY((rc = %s) != 0))\n"
               "        rc = fx__flow_fail(ctx, rc, %s, -1, NULL, NULL);\n"
               "    else\n"
               "        memset(results, 0, %zu * sizeof *results);\n",
            lbl, start, lbl, n);
    put(g, "    if (rc == 0 && fx_group_is_inline(&grp)) {\n"
           "        /* A cheap site: the stages one after the other on this thread,\n"
           "         * no task, no cursor; the first failure ends the run. */\n"
           "        size_t i = 0;\n"
           "        int brc = 0;\n");
    if (n <= FANOUT_UNROLL_MAX) {
        put(g, "        if (FX_LIKELY(!observed)) {\n");
        put_fanout_unrolled(g, k, 12);
        put(g, "        } else {\n");
        put_fanout_inline_loop(g, k, 12);
        put(g, "        }\n");
    } else {
        put_fanout_inline_loop(g, k, 8);
    }
    put(g, "        const fx_error *cause = fx__group_end_fast(&grp, brc);\n"
           "        if (FX_UNLIKELY(brc != 0))\n"
           "            rc = fx__flow_fail(ctx, FX_EFANOUT, %s, (int)i, cause, \"stage %%d failed\", (int)i);\n"
           "    } else if (rc == 0) {\n", lbl);
    put_cap_to_threads(g, 8);
    put(g, "        ntasks = fx_cursor_watch(&f.next, &grp, ntasks);   /* 1 when it runs on the caller */\n"
           "        for (size_t i = 0; i < ntasks; i++) {\n"
           "            tasks[i] = (%s_task){ .task = { .fn = %s_run, .index = (int)i }, .f = &f };\n"
           "            fx_group_spawn(&grp, &tasks[i].task);\n"
           "        }\n"
           "        rc = fx_group_wait(&grp);\n"
           "        if (rc != 0) {\n"
           "            const fx_task *bad = fx_group_failed(&grp);\n"
           "            rc = fx__flow_fail(ctx, FX_EFANOUT, %s, bad->index, bad->error, \"stage %%d failed\", bad->index);\n"
           "        }\n"
           "    }\n",
        fn, fn, lbl);
    put_event(g, k, 4, "FX_EVENT_FANOUT_COMPLETED", sprintf_intern(g->c, "%zu", n), "-1", "rc");
}

static void body_fanout(Gen *g, const Comp *k)
{
    put_fanout_run(g, k);
    put(g, "    if (rc == 0) {\n"
           "        out->ptr = results;\n"
           "        out->len = %zu;\n", nstages(k));
    put_attr_int(g, 8, "fluxus.stage.num_results", "out->len");
    put(g, "    }\n");
}

/* parallel(s1..sN, reduce: agg) = fanout |> fanin(agg) */
static void body_parallel(Gen *g, const Comp *k)
{
    const Comp *agg = k->kids[k->nkids - 1];
    put_fanout_run(g, k);
    put(g, "    if (rc == 0) {\n");
    put_attr_int(g, 8, "fluxus.stage.num_results", sprintf_intern(g->c, "%zu", nstages(k)));
    put(g, "        %s = { results, %zu };\n", type_c_decl(g->c, agg->in, "all"), nstages(k));
    put_event(g, k, 8, "FX_EVENT_FANIN_STARTED", "all.len", "-1", "0");
    put(g, "        rc = %s(p, ctx, &all, out);\n", comp_fn(g, agg));
    put_event(g, k, 8, "FX_EVENT_FANIN_COMPLETED", "all.len", "-1", "rc");
    put(g, "    }\n");
}

/* ------------------------------------------------------------ fanin */

static void body_fanin(Gen *g, const Comp *k)
{
    put_attr_int(g, 4, "fluxus.stage.num_inputs", "in->len");
    put_event(g, k, 4, "FX_EVENT_FANIN_STARTED", "in->len", "-1", "0");
    put(g, "    int rc = %s(p, ctx, in, out);\n", comp_fn(g, k->kids[0]));
    put_event(g, k, 4, "FX_EVENT_FANIN_COMPLETED", "in->len", "-1", "rc");
}

/* ------------------------------------------------------------ map */

static void prelude_map(Gen *g, const Comp *k)
{
    const Comp *s = k->kids[0];
    const char *fn = comp_fn(g, k);
    bool collect = collect_errors(k);
    put(g, "\n/* n%d: what the map's tasks share (one per call, on the caller's stack) */\n", k->id);
    put(g, "typedef struct %s_frame {\n"
           "    %s *p;\n"
           "    %s;\n"
           "    %s;\n"
           "    size_t n;\n"
           "    size_t parts;              /* the number of tasks: sets the chunk size */\n"
           "    char pad[64];              /* the cursor's line is written by every take: */\n"
           "    fx_cursor next;            /* the next item to take */\n"
           "    char pad_end[64];          /* keep it off the lines read per item */\n",
        fn, g->api, in_param(g->c, s->in, "items"), out_param(g->c, s->out, "results"));
    if (collect)
        put(g, "    const fx_error **errors;   /* errors[i]: item i's error, or NULL */\n");
    put(g, "} %s_frame;\n\n", fn);
    put(g, "typedef struct %s_task {\n"
           "    fx_task task;              /* first: the pool hands it back */\n"
           "    %s_frame *f;\n"
           "} %s_task;\n\n",
        fn, fn, fn);
    put(g, "/* Takes items until none is left%s. */\n",
        collect ? "; a failed item is recorded and the task goes on"
                : "; the first failed item ends the task (the group\n * then cancels the others, whose next item fails at once)");
    put(g, "static int %s_run(fx_task *t, fx_ctx *ctx)\n{\n"
           "    %s_frame *f = ((%s_task *)(void *)t)->f;\n"
           "    %s *p = f->p;\n"
           "    for (;;) {   /* a chunk of items per take: fewer shared-line updates */\n"
           "        size_t hi, i = fx_cursor_take_chunk(&f->next, f->n, f->parts, &hi);\n"
           "        if (i >= f->n)\n"
           "            return 0;\n"
           "        for (; i < hi; i++) {\n",
        fn, fn, fn, g->api);
    put_branch_call(g, k, 12, "FX_CHILD_ITEM", "i",
                    sprintf_intern(g->c, "%s(p, ctx, &f->items[i], &f->results[i])", comp_fn(g, s)));
    if (collect) {
        put(g, "            if (FX_UNLIKELY(rc != 0)) {\n"
               "                f->errors[i] = fx__flow_item_error(ctx, rc, (int)i);\n");
        put_zero_var(g, 16, s->out, "zero", NULL);
        put(g, "                f->results[i] = zero;\n"
               "            }\n");
    } else {
        put(g, "            if (FX_UNLIKELY(rc != 0)) {\n"
               "                t->index = (int)i;\n"
               "                return rc;\n"
               "            }\n");
    }
    put(g, "        }\n    }\n}\n");
}

static void body_map(Gen *g, const Comp *k)
{
    const Comp *s = k->kids[0];
    const char *fn = comp_fn(g, k);
    const char *lbl = label_lit(g, k);
    bool collect = collect_errors(k);
    long long conc = opt_int(k, "concurrency");
    if (conc > 0)
        put(g, "    const int concurrency = %lld;\n", conc);
    else
        put(g, "    const int concurrency = fx_runtime_threads(p->rt);   /* default: the runtime's threads */\n");
    put(g, "    const size_t n = in->len;\n"
           "    int rc = 0;\n");
    put_attr_int(g, 4, "fluxus.stage.concurrency", "concurrency");
    put_attr_int(g, 4, "fluxus.stage.num_inputs", "n");
    put(g, "    if (n == 0) {\n"
           "        out->ptr = NULL;   /* empty input, empty output */\n"
           "        out->len = 0;\n"
           "    } else {\n"
           "        size_t ntasks = n < (size_t)concurrency ? n : (size_t)concurrency;\n");
    put_cap_to_threads(g, 8);
    put_frame_init(g, 8, fn, "f.items = in->ptr;", "f.n = n;", "f.parts = ntasks;",
                   "f.results = fx_alloc(ctx, n * sizeof *f.results);", (const char *)NULL);
    put(g, "        %s_task *tasks = fx_alloc(ctx, ntasks * sizeof *tasks);\n", fn);
    if (collect)
        put(g, "        f.errors = fx_alloc(ctx, n * sizeof *f.errors);\n"
               "        if (f.errors != NULL)\n"
               "            memset(f.errors, 0, n * sizeof *f.errors);\n");
    put(g, "        fx_group grp;\n"
           "        if (FX_UNLIKELY(f.results == NULL || tasks == NULL%s))\n"
           "            rc = fx__flow_fail(ctx, FX_ENOMEM, %s, -1, NULL, NULL);\n"
           "        else if (FX_UNLIKELY((rc = fx_group_init_at(&grp, p->rt, ctx, concurrency, &p->%s, n)) != 0))\n"
           "            rc = fx__flow_fail(ctx, rc, %s, -1, NULL, NULL);\n"
           "        if (rc == 0) {\n"
           "            memset(f.results, 0, n * sizeof *f.results);\n"
           "            ntasks = fx_cursor_watch(&f.next, &grp, ntasks);   /* 1 when it runs on the caller */\n"
           "            for (size_t i = 0; i < ntasks; i++) {\n"
           "                tasks[i] = (%s_task){ .task = { .fn = %s_run, .index = (int)i }, .f = &f };\n"
           "                fx_group_spawn(&grp, &tasks[i].task);\n"
           "            }\n"
           "            rc = fx_group_wait(&grp);\n"
           "            if (rc != 0) {\n"
           "                const fx_task *bad = fx_group_failed(&grp);\n",
        collect ? " || f.errors == NULL" : "", lbl, site_member(g, k), lbl, fn, fn);
    if (collect) {
        /* Only a task that could not start (no context) fails here. */
        put(g, "                rc = fx__flow_fail(ctx, rc, %s, -1, bad->error, NULL);\n"
               "            } else {\n"
               "                rc = fx__flow_multi(ctx, %s, f.errors, n);\n"
               "                out->ptr = f.results;   /* every result, zero where the item failed */\n"
               "                out->len = n;\n"
               "            }\n",
            lbl, lbl);
    } else {
        put(g, "                rc = fx__flow_fail(ctx, FX_EMAP_ITEM, %s, bad->index, bad->error, \"item %%d failed\",\n"
               "                                   bad->index);\n"
               "            } else {\n"
               "                out->ptr = f.results;\n"
               "                out->len = n;\n"
               "            }\n",
            lbl);
    }
    put(g, "        }\n"
           "    }\n");
    put(g, "    if (rc == 0) {\n");
    put_attr_int(g, 8, "fluxus.stage.num_results", "out->len");
    put(g, "    }\n");
    (void)s;
}

/* ------------------------------------------------------------ router */

static void prelude_router(Gen *g, const Comp *k)
{
    const Comp *r0 = k->kids[1];
    const char *fn = comp_fn(g, k);
    put(g, "\n/* n%d: route `r` of the router */\n", k->id);
    put(g, "static int %s_route(%s *p, fx_ctx *ctx, uint32_t r, %s, %s)\n{\n    switch (r) {\n", fn, g->api,
        in_param(g->c, r0->in, "in"), out_param(g->c, r0->out, "out"));
    for (size_t i = 1; i < k->nkids; i++)
        put(g, "    case %zu: return %s(p, ctx, in, out);\n", i - 1, comp_fn(g, k->kids[i]));
    put(g, "    default: return fx__flow_fail(ctx, FX_EINVAL, %s, -1, NULL, \"no route %%u\", (unsigned)r);\n"
           "    }\n}\n",
        label_lit(g, k));
    put(g, "\n/* n%d: the router's tasks take selection positions from a cursor */\n", k->id);
    put(g, "typedef struct %s_frame {\n"
           "    %s *p;\n"
           "    const uint32_t *picked;    /* the selector's route indices */\n"
           "    size_t n;\n"
           "    %s;\n"
           "    %s;                 /* results[s]: selection s's */\n"
           "    char pad[64];              /* the cursor's line is written by every take: */\n"
           "    fx_cursor next;            /* the next selection position */\n"
           "    char pad_end[64];          /* keep it off the lines read per route */\n"
           "} %s_frame;\n\n",
        fn, g->api, in_param(g->c, r0->in, "in"), out_param(g->c, r0->out, "results"), fn);
    put(g, "typedef struct %s_task {\n"
           "    fx_task task;              /* first: the pool hands it back */\n"
           "    %s_frame *f;\n"
           "} %s_task;\n\n",
        fn, fn, fn);
    put(g, "static int %s_run(fx_task *t, fx_ctx *ctx)\n{\n"
           "    %s_frame *f = ((%s_task *)(void *)t)->f;\n"
           "    %s *p = f->p;\n"
           "    const bool observed = fx_runtime_observed(p->rt);\n"
           "    for (;;) {\n"
           "        size_t s = fx_cursor_take(&f->next);\n"
           "        if (s >= f->n)\n"
           "            return 0;\n"
           "        fx_observation bo;\n"
           "        if (FX_UNLIKELY(observed))\n"
           "            fx_observe_child_begin(p->rt, ctx, &%s_components[%d], FX_CHILD_BRANCH, (int)f->picked[s], &bo);\n"
           "        int rc = %s_route(p, ctx, f->picked[s], f->in, &f->results[s]);\n"
           "        if (FX_UNLIKELY(observed))\n"
           "            fx_observe_child_end(p->rt, ctx, &bo, rc);\n"
           "        if (FX_UNLIKELY(rc != 0)) {\n"
           "            t->index = (int)s;\n"
           "            return rc;\n"
           "        }\n"
           "    }\n}\n",
        fn, fn, fn, g->api, g->pfx, k->id, fn);
}

static void body_router(Gen *g, const Comp *k)
{
    const Comp *sel = k->kids[0];
    const Type *o = k->kids[1]->out;
    const char *fn = comp_fn(g, k);
    const char *lbl = label_lit(g, k);
    size_t nroutes = k->nkids - 1;
    long long conc = opt_int(k, "concurrency");
    put_zero_var(g, 4, sel->out, "picked", "the selector's route indices");
    put(g, "    int rc = %s(p, ctx, in, &picked);\n", comp_fn(g, sel));
    put_attr_int(g, 4, "fluxus.router.num_routes", sprintf_intern(g->c, "%zu", nroutes));
    put(g, "    if (rc == 0 && picked.len == 0)\n"
           "        rc = fx__flow_fail(ctx, FX_ENOROUTE, %s, -1, NULL, NULL);\n"
           "    for (size_t s = 0; rc == 0 && s < picked.len; s++)\n"
           "        if (picked.ptr[s] >= %zu)\n"
           "            rc = fx__flow_fail(ctx, FX_EINVAL, %s, (int)s,\n"
           "                               NULL, \"selector returned route index %%u, but there %s %zu route%s\",\n"
           "                               (unsigned)picked.ptr[s]);\n",
        lbl, nroutes, lbl, nroutes == 1 ? "is" : "are", nroutes, nroutes == 1 ? "" : "s");
    put(g, "    if (rc == 0) {\n"
           "        const size_t n = picked.len;\n");
    put_attr_int(g, 8, "fluxus.router.num_routes_selected", "n");
    put(g, "        if (FX_UNLIKELY(observed))\n"
           "            for (size_t s = 0; s < n; s++)\n"
           "                fx_observe_event(p->rt, ctx, &(fx_event){ .kind = FX_EVENT_ROUTE_SELECTED,\n"
           "                                 .component = &%s_components[%d], .value = (int64_t)s,\n"
           "                                 .index = (int)picked.ptr[s] });\n",
        g->pfx, k->id);
    put(g, "        %s = fx_alloc(ctx, n * sizeof *results);\n"
           "        size_t ntasks = n;\n", type_c_decl(g->c, o, "*results"));
    if (conc > 0)
        put(g, "        if (ntasks > %lld)   /* concurrency */\n"
               "            ntasks = %lld;\n", conc, conc);
    put_cap_to_threads(g, 8);
    put(g, "        %s_task *tasks = fx_alloc(ctx, ntasks * sizeof *tasks);\n", fn);
    put_frame_init(g, 8, fn, "f.picked = picked.ptr;", "f.n = n;", "f.in = in;", "f.results = results;",
                   (const char *)NULL);
    put(g, "        fx_group grp;\n"
           "        if (FX_UNLIKELY(results == NULL || tasks == NULL))\n"
           "            rc = fx__flow_fail(ctx, FX_ENOMEM, %s, -1, NULL, NULL);\n"
           "        else if (FX_UNLIKELY((rc = fx_group_init_at(&grp, p->rt, ctx, %lld, &p->%s, n)) != 0))\n"
           "            rc = fx__flow_fail(ctx, rc, %s, -1, NULL, NULL);\n"
           "        if (rc == 0) {\n"
           "            memset(results, 0, n * sizeof *results);\n"
           "            ntasks = fx_cursor_watch(&f.next, &grp, ntasks);   /* 1 when it runs on the caller */\n"
           "            for (size_t s = 0; s < ntasks; s++) {\n"
           "                tasks[s] = (%s_task){ .task = { .fn = %s_run, .index = (int)s }, .f = &f };\n"
           "                fx_group_spawn(&grp, &tasks[s].task);\n"
           "            }\n"
           "            rc = fx_group_wait(&grp);\n"
           "            if (rc != 0) {\n"
           "                const fx_task *bad = fx_group_failed(&grp);\n"
           "                rc = fx__flow_fail(ctx, FX_EFANOUT, %s, bad->index, bad->error,\n"
           "                                   \"route %%u (selection %%d) failed\",\n"
           "                                   (unsigned)picked.ptr[bad->index], bad->index);\n"
           "            } else {\n"
           "                out->ptr = results;\n"
           "                out->len = n;\n"
           "            }\n"
           "        }\n"
           "    }\n",
        lbl, conc, site_member(g, k), lbl, fn, fn, lbl);
}

/* ------------------------------------------------------------ the table */

#define FLOW(op_, body_, prelude_, members_)                                                    \
    {op_, {.kind = "FX_COMPONENT_COMBINATOR", .checks_ctx = true, .observed = true, .body = body_, \
           .prelude = prelude_, .members = members_}}

const OpGenEntry cg_flow_ops[] = {
    FLOW(OP_FANOUT, body_fanout, prelude_fanout_all, members_site),
    FLOW(OP_PARALLEL, body_parallel, prelude_fanout_all, members_site),
    FLOW(OP_FANIN, body_fanin, NULL, NULL),
    FLOW(OP_MAP, body_map, prelude_map, members_site),
    FLOW(OP_ROUTER, body_router, prelude_router, members_site),
    {OP_NONE, {.kind = NULL}},
};
