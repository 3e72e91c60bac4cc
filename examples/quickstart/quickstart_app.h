/* quickstart_app.h — the C side of quickstart.fx: the team directory that
 * the `enrich` stage reads (its state). */
#ifndef QUICKSTART_APP_H
#define QUICKSTART_APP_H

#include <stddef.h>

struct team_entry {
    const char *service;
    const char *team;
};

struct team_directory {
    const struct team_entry *entries;
    size_t count;
    unsigned slow_ms;          /* a request slower than this is "slow" */
};

#endif
