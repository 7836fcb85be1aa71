#!/usr/bin/env bash
# The real-kernel test VM: a Debian kernel with USB (downloaded with apt-get, unpacked, never
# installed) booted by qemu with an initramfs that holds busybox, the USB modules, the usbip tools
# and usbsim. Everything is cached under build/vm/ (installed as PREFIX/share/usbsim/vm.sh:
# under $XDG_CACHE_HOME/usbsim/vm, default ~/.cache/usbsim/vm).
#
#   ci/vm.sh image                 fetch the kernel and build the cached base image
#   ci/vm.sh run SCRIPT [FILE...]  boot once, run SCRIPT as /run.sh inside (FILEs in /data, ELF
#                                  files with their shared libraries), print its output, copy every
#                                  file the script left in /out/ to build/vm/out/ (or $VM_OUT), and
#                                  exit with the script's exit code
#
# Inside: /bin/usbsim (the usbsim binary: $USBSIM_BIN, default build/usbsim or, installed,
# PREFIX/bin/usbsim, when it exists),
# every module loaded (configfs, usbcore, udc-core, libcomposite, dummy_hcd, usb_f_fs, usbip-core,
# usbip-host, vhci-hcd), lo up, configfs on /sys/kernel/config, /var/run/vhci_hcd, usbip and
# usbipd with usb.ids. One CPU, 1 GiB, TCG.
# Cache: the kernel .deb and its unpacked tree, and the base initramfs (rebuilt when the kernel
# package or this script changes); SCRIPT, FILEs and usbsim go into a small second initramfs
# appended at every run.
# VM_HOSTFS=DIR: the host's filesystem is shared read-only (qemu virtfs/9p) and mounted at /host
# inside, with its own /proc, /sys, /dev, configfs, debugfs and /run, a /tmp that shows the
# host's files and keeps what the VM writes in the VM (an overlay), and DIR shared writable at
# its own path; SCRIPT then runs a host program with `chroot /host ...`, so
# the host's binaries, shared libraries and python3 run unchanged.
# Environment: USBSIM_BIN; VM_DIR or USBSIM_VM_CACHE (the cache, default above); VM_OUT
# (results; the default, the cache's out/, is emptied first); VM_TIMEOUT (seconds, default 300);
# VM_ACCEL=kvm (probed once, TCG when it does not boot); VM_REFRESH=1 (ask apt again which kernel
# package is current).
# Exit codes: the script's own; 2 bad usage; 3 when qemu, busybox-static, usbip or the kernel
# package cannot be had (the message says what to install); 4 when the VM reported no exit code
# (timeout or crash; the console log is kept in build/vm/console.txt).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
self="$here/$(basename "$0")"
if [ "${here##*/}" = ci ] && [ -f "$here/../Makefile" ]; then   # the source tree's ci/vm.sh
  top=$(cd "$here/.." && pwd)
  bin_default=$top/build/usbsim
  vm_default=$top/build/vm
else                                                          # installed: PREFIX/share/usbsim
  bin_default=$(cd "$here/../.." && pwd)/bin/usbsim
  vm_default=${XDG_CACHE_HOME:-$HOME/.cache}/usbsim/vm
fi
vm=${VM_DIR:-${USBSIM_VM_CACHE:-$vm_default}}
MODS=(usb-common usbcore udc-core libcomposite dummy_hcd usb_f_fs usbip-core usbip-host vhci-hcd
      usbmon virtio_pci 9pnet_virtio 9p overlay hid usbhid hid-generic)
MARK=USBSIM-VM-7f3a

die3() { echo "ci/vm.sh: $*" >&2; exit 3; }
say()  { echo "ci/vm.sh: $*" >&2; }

