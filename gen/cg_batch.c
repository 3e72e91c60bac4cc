/* cg_batch.c — code generators for the batch and keyed combinators: buffer,
 * pooled_buffer, mapreduce, filter, join_by_key (SPEC §2.4, §5.4).
 *
 * Each row of the table below is one op (cgen.h). An op with no row is
 * type-checked by sema, and fluxc reports that it cannot generate it yet.
 */
#include "cgen.h"

const OpGenEntry cg_batch_ops[] = {
    {OP_NONE, {.kind = NULL}},
};
