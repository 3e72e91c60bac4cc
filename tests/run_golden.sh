#!/bin/sh
# run_golden.sh — golden diagnostics for fluxc.
#
# Usage: tests/run_golden.sh FLUXC DIR
#        UPDATE=1 tests/run_golden.sh FLUXC DIR    rewrite every DIR/NAME.err
#
# For each DIR/NAME.fx (always bad input), from inside DIR:
#   1. `FLUXC -o TMP NAME.fx` must exit with exactly 1, print exactly
#      NAME.err on stderr (byte for byte; a diff is shown otherwise) and
#      leave TMP empty: fluxc writes nothing when there are errors.
#   2. `FLUXC --check NAME.fx`, `--emit=dot` and `--emit=stubs` must exit 1,
#      print nothing on stdout and the same diagnostics as the -o run.
# Prints `golden: N passed, N failed` and exits non-zero on any failure.
set -u

if [ $# -ne 2 ]; then
    echo "usage: $0 FLUXC DIR" >&2
    exit 2
fi

case $1 in
    /*) fluxc=$1 ;;
    *) fluxc=$(pwd)/$1 ;;
esac
dir=$2
update=${UPDATE:-0}

if [ ! -x "$fluxc" ]; then
    echo "golden: '$fluxc' is not an executable" >&2
    exit 2
fi
if [ ! -d "$dir" ]; then
    echo "golden: '$dir' is not a directory" >&2
    exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/fluxc-golden.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT INT TERM HUP

passed=0
failed=0

fail() {
    echo "FAIL $name: $*"
    ok=0
}

# run_mode LABEL ARGS...: runs fluxc on $name.fx with ARGS (from $dir) and
# checks exit 1, empty stdout and the same stderr as the -o run.
run_mode() {
    label=$1
    shift
    (cd "$dir" && "$fluxc" "$@" "$name.fx") >"$work/out" 2>"$work/err"
    rc=$?
    [ "$rc" -eq 1 ] || fail "$label: exit code $rc, expected 1"
    if [ -s "$work/out" ]; then
        fail "$label: wrote to standard output:"
        head -n 5 "$work/out" | sed 's/^/    /'
    fi
    if ! cmp -s "$work/err" "$work/err.main"; then
        fail "$label: diagnostics differ from those of the -o run (- -o, + $label):"
        diff -u "$work/err.main" "$work/err" | sed '1,2d; s/^/    /'
    fi
}

for fx in "$dir"/*.fx; do
    [ -e "$fx" ] || continue
    name=$(basename "$fx" .fx)
    ok=1

    out="$work/out.d"
    rm -rf "$out"
    mkdir "$out"
    (cd "$dir" && "$fluxc" -o "$out" "$name.fx") >"$work/out" 2>"$work/err"
    rc=$?
    cp "$work/err" "$work/err.main"

    if [ "$update" = 1 ]; then
        cp "$work/err" "$dir/$name.err"
    fi
    [ "$rc" -eq 1 ] || fail "exit code $rc, expected 1"
    if [ ! -f "$dir/$name.err" ]; then
        fail "missing $name.err (run with UPDATE=1 to create it)"
    elif ! cmp -s "$work/err" "$dir/$name.err"; then
        fail "diagnostics differ from $name.err (- expected, + actual):"
        diff -u "$dir/$name.err" "$work/err" | sed '1,2d; s/^/    /'
    fi
    if [ -n "$(ls -A "$out")" ]; then
        fail "wrote output on error: $(ls -A "$out" | tr '\n' ' ')"
    fi
    [ -s "$work/out" ] && fail "wrote to standard output"

    run_mode "--check" --check
    run_mode "--emit=dot" --emit=dot
    run_mode "--emit=stubs" --emit=stubs

    if [ "$ok" = 1 ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
done

echo "golden: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