need_tools() {
  local t missing=()
  for t in qemu-system-x86_64 busybox cpio gzip xz dpkg-deb apt-get; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
  done
  command -v busybox >/dev/null 2>&1 && ldd "$(command -v busybox)" >/dev/null 2>&1 &&
    missing+=("busybox-static")
  [ -x /usr/sbin/usbip ] && [ -x /usr/sbin/usbipd ] || missing+=("usbip")
  [ ${#missing[@]} -eq 0 ] ||
    die3 "missing: ${missing[*]}; install with: apt-get install qemu-system-x86 busybox-static cpio xz-utils usbip (or: ci/deps.sh vm)"
}

# The versioned kernel package linux-image-amd64 points at; one apt-get update when unknown.
kernel_pkg() {
  local p
  p=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
  if [ -z "$p" ]; then
    [ "$(id -u)" -eq 0 ] || die3 "apt does not know linux-image-amd64; run: sudo apt-get update"
    say "apt-get update (linux-image-amd64 unknown)"
    apt-get update -qq >/dev/null 2>&1 || die3 "apt-get update failed; the kernel package cannot be had"
    p=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
  fi
  [ -n "$p" ] || die3 "no linux-image-6.x-amd64 package is known to apt; the VM needs Debian's kernel"
  echo "$p"
}

# Downloads and unpacks the kernel package once; prints the unpacked tree. Which package is
# current is asked of apt (slow) at most once a day, or always with VM_REFRESH=1.
fetch_kernel() {
  local pkg deb
  mkdir -p "$vm"
  if [ -n "${VM_REFRESH:-}" ] || [ -z "$(find "$vm/kernel.pkg" -mmin -1440 2>/dev/null)" ]; then
    kernel_pkg >"$vm/kernel.pkg.tmp" || exit 3
    mv "$vm/kernel.pkg.tmp" "$vm/kernel.pkg"
  fi
  pkg=$(cat "$vm/kernel.pkg")
  deb=$(ls "$vm"/"${pkg}"_*.deb 2>/dev/null | head -n 1 || true)
  if [ -z "$deb" ]; then
    say "downloading $pkg"
    (cd "$vm" && apt-get download -q "$pkg" >/dev/null 2>&1) ||
      die3 "apt-get download $pkg failed (no network or no apt source?); the VM needs Debian's kernel"
    deb=$(ls "$vm"/"${pkg}"_*.deb | head -n 1)
  fi
  if [ "$(cat "$vm/kernel.stamp" 2>/dev/null)" != "$(basename "$deb")" ]; then
    rm -rf "$vm/kernel"
    dpkg-deb -x "$deb" "$vm/kernel"
    basename "$deb" >"$vm/kernel.stamp"
  fi
  echo "$vm/kernel"
}

# The .ko file of module $2 under tree $1 (names with - and _ are the same module).
mod_file() {
  local alt=${2//-/_} alt2=${2//_/-}
  find "$1/lib/modules" \( -name "$2.ko*" -o -name "$alt.ko*" -o -name "$alt2.ko*" \) | head -n 1
}

# The modules $1 needs, from its .modinfo "depends=" string (no modinfo needed).
mod_depends() {
  case "$1" in *.xz) xz -dc "$1" ;; *) cat "$1" ;; esac |
    tr '\0' '\n' | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' '
}

# Prints the modules (file paths) in load order: each one's dependencies first (modinfo depends).
mod_order() {
  local tree=$1; shift
  local -A seen=()
  visit() {
    local f dep
    [ -n "${seen[$1]:-}" ] && return 0
    seen[$1]=1
    f=$(mod_file "$tree" "$1")
    [ -n "$f" ] || { say "module $1 is not in the kernel package"; return 1; }
    for dep in $(mod_depends "$f"); do visit "$dep"; done
    echo "$f"
  }
  local m
  for m in "$@"; do visit "$m"; done
}

# Copies ELF file $1 to $root$2 and every shared library ldd lists to the same path in $root.
copy_elf() {
  local root=$1 src=$2 dst=$3 lib
  install -D -m 0755 "$src" "$root$dst"
  for lib in $(ldd "$src" 2>/dev/null | grep -o '/[^ ]*' || true); do
    [ -e "$root$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
  done
}

write_init() {
  cat >"$1/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mkdir -p /dev/pts /tmp /var/run/vhci_hcd /out /dev/ffs
mount -t tmpfs tmp /tmp
dmesg -n 1
ip link set lo up
for m in \$(cat /lib/modules/order); do insmod /lib/modules/\$m || echo "insmod \$m failed"; done
mount -t configfs none /sys/kernel/config
mount -t debugfs none /sys/kernel/debug 2>/dev/null
hostfs=\$(sed -n 's/.*usbsim\.hostfs=\([^ ]*\).*/\1/p' /proc/cmdline)
if [ -n "\$hostfs" ]; then
  o=trans=virtio,version=9p2000.L,msize=262144
  mkdir -p /host
  mount -t 9p -o "\$o,ro" usbsim_root /host || echo "the host's filesystem could not be mounted"
  mount -t proc proc /host/proc; mount -t sysfs sys /host/sys; mount -t devtmpfs dev /host/dev
  mount -t configfs none /host/sys/kernel/config; mount -t debugfs none /host/sys/kernel/debug
  # /tmp shows the host's files (a checkout, a program or a scenario under /tmp runs as on the
  # host) and keeps what the VM writes in the VM (an overlay on a tmpfs); a bare tmpfs if the
  # overlay cannot be had.
  mkdir -p /tmpov && mount -t tmpfs tmpov /tmpov && mkdir -p /tmpov/up /tmpov/work
  mount -t overlay overlay -o lowerdir=/host/tmp,upperdir=/tmpov/up,workdir=/tmpov/work /host/tmp ||
    { echo "the host's /tmp cannot be shown in the VM"; mount -t tmpfs tmp /host/tmp; }
  mount -t tmpfs run /host/run && mkdir -p /host/run/vhci_hcd   # usbip attach writes there
  mkdir -p "/host\$hostfs" && mount -t 9p -o "\$o" usbsim_run "/host\$hostfs" ||
    echo "the run directory \$hostfs could not be mounted"
fi
echo "$MARK-BEGIN"
cd /
sh /run.sh </dev/null 2>&1
rc=\$?
for f in /out/*; do
  [ -f "\$f" ] || continue
  echo "$MARK-FILE \${f#/out/}"; base64 "\$f"; echo "$MARK-FILE-END"
done
echo "$MARK-END rc=\$rc"
sync
poweroff -f
EOF
  chmod 0755 "$1/init"
}

# The cached base image: modules, busybox, usbip tools, /init. Rebuilt when the kernel package
# or this script changes.
build_base() {
  local tree stamp root f ver
  tree=$(fetch_kernel)
  stamp="$(cat "$vm/kernel.stamp") $(sha256sum "$self" | cut -c1-16)"
  [ -f "$vm/base.cpio.gz" ] && [ "$(cat "$vm/base.stamp" 2>/dev/null)" = "$stamp" ] && return 0
  local mods=("${MODS[@]}")
  grep -q '^CONFIG_CONFIGFS_FS=y' "$tree"/boot/config-* || mods=(configfs "${mods[@]}")
  root="$vm/base"
  rm -rf "$root"
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,data,out,lib/modules,usr/share/misc}
  install -m 0755 "$(command -v busybox)" "$root/bin/busybox"
  for f in usbip usbipd; do copy_elf "$root" "/usr/sbin/$f" "/usr/sbin/$f"; done
  cp /usr/share/misc/usb.ids "$root/usr/share/misc/usb.ids" 2>/dev/null ||
    say "warning: no /usr/share/misc/usb.ids (usbip prints names from it)"
  : >"$root/lib/modules/order"
  for f in $(mod_order "$tree" "${mods[@]}"); do
    local name=${f##*/}
    case "$name" in
      *.ko.xz) xz -dc "$f" >"$root/lib/modules/${name%.xz}"; name=${name%.xz} ;;
      *) cp "$f" "$root/lib/modules/$name" ;;
    esac
    echo "$name" >>"$root/lib/modules/order"
  done
  write_init "$root"
  (cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) >"$vm/base.cpio.gz.tmp"
  mv "$vm/base.cpio.gz.tmp" "$vm/base.cpio.gz"
  ver=$(ls "$tree"/boot/vmlinuz-* | head -n 1)
  cp "$ver" "$vm/vmlinuz"
  echo "$stamp" >"$vm/base.stamp"
  say "base image built: $(du -h "$vm/base.cpio.gz" | cut -f1) ($(wc -l <"$root/lib/modules/order") modules)"
}

