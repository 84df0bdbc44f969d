#!/bin/sh
# Installs the Debian 12 packages peakdesk builds, runs and tests with.
# Does nothing (and needs no root) when everything is already installed.
set -eu
PKGS="build-essential pkg-config clang libclang-rt-14-dev
 libnng-dev nng-utils libprotobuf-c-dev protobuf-c-compiler protobuf-compiler
 libpq-dev libevent-dev check postgresql postgresql-client
 libjson-c-dev uuid-dev libssl-dev libxml2-dev libgmime-3.0-dev libcurl4-openssl-dev
 curl wrk valgrind procps util-linux python3 python3-yaml chromium fonts-noto-cjk
 nginx openssl systemd iproute2 nftables gdb"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "peakdesk: installing missing Debian packages:$missing"
if [ "$(id -u)" != 0 ]; then
  echo "peakdesk: not root; run as root or install them yourself: apt-get install$missing" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "peakdesk: packages installed"
