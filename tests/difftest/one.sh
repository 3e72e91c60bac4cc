#!/bin/sh
# one.sh SEED — one seed of the differential test (called by run.sh, which
# exports DT_GEN, DT_FLUXC, DT_LIBFX, DT_WORK, DT_ROOT). Prints "ok SEED …" or
# "FAIL SEED: why" followed by details; keeps the files of a failing seed.
set -u
seed=$1
d=$DT_WORK/$seed
rm -rf "$d" && mkdir -p "$d"
if ! "$DT_GEN" "$seed" "$d" >"$d/log" 2>&1; then
    echo "FAIL $seed: generator"; cat "$d/log"; exit 0
fi
if ! "$DT_FLUXC" -o "$d" "$d/dt_$seed.fx" >"$d/log" 2>&1; then
    echo "FAIL $seed: fluxc rejected it"; head -n 20 "$d/log"; exit 0
fi
# shellcheck disable=SC2086
if ! ${CC:-cc} -std=c11 -O1 -g -Wall -Wextra -Wpedantic -Werror -D_POSIX_C_SOURCE=200809L ${SANFLAGS:-} \
        -I"$DT_ROOT/runtime/include" -I"$d" -o "$d/run" "$d/dt_$seed.c" "$d/dt_${seed}_main.c" \
        "$DT_LIBFX" -pthread -lm >"$d/log" 2>&1; then
    echo "FAIL $seed: the generated C does not build"; head -n 20 "$d/log"; exit 0
fi
if ! ${DT_RUNNER:-} "$d/run" >"$d/log" 2>&1; then
    echo "FAIL $seed: disagreement or crash"; head -n 40 "$d/log"; exit 0
fi
echo "ok $seed: $(tail -n 1 "$d/log")"
rm -rf "$d"