# The per-run layer (a second cpio appended to the initrd): /run.sh, /data/*, /bin/usbsim.
build_run_layer() {
  local script=$1; shift
  local root="$vm/run" f bin=${USBSIM_BIN:-$bin_default}
  rm -rf "$root"
  mkdir -p "$root/data" "$root/bin"
  install -m 0755 "$script" "$root/run.sh"
  if [ -x "$bin" ]; then copy_elf "$root" "$bin" /bin/usbsim; fi
  for f in "$@"; do
    [ -f "$f" ] || { echo "ci/vm.sh: no such file: $f" >&2; exit 2; }
    if head -c 4 "$f" | grep -q 'ELF'; then copy_elf "$root" "$f" "/data/${f##*/}"
    else install -m 0644 "$f" "$root/data/${f##*/}"; fi
  done
  (cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) >"$vm/run.cpio.gz"
  cat "$vm/base.cpio.gz" "$vm/run.cpio.gz" >"$vm/initrd.gz"
}

accel() {
  if [ "${VM_ACCEL:-tcg}" = kvm ]; then
    if [ ! -f "$vm/kvm.ok" ] && [ ! -f "$vm/kvm.bad" ]; then
      if [ -w /dev/kvm ] && timeout --foreground 60 qemu-system-x86_64 -accel kvm -m 256 -nographic \
           -kernel "$vm/vmlinuz" -initrd "$vm/initrd.gz" -no-reboot \
           -append "console=ttyS0 quiet panic=-1" </dev/null 2>/dev/null | grep -q "$MARK-BEGIN"; then
        touch "$vm/kvm.ok"
      else
        touch "$vm/kvm.bad"
      fi
    fi
    [ -f "$vm/kvm.ok" ] && { echo kvm; return; }
    say "kvm does not boot here; using TCG"
  fi
  echo tcg
}

