/* bench/peers.h — the oneTBB side of the cases (peer_tbb.cpp), as bench_impls. */
#ifndef BENCH_PEERS_H
#define BENCH_PEERS_H

#include "harness.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The argument of every flow case (fluxus, limit and peer alike). */
typedef enum bench_flow_kind {
    FLOW_PARALLEL,         /* ParallelProcessing: ×2 ×3 ×4, summed */
    FLOW_FANOUT10,         /* FanOut: 10 × "%s-%d" */
    FLOW_FANOUT_LIMITED,   /* FanOutConcurrencyLimited: 100 × hash31, concurrency 4 */
    FLOW_SCALING,          /* ConcurrencyScaling: 100 × spin17, concurrency conc */
    FLOW_MAP               /* Map: size items, concurrency conc */
} bench_flow_kind;

typedef struct bench_flow_arg {
    bench_flow_kind kind;
    int conc;              /* 0 = unlimited / default */
    int size;              /* Map: items */
} bench_flow_arg;

/* Chain peers: arg is one of these tags (or an int depth for PEER_DEPTH). */
extern const int peer_chain_simple, peer_chain_chained;

void *peer_chain_setup(const void *arg);
int peer_chain_run(void *st, size_t n);
void *peer_depth_setup(const void *arg);
int peer_depth_run(void *st, size_t n);
void *peer_flow_setup(const void *arg);
int peer_flow_run(void *st, size_t n);
void peer_teardown(void *st);

#define PEER_CHAIN {peer_chain_setup, peer_chain_run, peer_teardown}
#define PEER_DEPTH {peer_depth_setup, peer_depth_run, peer_teardown}
#define PEER_FLOW {peer_flow_setup, peer_flow_run, peer_teardown}

#ifdef __cplusplus
}
#endif

#endif
