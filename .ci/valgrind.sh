#!/bin/sh
# valgrind.sh — the memcheck gate (`make check-valgrind`). Runs, under
# $VALGRIND (set by the Makefile: any error or definite/indirect/possible leak
# exits 99):
#   1. every test executable under BUILD/tests (unit, e2e, difftest, stress);
#   2. fluxc on every golden input (through tests/run_golden.sh, so the
#      diagnostics must still match byte for byte) and on every e2e and
#      example input with each back end (c, stubs, dot, deps);
#   3. each example's `make run` command line.
# Usage: VALGRIND="valgrind …" sh .ci/valgrind.sh BUILD "EXAMPLES"
set -u
build=$1
examples=$2
: "${VALGRIND:?set VALGRIND}"
root=$(pwd)
case $build in /*) ;; *) build=$root/$build ;; esac
logs=$build/vg-logs
rm -rf "$logs"
mkdir -p "$logs"
failed=0
passed=0

check() {   # check LABEL CMD...: runs CMD under valgrind, counts the result
    label=$1
    shift
    n=$((passed + failed))
    t0=$(date +%s)
    $VALGRIND --log-file="$logs/$n.%p.log" "$@" >"$logs/$n.out" 2>&1
    rc=$?
    secs=$(($(date +%s) - t0))
    [ "$secs" -ge 20 ] && echo "valgrind: $label took ${secs}s"
    if [ "$rc" -eq 0 ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL valgrind: $label (exit $rc; 99 = a valgrind error)"
        tail -n 20 "$logs/$n.out" | sed 's/^/    /'
        cat "$logs"/"$n".*.log 2>/dev/null | head -n 60 | sed 's/^/    /'
    fi
}

# 1. test executables
for t in "$build"/tests/test_* "$build"/tests/e2e/*/test "$build"/tests/difftest/*/run "$build"/tests/stress/stress_*; do
    [ -f "$t" ] && [ -x "$t" ] || continue
    case $t in *.o | *.d) continue ;; esac
    check "${t#$build/}" "$t"
done

# 2. fluxc: golden diagnostics through a wrapper (valgrind's own output goes
# to a log file, so stderr stays byte-exact; an error turns exit 1 into 99).
wrap=$build/fluxc-valgrind
cat >"$wrap" <<WRAP
#!/bin/sh
exec $VALGRIND --log-file="$logs/golden.%p.log" "$build/fluxc" "\$@"
WRAP
chmod +x "$wrap"
if sh tests/run_golden.sh "$wrap" tests/golden >"$logs/golden.out" 2>&1; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
    echo "FAIL valgrind: fluxc on tests/golden"
    grep -v '^golden:' "$logs/golden.out" | head -n 40 | sed 's/^/    /'
    cat "$logs"/golden.*.log | head -n 60 | sed 's/^/    /'
fi
tmp=$build/vg-out
for fx in tests/e2e/*.fx examples/*/*.fx; do
    [ -f "$fx" ] || continue
    rm -rf "$tmp"
    mkdir -p "$tmp"
    check "fluxc -o $fx" "$build/fluxc" -MD -o "$tmp" "$fx"
    for kind in stubs dot deps; do
        check "fluxc --emit=$kind $fx" "$build/fluxc" --emit=$kind "$fx"
    done
done

# 3. examples: the command their `run` target would execute.
for e in $examples; do
    cmd=$(make -s -n -C "examples/$e" FLUXC="$build/fluxc" LIBFX="$build/libfluxus.a" \
              OUT="$build/examples/$e" run 2>/dev/null | tail -n 1)
    if [ -z "$cmd" ]; then
        failed=$((failed + 1))
        echo "FAIL valgrind: example $e: no run command"
        continue
    fi
    cd "examples/$e"
    # shellcheck disable=SC2086 # split like make would split it
    check "example $e" $cmd
    cd "$root"
done

echo "valgrind: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
