#!/usr/bin/env bash
# Install the Debian 12 packages headroom needs to build, test and benchmark.
# Idempotent: does nothing when every package is already installed.
#   scripts/deps.sh            build + test packages
#   scripts/deps.sh --bench    also the benchmark's reference (statsmodels)
set -euo pipefail

pkgs=(build-essential cmake pkg-config git clang clang-format libclang-rt-14-dev valgrind python3
      libcmocka-dev libjansson-dev
      coinor-libcbc-dev
      libsqlite3-dev libyaml-dev iproute2 qemu-system-x86 qemu-utils busybox-static cpio socat
      libcurl4-openssl-dev libgnutls28-dev libmicrohttpd-dev libprotobuf-c-dev libsnappy-dev
      protobuf-c-compiler openssl curl)
if [[ "${1:-}" == "--bench" ]]; then
    pkgs+=(python3 python3-numpy python3-pandas python3-statsmodels)
fi

missing=()
for p in "${pkgs[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
    SUDO=sudo
else
    SUDO=
fi
echo "headroom: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
