#!/bin/sh
# bench/need_tbb.sh — oneTBB (the peer) and a C++ compiler are bench-only
# dependencies: installs them with apt-get when missing (as root, or with
# sudo), like tools/bootstrap.sh, or prints exactly what to install.
set -u
missing=""
[ -f /usr/include/oneapi/tbb.h ] || [ -f /usr/local/include/oneapi/tbb.h ] || missing="$missing libtbb-dev"
command -v g++ >/dev/null 2>&1 || missing="$missing g++"
[ -z "$missing" ] && exit 0
echo "bench: missing:$missing" >&2
if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else SUDO="none"; fi
    if [ "$SUDO" != none ]; then
        echo "bench: installing with apt-get:$missing" >&2
        if $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
           $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null; then
            exit 0
        fi
        echo "bench: apt-get failed" >&2
    fi
fi
cat >&2 <<MSG
bench: cannot install the benchmark's dependencies by myself.
Install them, then run make bench again:
    sudo apt-get install$missing
MSG
exit 1
