#!/usr/bin/env bash
# Installs the Debian packages skiff needs, only those missing. Safe to run again.
# With --test, also what the test suite and benchmarks drive (a headless browser).
set -euo pipefail
need=()
have() { command -v "$1" >/dev/null 2>&1; }
if [ "${1:-}" = "--test" ]; then
  have chromium || need+=(chromium)
fi
have ip || need+=(iproute2)
have nft || need+=(nftables)
have busybox || need+=(busybox)
have conntrack || need+=(conntrack)
have wrk || need+=(wrk)
[ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "skiff needs these Debian packages: ${need[*]} (run this script as root to install them)" >&2
    exit 0
  fi
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || { echo "apt-get update failed; later features need: ${need[*]}" >&2; exit 0; }
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || echo "could not install: ${need[*]}" >&2
fi
