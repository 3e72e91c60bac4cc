#!/bin/sh
# Checks that the tools fluxus builds with are present, installing the missing
# ones with apt-get when it can. Prints exactly what to install when it cannot.
# Usage: tools/bootstrap.sh [--quiet]
set -u

missing=""
command -v re2c  >/dev/null 2>&1 || missing="$missing re2c"
command -v lemon >/dev/null 2>&1 || missing="$missing lemon"
[ -f /usr/include/cmocka.h ] || [ -f /usr/local/include/cmocka.h ] || missing="$missing libcmocka-dev"
command -v cc >/dev/null 2>&1 || missing="$missing gcc"
command -v make >/dev/null 2>&1 || missing="$missing make"
# Observability exporters (runtime/prometheus.c, runtime/otlp.c) and their tests.
[ -f /usr/include/microhttpd.h ] || [ -f /usr/local/include/microhttpd.h ] || missing="$missing libmicrohttpd-dev"
have_curl_h=no
for h in /usr/include/curl/curl.h /usr/include/*/curl/curl.h /usr/local/include/curl/curl.h; do
    [ -f "$h" ] && have_curl_h=yes
done
[ "$have_curl_h" = yes ] || missing="$missing libcurl4-openssl-dev"
command -v promtool >/dev/null 2>&1 || missing="$missing prometheus"
command -v curl >/dev/null 2>&1 || missing="$missing curl"

[ -z "$missing" ] && exit 0

echo "bootstrap: missing:$missing" >&2
if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else SUDO="none"; fi
    if [ "$SUDO" != none ]; then
        echo "bootstrap: installing with apt-get:$missing" >&2
        if $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
           $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null; then
            exit 0
        fi
        echo "bootstrap: apt-get failed" >&2
    fi
fi
cat >&2 <<MSG
bootstrap: cannot install the build dependencies by myself.
Install them, then run make again:
    sudo apt-get install$missing
(re2c must be version 3.0 or newer; lemon must ship /usr/share/lemon/lempar.c)
MSG
exit 1
