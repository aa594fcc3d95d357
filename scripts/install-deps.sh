#!/usr/bin/env bash
# Installs the Debian packages skiff needs, only those missing. Safe to run again.
# With --test, also what the test suite and the benchmarks drive: a headless browser, the load
# tool, and nginx as the ingress benchmark's reference.
set -euo pipefail
need=()
have() { command -v "$1" >/dev/null 2>&1; }
if [ "${1:-}" = "--test" ]; then
  have chromium || need+=(chromium)
  have wrk || need+=(wrk)
  # Started by the benchmark only, from its own config; never as a service.
  [ -x /usr/sbin/nginx ] || need+=(nginx)
fi
have ip || need+=(iproute2)
have nft || need+=(nftables)
have busybox || need+=(busybox)
have conntrack || need+=(conntrack)
[ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "skiff needs these Debian packages: ${need[*]} (run this script as root to install them)" >&2
    exit 0
  fi
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || { echo "apt-get update failed; later features need: ${need[*]}" >&2; exit 0; }
  # Debian's nginx starts its service (listening on :80) on install unless policy-rc.d says no:
  # say no for the duration of the install, unless a policy is already in place.
  policy=/usr/sbin/policy-rc.d
  own_policy=
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && own_policy=1
  fi
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || echo "could not install: ${need[*]}" >&2
  if [ -n "$own_policy" ]; then rm -f "$policy"; fi
  # An nginx this script installed must not come up as a service at the next boot either. An
  # nginx that was already there is the machine owner's and is left as it is.
  if [[ " ${need[*]} " == *" nginx "* ]] && [ -x /usr/sbin/nginx ]; then
    if command -v systemctl >/dev/null 2>&1; then
      systemctl disable nginx.service >/dev/null 2>&1 || true
    elif command -v update-rc.d >/dev/null 2>&1; then
      update-rc.d nginx disable >/dev/null 2>&1 || true
    fi
  fi
fi
