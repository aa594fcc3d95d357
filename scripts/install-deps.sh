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
  # The image tests' local registry and the tools that build and push their images (issue 15).
  # Debian starts docker-registry as a service on install unless policy-rc.d says no (below).
  [ -x /usr/bin/docker-registry ] || need+=(docker-registry)
  have skopeo || need+=(skopeo)
  have umoci || need+=(umoci)
fi
have ip || need+=(iproute2)
have nft || need+=(nftables)
have busybox || need+=(busybox)
have conntrack || need+=(conntrack)
# The curl image's curl.
have curl || need+=(curl)
# Builds the runtime's helper (src/node/kubelet/runtime/helper.ts), statically linked.
if ! have cc || ! compgen -G '/usr/lib/*-linux-gnu/libc.a' >/dev/null; then need+=(gcc libc6-dev); fi
[ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
# The OCI runtime of contained pods (issue 11).
have runc || need+=(runc)
# Marks opaque directories of unpacked image layers (trusted.overlay.opaque) for their overlays,
# and sets the extended attributes (file capabilities) layers carry.
have setfattr || need+=(attr)
# Decompresses zstd image layers (application/vnd.oci.image.layer.v1.tar+zstd): Node's zlib has none.
have zstd || need+=(zstd)
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
  # A service this script installed (nginx, docker-registry) must not come up at the next boot
  # either. One that was already there is the machine owner's and is left as it is.
  for service in nginx docker-registry; do
    if [[ " ${need[*]} " == *" $service "* ]]; then
      if command -v systemctl >/dev/null 2>&1; then
        systemctl disable "$service.service" >/dev/null 2>&1 || true
      elif command -v update-rc.d >/dev/null 2>&1; then
        update-rc.d "$service" disable >/dev/null 2>&1 || true
      fi
    fi
  done
fi

# Two files skiff needs from Debian packages it does not install as such, each put under
# /usr/local/lib/skiff (/usr/local holds what dpkg does not own; a lib directory keeps them off
# PATH). fetch_from_deb SUITE PACKAGE FILE DEST CHECK downloads PACKAGE from SUITE with a private
# apt state in a temporary directory, leaving the system's apt configuration alone (apt still
# checks the Release signature against Debian's keyring), and installs FILE from it as DEST if
# the CHECK command accepts it.
fetch_from_deb() (
  suite=$1 package=$2 file=$3 dest=$4 check=$5
  tmp=$(mktemp -d) || exit 1
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/etc" "$tmp/dl" || exit 1
  # apt downloads as the _apt user: it must be able to reach and write these directories, or
  # it warns and downloads unsandboxed as root.
  chmod 755 "$tmp" || exit 1
  if id _apt >/dev/null 2>&1; then chown -R _apt "$tmp/lists" "$tmp/cache" "$tmp/dl" || exit 1; fi
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main" >"$tmp/etc/sources.list"
  opts=(-o "Dir::Etc::sourcelist=$tmp/etc/sources.list" -o Dir::Etc::sourceparts=- -o "Dir::State::lists=$tmp/lists" -o "Dir::Cache=$tmp/cache")
  apt-get -qq "${opts[@]}" update >/dev/null 2>&1 || exit 1
  (cd "$tmp/dl" && apt-get -qq "${opts[@]}" download "$package" >/dev/null 2>&1) || exit 1
  dpkg-deb -x "$tmp"/dl/"$package"_*.deb "$tmp/x" || exit 1
  "$check" "$tmp/x$file" || exit 1
  install -D -m "$(stat -c %a "$tmp/x$file")" "$tmp/x$file" "$dest.tmp" && mv -f "$dest.tmp" "$dest"
)
fetch_or_say() {
  dest=$1 what=$2
  shift 2
  [ -e "$dest" ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "skiff: $what is not installed at $dest (run this script as root to fetch it)" >&2
  elif ! command -v apt-get >/dev/null 2>&1 || ! fetch_from_deb "$@" "$dest" "check_$(basename "$dest" .json)"; then
    echo "skiff: could not fetch $what" >&2
  fi
}

# busybox 1.37 from Debian trixie's busybox-static: Debian 12's busybox is built without wget's
# timeouts (`wget -T 2` crashes, `--timeout` is unknown), which the busybox image's 1.36 has. The
# static build runs on Debian 12 (trixie's dynamic one needs a newer glibc).
# src/images/busybox.ts looks for it; Debian's busybox above stays the fallback.
check_busybox() {
  # Only a binary that runs here and has wget's timeout is worth installing.
  help=$("$1" wget --help 2>&1) || :
  case "$help" in *"-T SEC"*) return 0 ;; *) return 1 ;; esac
}
fetch_or_say /usr/local/lib/skiff/busybox "busybox 1.37 (Debian trixie busybox-static); containers use the host's busybox, whose wget -T crashes" \
  trixie busybox-static /usr/bin/busybox

# Docker's default seccomp profile (moby profiles/seccomp/default.json), the RuntimeDefault of
# contained pods: Debian ships it only inside golang-github-docker-docker-dev, whose dozens of Go
# source dependencies skiff does not need, so the one file is taken from the package.
check_default() { grep -q '"defaultAction"' "$1"; }
fetch_or_say /usr/local/lib/skiff/seccomp/default.json "Docker's default seccomp profile (golang-github-docker-docker-dev)" \
  bookworm golang-github-docker-docker-dev /usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json
