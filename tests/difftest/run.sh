#!/bin/sh
# run.sh GEN FLUXC LIBFX WORKDIR FIRST COUNT — the differential test of the code
# generator on seeds FIRST … FIRST+COUNT-1 (one.sh per seed, DIFFTEST_JOBS at
# once, default the number of CPUs). Per seed: GEN writes a module of random
# pipelines and a driver holding the reference model's expectations; fluxc
# compiles it; cc builds it with the strict flags (plus $SANFLAGS under the
# sanitizer gates); the driver runs and compares. A failing seed keeps its
# files in WORKDIR/SEED/. Prints a summary; exits 1 on any failure.
set -u
abs() { case $1 in /*) echo "$1" ;; *) echo "$(pwd)/$1" ;; esac; }
DT_GEN=$(abs "$1") DT_FLUXC=$(abs "$2") DT_LIBFX=$(abs "$3") DT_WORK=$(abs "$4")
DT_ROOT=$(pwd)
export DT_GEN DT_FLUXC DT_LIBFX DT_WORK DT_ROOT
first=$5 count=$6
jobs=${DIFFTEST_JOBS:-$(nproc 2>/dev/null || echo 2)}
mkdir -p "$DT_WORK"
out=$DT_WORK/results.txt
seq "$first" $((first + count - 1)) | xargs -P "$jobs" -n 1 sh "$DT_ROOT/tests/difftest/one.sh" >"$out" 2>&1
ok=$(grep -c '^ok ' "$out")
bad=$(grep -c '^FAIL ' "$out")
programs=$(sed -n 's/.*: \([0-9]*\) programs, \([0-9]*\) runs.*/\1/p' "$out" | awk '{s += $1} END {print s + 0}')
runs=$(sed -n 's/.*programs, \([0-9]*\) runs.*/\1/p' "$out" | awk '{s += $1} END {print s + 0}')
if [ "$bad" -gt 0 ]; then
    grep -v '^ok ' "$out" | head -n 80
fi
echo "difftest: seeds $first..$((first + count - 1)): $ok passed, $bad failed; $programs random programs agreed on $runs runs"
[ "$bad" -eq 0 ] && [ "$ok" -eq "$count" ]
