/* dlq.c — what the dead-letter combinator needs from the runtime: its
 * default `when` and its default report of a failing handler (SPEC §5.4). */
#include "internal.h"

#include <stdio.h>

bool fx_dlq_default_when(const fx_error *err)
{
    if (err == NULL) return false;
    switch (err->code) {
    case FX_ECANCELED:
    case FX_EDEADLINE:
    case FX_ECIRCUIT_OPEN:
    case FX_EFILTERED:
    case FX_ENOROUTE:
        return false;
    default:
        return true;
    }
}

void fx__dlq_report(const char *component, const fx_error *err, int handler_code)
{
    char why[512];
    fx_error_format(err, why, sizeof why);
    fprintf(stderr, "fluxus: dlq %s: handler failed (code %d), dead letter lost: %s\n",
            component != NULL ? component : "?", handler_code, why);
}
