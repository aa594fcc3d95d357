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
# The OCI runtime and the containers/common default seccomp profile, for contained pods (issue 11).
have runc || need+=(runc)
[ -f /usr/share/containers/seccomp.json ] || need+=(golang-github-containers-common)
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

# busybox 1.37 from Debian trixie's busybox-static: Debian 12's busybox is built without wget's
# timeouts (`wget -T 2` crashes, `--timeout` is unknown), which the busybox image's 1.36 has. The
# static build runs on Debian 12 (trixie's dynamic one needs a newer glibc). It goes to
# /usr/local/lib/skiff/busybox: /usr/local holds what dpkg does not own, and a lib directory
# keeps it off PATH, so the host's own busybox stays Debian's. src/images/busybox.ts looks for
# it there; Debian's busybox above stays the fallback. The fetch uses a private apt state in a
# temporary directory and leaves the system's apt configuration alone; apt still checks the
# Release signature against Debian's keyring.
skiff_busybox=/usr/local/lib/skiff/busybox
fetch_busybox() (
  tmp=$(mktemp -d) || exit 1
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/etc" "$tmp/dl" || exit 1
  # apt downloads as the _apt user: it must be able to reach and write these directories, or
  # it warns and downloads unsandboxed as root.
  chmod 755 "$tmp" || exit 1
  if id _apt >/dev/null 2>&1; then chown -R _apt "$tmp/lists" "$tmp/cache" "$tmp/dl" || exit 1; fi
  echo 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main' >"$tmp/etc/sources.list"
  opts=(-o "Dir::Etc::sourcelist=$tmp/etc/sources.list" -o Dir::Etc::sourceparts=- -o "Dir::State::lists=$tmp/lists" -o "Dir::Cache=$tmp/cache")
  apt-get -qq "${opts[@]}" update >/dev/null 2>&1 || exit 1
  (cd "$tmp/dl" && apt-get -qq "${opts[@]}" download busybox-static >/dev/null 2>&1) || exit 1
  dpkg-deb -x "$tmp"/dl/busybox-static_*.deb "$tmp/x" || exit 1
  # Only a binary that runs here and has wget's timeout is worth installing.
  help=$("$tmp/x/usr/bin/busybox" wget --help 2>&1) || :
  case "$help" in *"-T SEC"*) ;; *) exit 1 ;; esac
  install -D -m 755 "$tmp/x/usr/bin/busybox" "$skiff_busybox.tmp" && mv -f "$skiff_busybox.tmp" "$skiff_busybox"
)
if [ ! -x "$skiff_busybox" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "skiff: busybox 1.37 is not installed at $skiff_busybox (run this script as root to fetch it); containers use the host's busybox" >&2
  elif ! command -v apt-get >/dev/null 2>&1 || ! fetch_busybox; then
    echo "skiff: could not fetch busybox 1.37 (Debian trixie busybox-static); containers use the host's busybox, whose wget -T crashes" >&2
  fi
fi
