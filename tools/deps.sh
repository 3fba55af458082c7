#!/usr/bin/env bash
# Install the Debian packages lstar's build and tests need; quick when they
# are all present already (one dpkg query, no network).
set -euo pipefail

packages=(
  make g++ binutils pkg-config python3
  meson ninja-build nasm
  grub-common grub-pc-bin xorriso
  qemu-system-x86 bochs bochsbios vgabios
  cpputest
  gnuplot-nox
)

installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${packages[@]}" 2>/dev/null \
  | awk '$2 == "installed" { print $1 }' || true)
missing=()
for pkg in "${packages[@]}"; do
  grep -qx -- "$pkg" <<<"$installed" || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "deps: installing ${missing[*]}" >&2
sudo=()
if [[ "$(id -u)" != 0 ]]; then
  command -v sudo >/dev/null || { echo "deps: need root or sudo to install ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done" >&2