# Boots the initrd; the console goes to $vm/console.log. qemu stays in this script's process
# group (timeout --foreground), so stopping the group (usbsim run on Ctrl-C) stops the VM.
boot() {
  local a t0 t1 rc=0
  local share=() append="console=ttyS0 quiet panic=-1"
  a=$(accel)
  if [ -n "${VM_HOSTFS:-}" ]; then
    [ -d "$VM_HOSTFS" ] || { echo "ci/vm.sh: VM_HOSTFS: no such directory: $VM_HOSTFS" >&2; exit 2; }
    share=(-virtfs "local,path=/,mount_tag=usbsim_root,security_model=none,readonly=on"
           -virtfs "local,path=$VM_HOSTFS,mount_tag=usbsim_run,security_model=none")
    append="$append usbsim.hostfs=$VM_HOSTFS"
  fi
  t0=$(date +%s.%N)
  # -cpu max: the host programs that run inside (usbsim links DPDK's librte_ring, built for
  # SSE4.2 and later) need the instructions of a current x86-64, which TCG's default lacks.
  local cpu=(-cpu max)
  [ "$a" = kvm ] && cpu=(-cpu host)
  timeout --foreground "${VM_TIMEOUT:-300}" qemu-system-x86_64 -accel "$a" "${cpu[@]}" -smp 1 -m 1024 -nographic \
    -kernel "$vm/vmlinuz" -initrd "$vm/initrd.gz" -no-reboot "${share[@]}" \
    -append "$append" </dev/null >"$vm/console.log" 2>&1 || rc=$?
  t1=$(date +%s.%N)
  tr -d '\r' <"$vm/console.log" >"$vm/console.txt"
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b - a}') $a $rc" >"$vm/boot.time"
  [ "$rc" -eq 124 ] && say "the VM did not finish within ${VM_TIMEOUT:-300} s"
  return 0
}

# Prints the script's output, decodes the files, and exits with its code.
harvest() {
  local out=${VM_OUT:-$vm/out} rc
  [ -n "${VM_OUT:-}" ] || rm -rf "$out"
  mkdir -p "$out"
  awk -v m="$MARK" -v out="$out" '
    index($0, m "-BEGIN") > 0 { on = 1; next }
    index($0, m "-FILE ") == 1 { name = substr($0, length(m) + 7); file = out "/" name ".b64";
                                 printf "" > file; infile = 1; next }
    $0 == m "-FILE-END" { close(file); infile = 0; next }
    index($0, m "-END rc=") == 1 { exit }
    infile { print >> file; next }
    on { print }' "$vm/console.txt"
  for f in "$out"/*.b64; do
    [ -e "$f" ] || continue
    base64 -d "$f" >"${f%.b64}" && rm -f "$f"
  done
  rc=$(sed -n "s/^$MARK-END rc=\([0-9]*\)\$/\1/p" "$vm/console.txt" | tail -n 1)
  read -r secs a qrc <"$vm/boot.time"
  say "VM ($a) ran $secs s; console log: $vm/console.txt"
  if [ -z "$rc" ]; then
    say "the VM gave no exit code (qemu exit $qrc); last console lines:"
    tail -n 20 "$vm/console.txt" >&2
    exit 4
  fi
  exit "$rc"
}

cmd=${1:-}
case "$cmd" in
  image)
    need_tools
    build_base
    ;;
  run)
    [ $# -ge 2 ] || { echo "usage: ci/vm.sh run SCRIPT [FILE...]" >&2; exit 2; }
    script=$2; shift 2
    [ -f "$script" ] || { echo "ci/vm.sh: no such script: $script" >&2; exit 2; }
    need_tools
    build_base
    build_run_layer "$script" "$@"
    boot
    harvest
    ;;
  *)
    echo "usage: ci/vm.sh image | run SCRIPT [FILE...]" >&2
    exit 2
    ;;
esac
