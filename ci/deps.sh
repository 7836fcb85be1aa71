#!/usr/bin/env bash
# Installs the Debian packages usbsim needs to build and test, when any is missing.
# As root: apt-get (with one `apt-get update` first). Otherwise: prints the exact command, exits 1.
# Usage: ci/deps.sh [build|core|vm|all]
#   build: what building and running usbsim needs (make demo)
#   core:  build + what the tests need (make check; the default)
#   vm:    the real-kernel path's packages (make vm-check)
set -euo pipefail

build=(build-essential pkg-config libyaml-dev libusb-1.0-0-dev zlib1g-dev libjansson-dev libpcap-dev
       libck-dev libdpdk-dev)
core=("${build[@]}" clang libclang-rt-14-dev libcunit1-dev spin chromium tshark python3
      python3-yaml man-db groff-base)
vm=(qemu-system-x86 busybox-static cpio usbip xz-utils python3-usb) # python3-usb: the pyusb receiver run with --exec

case "${1:-core}" in
  build) want=("${build[@]}") ;;
  core) want=("${core[@]}") ;;
  vm)   want=("${vm[@]}") ;;
  all)  want=("${core[@]}" "${vm[@]}") ;;
  *)    echo "usage: ci/deps.sh [build|core|vm|all]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "usbsim needs these Debian packages: ${missing[*]}" >&2
  echo "install them with:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "ci/deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
