#!/bin/sh
# tests/run_tests.sh — runs each test executable given as an argument.
# cmocka's own output (its [  PASSED  ] / [  FAILED  ] lines) goes through
# untouched; at the end one summary line counts executables:
#     tests: N passed, N failed
# Exits non-zero if any executable failed (or could not be run).
# Usage: sh tests/run_tests.sh build/tests/test_runtime_ctx ...
passed=0
failed=0
failed_names=""
for t in "$@"; do
    case $t in
        */*) cmd=$t ;;
        *) cmd=./$t ;;
    esac
    echo "== $t"
    if [ ! -x "$cmd" ]; then
        echo "run_tests: $t: not an executable" >&2
        status=127
    else
        "$cmd"
        status=$?
    fi
    if [ "$status" -eq 0 ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        failed_names="$failed_names $t"
        echo "run_tests: $t failed (exit status $status)" >&2
    fi
done
[ "$failed" -gt 0 ] && echo "failed:$failed_names"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
