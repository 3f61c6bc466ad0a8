#!/usr/bin/env bash
# Prepares .debs/: the Debian 12 (amd64) packages that building mdlbench needs, for a GPU
# machine that has no network (scripts/gpu_check.sh unpacks them there into a private
# prefix with dpkg-deb -x; nothing is installed into its system).
#
# Run here, on a Debian 12 amd64 machine with network:   bash scripts/gpu_debs.sh [DIR]
# (default DIR .debs in the repository root; the old .deb files in it are replaced). Then
# carry DIR with the tree (it must be git-ignored, e.g. `.debs/` in .gitignore, and named
# in the device tool's `carry`), and run `bash scripts/gpu_check.sh OUT` there.
#
# What it fetches (apt-get download, no install):
#   - the -dev packages: headers, .so links and .pc files of HDF5 (serial), libcyaml and
#     libyaml, zstd, zlib, bzip2, xz, brotli, xxHash, jansson, OpenBLAS (OpenMP flavour), and pkgconf in
#     case the machine has no pkg-config;
#   - their run-time libraries with every library those need in turn (apt-cache depends
#     --recurse), except the ones any machine with a C compiler has (glibc, libgcc,
#     libstdc++, libgomp). The -dev packages' own further Depends (HDF5's Fortran and C++
#     bindings, libcurl-dev, libssl-dev, libjpeg-dev) are not needed to build and are left
#     out.
# The total must stay under MAX_MB (default 40): the whole tree that travels to the device
# is limited to 64 MiB. DIR/MANIFEST lists what was fetched.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-.debs}
max_mb=${MAX_MB:-40}

die() { echo "gpu_debs.sh: $*" >&2; exit 1; }
command -v apt-get >/dev/null && command -v apt-cache >/dev/null || die "needs apt (Debian 12)"
[ "$(dpkg --print-architecture)" = amd64 ] || die "needs an amd64 machine (the GPU machine is x86-64)"

dev=(libhdf5-dev libcyaml-dev libyaml-dev libzstd-dev zlib1g-dev libbz2-dev liblzma-dev
     libbrotli-dev libxxhash-dev libjansson-dev libopenblas-openmp-dev pkgconf)
roots=(libhdf5-103-1 libcyaml1 libyaml-0-2 libzstd1 zlib1g libbz2-1.0 liblzma5 libbrotli1
       libxxhash0 libjansson4 libopenblas0-openmp pkgconf-bin libpkgconf3)
base=" libc6 libgcc-s1 libstdc++6 gcc-12-base libgomp1 libc6-dev libcrypt1 "

closure() {
    apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
        --no-replaces --no-enhances "$@" | grep -v '^ ' | grep -v '^<' | sort -u
}
if ! apt-cache show "${dev[@]}" >/dev/null 2>&1; then
    echo "gpu_debs.sh: package lists incomplete, running apt-get update"
    apt-get update -qq || die "apt-get update failed (no network?)"
fi
pkgs=("${dev[@]}")
for p in $(closure "${roots[@]}"); do
    case "$base" in *" $p "*) ;; *) pkgs+=("$p") ;; esac
done
mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" | sort -u)

mkdir -p "$dir"
rm -f "$dir"/*.deb "$dir"/MANIFEST
echo "gpu_debs.sh: downloading ${#pkgs[@]} packages into $dir/"
(cd "$dir" && apt-get download -q "${pkgs[@]}" 2>&1 | grep -v "unsandboxed as root" || true)
missing=()
for p in "${pkgs[@]}"; do
    compgen -G "$dir/${p}_*.deb" >/dev/null || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] || die "could not download: ${missing[*]}"

{
    echo "# packages for scripts/gpu_check.sh, fetched $(date -u +%Y-%m-%dT%H:%M:%SZ) on" \
         "$(. /etc/os-release && echo "$PRETTY_NAME") $(dpkg --print-architecture)"
    for f in "$dir"/*.deb; do
        printf "%s %s\n" "$(dpkg-deb -f "$f" Package)" "$(dpkg-deb -f "$f" Version)"
    done
} >"$dir/MANIFEST"
kb=$(du -sk "$dir" | cut -f1)
echo "gpu_debs.sh: $dir/ holds ${#pkgs[@]} packages, $((kb / 1024)) MiB ($kb KiB)"
[ "$kb" -le $((max_mb * 1024)) ] || die "$dir/ is over $max_mb MiB: the tree that travels is limited to 64 MiB"
