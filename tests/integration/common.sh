# Sourced by integration scripts (set -eu first): the variables ctest sets (MDLBENCH, the
# binary; MDL_SOURCE_DIR, the tree), py = /usr/bin/python3 with h5py (else SKIP, exit
# 77), and tmp, a temporary directory removed at exit, as the working directory.
: "${MDLBENCH:?set MDLBENCH to the mdlbench binary}"
: "${MDL_SOURCE_DIR:?set MDL_SOURCE_DIR to the source tree}"
py=/usr/bin/python3
$py -c "import h5py" 2>/dev/null || { echo "SKIP: /usr/bin/python3 has no h5py"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
