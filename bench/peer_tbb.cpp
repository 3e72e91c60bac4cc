// bench/peer_tbb.cpp — the oneTBB peer of each case that has the same shape:
// parallel_pipeline for chains (a stream of items, ns per item),
// task_group for fanout and parallel, parallel_for for map; a concurrency
// limit is a task_arena of that many slots. The work is work.h's.
#include <cstdio>
#include <array>
#include <cstring>
#include <memory>
#include <vector>

#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/parallel_pipeline.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>
#include <oneapi/tbb/version.h>

#include "peers.h"
#include "work.h"

extern "C" const char *bench_cxx_version(void)
{
    static char buf[64];
    std::snprintf(buf, sizeof buf, "g++-compatible %s", __VERSION__);
    return buf;
}

extern "C" const char *bench_tbb_version(void) { return TBB_VERSION_STRING; }

namespace {

struct PeerState {
    virtual ~PeerState() = default;
};

// ------------------------------------------------------------------ chains

struct Bump {
    bench_bump b;
    Bump() { bench_bump_init(&b, 1 << 14); }
    ~Bump() { bench_bump_free(&b); }
    Bump(const Bump &) = delete;
    Bump &operator=(const Bump &) = delete;
};

struct Item {
    size_t i = 0;
    bench_bump *bump = nullptr;
    const char **words = nullptr;
    size_t nw = 0;
    int64_t c = 0, x = 0;
    const char *out = nullptr;
};

struct ChainState : PeerState {
    int kind = 0;   // 0 simple, 1 chained, 2 depth
    int depth = 0;
    size_t ntokens;
    std::vector<std::unique_ptr<Bump>> bumps;
    std::vector<Item> items;
    explicit ChainState(size_t tokens) : ntokens(tokens), items(tokens)
    {
        for (size_t k = 0; k < tokens; k++) {
            bumps.emplace_back(new Bump);
            items[k].bump = &bumps[k]->b;
        }
    }
};

constexpr auto SIO = oneapi::tbb::filter_mode::serial_in_order;
constexpr auto PAR = oneapi::tbb::filter_mode::parallel;

// Items live in a ring of ntokens slots: the last filter is serial in
// order, so item i - ntokens has left the pipeline before item i enters.
int run_chain(ChainState *s, size_t n)
{
    size_t next = 0;
    bool bad = false;
    auto input = oneapi::tbb::make_filter<void, Item *>(SIO, [&](oneapi::tbb::flow_control &fc) -> Item * {
        if (next == n) {
            fc.stop();
            return nullptr;
        }
        Item *it = &s->items[next % s->ntokens];
        it->i = next++;
        bench_bump_reset(it->bump);
        return it;
    });
    if (s->kind == 0) {
        auto upper = oneapi::tbb::make_filter<Item *, Item *>(PAR, [](Item *it) {
            it->out = work_upper(it->bump, "hello world");
            return it;
        });
        auto check = oneapi::tbb::make_filter<Item *, void>(SIO, [&](Item *it) {
            if (it->out == nullptr || std::strcmp(it->out, "HELLO WORLD") != 0)
                bad = true;
        });
        oneapi::tbb::parallel_pipeline(s->ntokens, input & upper & check);
    } else if (s->kind == 1) {
        auto split = oneapi::tbb::make_filter<Item *, Item *>(PAR, [](Item *it) {
            it->nw = work_split(it->bump, "hello world benchmark test", &it->words);
            return it;
        });
        auto count = oneapi::tbb::make_filter<Item *, Item *>(PAR, [](Item *it) {
            it->c = work_count(it->words, it->nw);
            return it;
        });
        auto format = oneapi::tbb::make_filter<Item *, Item *>(PAR, [](Item *it) {
            it->out = work_format_count(it->bump, it->c);
            return it;
        });
        auto check = oneapi::tbb::make_filter<Item *, void>(SIO, [&](Item *it) {
            if (it->out == nullptr || std::strcmp(it->out, "Count: 4") != 0)
                bad = true;
        });
        oneapi::tbb::parallel_pipeline(s->ntokens, input & split & count & format & check);
    } else {
        auto start = oneapi::tbb::make_filter<Item *, Item *>(PAR, [](Item *it) {
            it->x = work_add1((int64_t)it->i);
            return it;
        });
        auto add = oneapi::tbb::make_filter<Item *, Item *>(PAR, [](Item *it) {
            it->x = work_add1(it->x);
            return it;
        });
        oneapi::tbb::filter<Item *, Item *> chain = start;
        for (int k = 1; k < s->depth; k++)
            chain = chain & add;
        const int64_t d = s->depth;
        auto check = oneapi::tbb::make_filter<Item *, void>(SIO, [&](Item *it) {
            if (it->x != (int64_t)it->i + d)
                bad = true;
        });
        oneapi::tbb::parallel_pipeline(s->ntokens, input & chain & check);
    }
    return bad ? 1 : 0;
}

// ------------------------------------------------------------------ flow

struct FlowState : PeerState {
    bench_flow_arg a;
    std::unique_ptr<oneapi::tbb::task_arena> arena;   // null = the whole machine
    std::vector<int64_t> in, r;
    std::vector<std::array<char, 32>> str;
    std::vector<std::array<char, 16>> items;
    explicit FlowState(const bench_flow_arg *arg) : a(*arg)
    {
        int conc = a.kind == FLOW_FANOUT_LIMITED ? 4 : a.conc;
        // oneTBB cannot run more threads than the machine has; asking for
        // more only prints a warning, so the arena is capped there.
        if (conc > bench_cpus())
            conc = bench_cpus();
        if ((a.kind == FLOW_SCALING || a.kind == FLOW_MAP || a.kind == FLOW_FANOUT_LIMITED) && conc > 0) {
            arena.reset(new oneapi::tbb::task_arena(conc));
            arena->initialize();
        }
        r.resize(BENCH_SCALING_STAGES);
        str.resize(BENCH_FANOUT_CONC_STAGES);
        if (a.kind == FLOW_MAP) {
            in.resize((size_t)a.size);
            for (int i = 0; i < a.size; i++)
                in[(size_t)i] = i;
            items.resize((size_t)a.size);
        }
    }
    template <typename F> void exec(F &&f)
    {
        if (arena)
            arena->execute(f);
        else
            f();
    }
};

int run_flow_once(FlowState *s)
{
    switch (s->a.kind) {
    case FLOW_PARALLEL: {
        int64_t v[3];
        oneapi::tbb::task_group g;
        g.run([&] { v[0] = work_times(42, 2); });
        g.run([&] { v[1] = work_times(42, 3); });
        g.run([&] { v[2] = work_times(42, 4); });
        g.wait();
        return work_sum(v, 3) == 42 * 9 ? 0 : 1;
    }
    case FLOW_FANOUT10: {
        oneapi::tbb::task_group g;
        for (int i = 0; i < 10; i++)
            g.run([s, i] { work_suffix(s->str[(size_t)i].data(), 32, "test", i); });
        g.wait();
        return s->str[9][5] == '9' ? 0 : 1;
    }
    case FLOW_FANOUT_LIMITED: {
        s->exec([s] {
            oneapi::tbb::task_group g;
            for (int i = 0; i < BENCH_FANOUT_CONC_STAGES; i++)
                g.run([s, i] { work_suffix(s->str[(size_t)i].data(), 32, "test", work_hash31(i)); });
            g.wait();
        });
        return s->str[0][4] == '-' ? 0 : 1;
    }
    case FLOW_SCALING: {
        s->exec([s] {
            oneapi::tbb::task_group g;
            for (int i = 0; i < BENCH_SCALING_STAGES; i++)
                g.run([s, i] { s->r[(size_t)i] = work_spin17(42); });
            g.wait();
        });
        return s->r[99] == work_spin17(42) ? 0 : 1;
    }
    case FLOW_MAP: {
        s->exec([s] {
            oneapi::tbb::parallel_for(oneapi::tbb::blocked_range<size_t>(0, s->in.size()),
                                      [s](const oneapi::tbb::blocked_range<size_t> &r) {
                                          for (size_t i = r.begin(); i != r.end(); i++)
                                              work_map_item(s->items[i].data(), s->in[i]);
                                      });
        });
        return s->items.back()[0] != '\0' ? 0 : 1;
    }
    }
    return 1;
}

} // namespace

extern "C" {

const int peer_chain_simple = 0, peer_chain_chained = 1;

void *peer_chain_setup(const void *arg)
{
    auto *s = new ChainState(2 * (size_t)bench_cpus());
    s->kind = *(const int *)arg;
    return s;
}

int peer_chain_run(void *st, size_t n) { return run_chain(static_cast<ChainState *>(st), n); }

void *peer_depth_setup(const void *arg)
{
    auto *s = new ChainState(2 * (size_t)bench_cpus());
    s->kind = 2;
    s->depth = *(const int *)arg;
    return s;
}

int peer_depth_run(void *st, size_t n) { return run_chain(static_cast<ChainState *>(st), n); }

void *peer_flow_setup(const void *arg) { return new FlowState(static_cast<const bench_flow_arg *>(arg)); }

int peer_flow_run(void *st, size_t n)
{
    auto *s = static_cast<FlowState *>(st);
    for (size_t i = 0; i < n; i++)
        if (run_flow_once(s) != 0)
            return 1;
    return 0;
}

void peer_teardown(void *st) { delete static_cast<PeerState *>(st); }

} // extern "C"
