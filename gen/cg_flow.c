/* cg_flow.c — code generators for the flow combinators: fanout, fanin,
 * parallel, map, router (SPEC §2.4, §5.4).
 *
 * Each row of the table below is one op (cgen.h). An op with no row is
 * type-checked by sema, and fluxc reports that it cannot generate it yet.
 */
#include "cgen.h"

const OpGenEntry cg_flow_ops[] = {
    {OP_NONE, {.kind = NULL}},
};
