#!/usr/bin/env bash
# Installs the Debian 12 packages mdlbench builds and tests with (skips apt when they are
# all present already). Run as root or with sudo available.
set -euo pipefail
packages=(build-essential cmake pkg-config git libhdf5-dev hdf5-tools libopenblas-openmp-dev
          libcyaml-dev libyaml-dev libzstd-dev libxxhash-dev libjansson-dev zlib1g-dev libbz2-dev liblzma-dev libbrotli-dev
          python3 python3-h5py python3-numpy python3-matplotlib python3-yaml util-linux
          slurm-wlm  # tests/integration/test_slurm.sh: a real single-node Slurm
          openmpi-bin libopenmpi-dev  # data-parallel ranks (MDL_MPI), tests/integration/test_mpi.sh
          clang libclang-rt-14-dev  # scripts/fuzz.sh: libFuzzer
          gzip bzip2 xz-utils zstd brotli)  # the command-line tools the codec tests compare with
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
