#!/bin/sh
# need_clang.sh CC — checks that CC can build a libFuzzer binary; if it cannot,
# installs clang and libclang-rt-14-dev with apt-get when it may (root or
# passwordless sudo), else prints the exact command and fails.
set -u
cc=${1:-clang}
probe() {
    d=$(mktemp -d) || return 1
    printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$d/p.c"
    "$cc" -fsanitize=fuzzer,address,undefined -o "$d/p" "$d/p.c" >/dev/null 2>&1
    rc=$?
    rm -rf "$d"
    return $rc
}
probe && exit 0
pkgs="clang libclang-rt-14-dev"
echo "fuzz: '$cc' cannot build a libFuzzer binary; need:$pkgs" >&2
if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else SUDO=none; fi
    if [ "$SUDO" != none ] &&
       $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs >/dev/null 2>&1 && probe; then
        exit 0
    fi
fi
echo "fuzz: install them, then run make fuzz again:  sudo apt-get install $pkgs" >&2
exit 1
