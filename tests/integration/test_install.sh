#!/usr/bin/env bash
# Installing: `cmake --install` into a prefix gives a binary that finds its configs and
# scripts there (`mdlbench info` says "installed"), runs from an empty directory, and whose
# mdlbench-plot wrapper plots the run; as root, the Debian package of `cpack -G DEB` is
# installed with dpkg, used the same way, and removed again.
set -u
: "${MDLBENCH:?set MDLBENCH to the mdlbench binary}"
: "${MDL_BUILD_DIR:?set MDL_BUILD_DIR to the build directory}"
if [ "${MDL_SANITIZE:-OFF}" = ON ]; then
    echo "SKIP: the install is tested with the normal build, not the sanitizer one"
    exit 77
fi
/usr/bin/python3 -c "import h5py, matplotlib" 2>/dev/null ||
    { echo "SKIP: /usr/bin/python3 lacks h5py or matplotlib"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL $*"; exit 1; }
printf 'a small corpus for the installed binary, a small corpus, a small corpus\n' >"$tmp/corpus.txt"
small=(--set model.n_layer=1 --set model.d_model=16 --set model.n_head=2 --set model.d_ff=32
       --set model.context=16 --set train.segment=8 --set model.ngram_buckets=64 --codecs none -q)

# use BIN_DIR: run and plot from an empty directory with what BIN_DIR holds
use() {
    local bin=$1 work
    work=$(mktemp -d "$tmp/work.XXXX")
    (cd "$work" && "$bin/mdlbench" info | grep -q "configs .*mdlbench/configs (installed)") ||
        fail "$bin/mdlbench info does not find the installed configs: $("$bin/mdlbench" info | grep configs)"
    (cd "$work" && "$bin/mdlbench" run --corpus "$tmp/corpus.txt" "${small[@]}" \
        -c "$("$bin/mdlbench" info | sed -n 's/^  configs *\(.*\) (installed)/\1/p')/models/gpt-0.1M.yaml" \
        -o r.h5 >/dev/null) || fail "$bin/mdlbench run from an empty directory"
    (cd "$work" && "$bin/mdlbench-plot" r.h5 -o plots --format png >/dev/null 2>&1) ||
        fail "$bin/mdlbench-plot"
    [ -s "$work/plots/curve.png" ] || fail "no plots/curve.png from $bin/mdlbench-plot"
    echo "ok   $bin: info, run, plot"
}

cmake --install "$MDL_BUILD_DIR" --prefix "$tmp/prefix" >/dev/null || fail "cmake --install"
for f in bin/mdlbench bin/mdlbench-plot bin/mdlbench-collect bin/mdlbench-sweep \
    bin/mdlbench-torch-ref share/mdlbench/configs/default.yaml share/mdlbench/scripts/mdlresults.py \
    share/mdlbench/configs/paper/lmic-200K.yaml share/mdlbench/scripts/paper/lmic.py; do
    [ -e "$tmp/prefix/$f" ] || fail "not installed: $f"
done
use "$tmp/prefix/bin"
# the paper scripts' wrappers start (they import mdlresults from the directory above)
for t in attribute capacity lmic blockwise crossover; do
    "$tmp/prefix/bin/mdlbench-$t" --help >/dev/null || fail "mdlbench-$t --help"
done
echo "ok   the paper scripts' wrappers start"

if [ "$(id -u)" -ne 0 ] || ! command -v dpkg >/dev/null || ! command -v cpack >/dev/null; then
    echo "skip the Debian package: needs root, dpkg and cpack"
    exit 0
fi
if dpkg -s mdlbench >/dev/null 2>&1; then
    echo "skip the Debian package: an mdlbench package is installed already, left alone"
    exit 0
fi
(cd "$MDL_BUILD_DIR" && cpack -G DEB -B "$tmp/pkg" >"$tmp/cpack.log" 2>&1) ||
    { cat "$tmp/cpack.log"; fail "cpack -G DEB"; }
deb=$(ls "$tmp"/pkg/mdlbench_*.deb)
dpkg -i "$deb" >"$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log"; fail "dpkg -i"; }
trap 'dpkg -r mdlbench >/dev/null 2>&1; rm -rf "$tmp"' EXIT
use /usr/bin
dpkg -r mdlbench >/dev/null || fail "dpkg -r"
[ ! -e /usr/bin/mdlbench ] || fail "/usr/bin/mdlbench left after dpkg -r"
echo "ok   $(basename "$deb"): installed, used, removed"
echo "PASS test_install"
