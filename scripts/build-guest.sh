#!/usr/bin/env bash
# Build the test guest for headroom's QEMU driver from Debian packages:
#   OUT/vmlinuz    the kernel of linux-image-cloud-amd64 (LZ4, boots fastest under TCG)
#   OUT/initrd.gz  busybox-static + the kernel's 12 virtio modules + an init that
#                  prints HEADROOM-READY, onlines hot-added CPUs and memory and
#                  writes one "TICK n" line per second to ttyS0 and hvc0.
# Usage: scripts/build-guest.sh OUT     (default OUT: build/guest)
# Packages are fetched with `apt-get download` into OUT/cache; nothing is committed.
# Idempotent: does nothing when OUT/vmlinuz and OUT/initrd.gz exist and are
# newer than this script.
set -euo pipefail
out=${1:-build/guest}
mkdir -p "$out/cache"
out=$(cd "$out" && pwd)
self=$(readlink -f "$0")
# Tests running in parallel may all ask for the guest: one builds, the rest wait.
exec 9>"$out/.lock"
flock 9
if [[ -s $out/vmlinuz && -s $out/initrd.gz && $out/initrd.gz -nt $self ]]; then
    exit 0
fi
need=()
for p in busybox-static cpio; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if ((${#need[@]})); then
    echo "build-guest: installing ${need[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >&2
fi
abi=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
if [[ -z $abi ]]; then
    apt-get update -q >&2
    abi=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
fi
[[ -n $abi ]] || { echo "build-guest: cannot find linux-image-cloud-amd64's kernel package" >&2; exit 1; }
cd "$out/cache"
if ! ls "${abi}"_*.deb >/dev/null 2>&1; then
    echo "build-guest: downloading $abi" >&2
    apt-get download "$abi" >&2
fi
deb=$(ls "${abi}"_*.deb | head -1)
rm -rf kx && mkdir kx && dpkg -x "$deb" kx
kver=${abi#linux-image-}
vmlinuz=$(ls kx/boot/vmlinuz-* | head -1)
root=$out/cache/root
rm -rf "$root" && mkdir -p "$root"/{bin,proc,sys,dev,www,lib/modules,tmp}
cp /bin/busybox "$root/bin/busybox"
for a in $("$root/bin/busybox" --list); do [[ $a == busybox ]] || ln -sf busybox "$root/bin/$a"; done
mods=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_mmio
      virtio_balloon virtio_console failover net_failover virtio_net virtio_mem)
for m in "${mods[@]}"; do
    f=$(find "kx/lib/modules/$kver" -name "$m.ko" | head -1)
    [[ -n $f ]] || { echo "build-guest: module $m missing from $deb" >&2; exit 1; }
    cp "$f" "$root/lib/modules/"
done
cat >"$root/init" <<'INIT'
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev 2>/dev/null
echo "HEADROOM-INIT-START up=$(cut -d' ' -f1 /proc/uptime)"
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_mmio \
         virtio_balloon virtio_console failover net_failover virtio_net virtio_mem; do
  insmod /lib/modules/$m.ko 2>/dev/null
done
echo "hello from headroom guest" > /www/index.html
ip link set lo up
GIP=$(sed -n 's/.*guestip=\([^ ]*\).*/\1/p' /proc/cmdline); [ -z "$GIP" ] && GIP=10.0.2.15/24
if ip link show eth0 >/dev/null 2>&1; then ip link set eth0 up; ip addr add $GIP dev eth0; fi
httpd -p 80 -h /www
echo "HEADROOM-READY up=$(cut -d' ' -f1 /proc/uptime)"
n=0
while true; do
  n=$((n+1))
  for f in /sys/devices/system/cpu/cpu*/online /sys/devices/system/memory/memory*/online; do
    [ -f "$f" ] && [ "$(cat $f)" = 0 ] && echo 1 > "$f" 2>/dev/null
  done
  echo "TICK $n up=$(cut -d' ' -f1 /proc/uptime) cpus_online=$(cat /sys/devices/system/cpu/online) memtotal_kb=$(awk '/MemTotal/{print $2}' /proc/meminfo)"
  [ -c /dev/hvc0 ] && echo "TICK $n" > /dev/hvc0 2>/dev/null
  sleep 1
done
INIT
chmod 755 "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) >"$out/initrd.gz.tmp"
cp "$vmlinuz" "$out/vmlinuz.tmp"
mv "$out/vmlinuz.tmp" "$out/vmlinuz"
mv "$out/initrd.gz.tmp" "$out/initrd.gz"
rm -rf kx "$root"
echo "build-guest: $out/vmlinuz ($kver), $out/initrd.gz ($(stat -c %s "$out/initrd.gz") bytes)" >&2
