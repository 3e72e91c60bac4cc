#!/bin/sh
# run.sh FUZZER BUILD SECONDS — runs the fluxc fuzzer for SECONDS seconds.
#   seeds:     every .fx under tests/golden, tests/e2e, examples and tools/fuzz/seeds
#   corpus:    BUILD/corpus (kept between runs: the fuzzer starts where it stopped)
#   findings:  BUILD/artifacts/{crash,leak,timeout,oom}-*  (exit status non-zero)
#   log:       BUILD/fuzz.log; the last status line gives executions and coverage
# Options: -timeout=10 s per input is a hang, -rss_limit_mb=2048, inputs up to 16 KiB.
# FUZZ_JOBS=N runs N workers (default 1); FUZZ_ARGS adds libFuzzer flags.
set -u
fuzzer=$1
build=$2
seconds=$3
jobs=${FUZZ_JOBS:-1}
root=$(pwd)
mkdir -p "$build/corpus" "$build/seeds" "$build/artifacts"
for fx in tests/golden/*.fx tests/e2e/*.fx examples/*/*.fx tools/fuzz/seeds/*.fx; do
    [ -f "$fx" ] || continue
    cp "$fx" "$build/seeds/$(echo "$fx" | tr '/' '_')"
done
log=$build/fuzz.log
echo "fuzz: $seconds s, $jobs job(s), corpus $build/corpus, log $log"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
if [ "$jobs" -gt 1 ]; then
    par="-jobs=$jobs -workers=$jobs"
else
    par=""
fi
# shellcheck disable=SC2086
"$fuzzer" -dict="$root/tools/fuzz/fluxc.dict" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1 \
    -artifact_prefix="$build/artifacts/" $par ${FUZZ_ARGS:-} \
    "$build/corpus" "$build/seeds" >"$log" 2>&1
rc=$?
[ "$jobs" -gt 1 ] && cat fuzz-*.log >>"$log" 2>/dev/null && rm -f fuzz-*.log
grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -n 1
grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log"
if [ "$rc" -ne 0 ] || ls "$build/artifacts" | grep -q .; then
    echo "fuzz: FINDINGS (exit $rc):"
    ls -l "$build/artifacts"
    grep -E 'ERROR|invariant violated|SUMMARY' "$log" | head -n 20
    exit 1
fi
echo "fuzz: no findings"
