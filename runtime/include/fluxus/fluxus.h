/* fluxus/fluxus.h — the whole public API of libfluxus.
 * Link with -lfluxus -pthread. See docs/RUNTIME.md. */
#ifndef FLUXUS_FLUXUS_H
#define FLUXUS_FLUXUS_H

#include <fluxus/version.h>
#include <fluxus/error.h>
#include <fluxus/clock.h>
#include <fluxus/ctx.h>
#include <fluxus/runtime.h>
#include <fluxus/observe.h>
#include <fluxus/prometheus.h>
#include <fluxus/otlp.h>
#include <fluxus/sched.h>
#include <fluxus/pool.h>
#include <fluxus/resilience.h>
#include <fluxus/gen.h>

#endif /* FLUXUS_FLUXUS_H */
