/* cg_observe.c — code generators for the observability combinators: metrics, trace (SPEC §5.6).
 *
 * Each row of the table below is one op (cgen.h). An op with no row is
 * type-checked by sema, and fluxc reports that it cannot generate it yet.
 */
#include "cgen.h"

const OpGenEntry cg_observe_ops[] = {
    {OP_NONE, {.kind = NULL}},
};
