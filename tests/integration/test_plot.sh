#!/bin/bash
# scripts/plot.py draws every plot from fake results files (make_fake_results.py: one
# with /two_part, several passes, a held-out document and the extraction test) as real
# PNGs and SVGs, fails with one line and exit 1 on a missing file, and, when MDLBENCH
# names the binary, plots the results of a small real run (two passes, extraction).
# Needs Debian's /usr/bin/python3 with python3-h5py and python3-matplotlib; skips (77)
# without them.
# Environment: MDL_SOURCE_DIR = the source tree (default: from this script's place),
# MDLBENCH = the mdlbench binary (optional; set by ctest).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=${MDL_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
python=/usr/bin/python3
plot="$src/scripts/plot.py"
fake="$here/make_fake_results.py"

if ! "$python" -c 'import h5py, matplotlib' >/dev/null 2>&1; then
    echo "SKIP: /usr/bin/python3 lacks h5py or matplotlib (python3-h5py, python3-matplotlib)"
    exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mdl_plot.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# matplotlib wants a writable cache directory
export MPLCONFIGDIR="$tmp/mplconfig"

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# check_plots DIR NAME... : every NAME.png is a PNG wider and taller than 100 pixels,
# every NAME.svg an SVG.
check_plots() {
    local dir=$1
    shift
    "$python" - "$dir" "$@" <<'EOF'
import os
import struct
import sys

d, names = sys.argv[1], sys.argv[2:]
bad = []
for name in names:
    png, svg = os.path.join(d, name + ".png"), os.path.join(d, name + ".svg")
    try:
        with open(png, "rb") as f:
            head = f.read(33)
    except OSError as e:
        bad.append(f"{png}: {e.strerror}")
        continue
    if len(head) < 33 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        bad.append(f"{png}: not a PNG ({len(head)} bytes read)")
    else:
        w, h = struct.unpack(">II", head[16:24])
        if w <= 100 or h <= 100:
            bad.append(f"{png}: {w} x {h} pixels")
    try:
        with open(svg, encoding="utf-8", errors="replace") as f:
            if "<svg" not in f.read():
                bad.append(f"{svg}: no <svg element")
    except OSError as e:
        bad.append(f"{svg}: {e.strerror}")
for line in bad:
    print(line, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
}

# ---- fake runs: one plain, one with a two-part code, 4 passes, a held-out document and
# the extraction test, one from before /passes and the extraction test ------------------
"$python" "$fake" "$tmp/gpt-26k.h5" --params 26304 || fail "make_fake_results.py failed"
"$python" "$fake" "$tmp/gpt-2M.h5" --params 1930000 --two-part --passes 4 --holdout \
    --extract 20 || fail "make_fake_results.py --two-part --passes --holdout --extract failed"
"$python" "$fake" "$tmp/old.h5" --legacy || fail "make_fake_results.py --legacy failed"
for f in gpt-26k gpt-2M old; do
    "$python" "$here/check_results.py" "$tmp/$f.h5" >/dev/null \
        || fail "the fake results file $f.h5 does not pass check_results.py"
done

if ! "$python" "$plot" "$tmp/gpt-26k.h5" "$tmp/gpt-2M.h5" "$tmp/old.h5" -o "$tmp/plots" \
    >"$tmp/plot.log" 2>&1; then
    cat "$tmp/plot.log" >&2
    fail "plot.py on the fake files exited with an error"
fi
check_plots "$tmp/plots" curve size documents documents-gpt-2M documents-old two_part passes \
    extraction || fail "bad plots from the fake files"
grep -q "$tmp/plots/curve.png" "$tmp/plot.log" || fail "plot.py did not print the written paths"
grep -q "$tmp/plots/passes.svg" "$tmp/plot.log" || fail "plot.py did not print passes.svg"

# without /two_part, more than one pass or extraction samples: none of those plots
"$python" "$plot" "$tmp/gpt-26k.h5" -o "$tmp/plots1" --format png >"$tmp/plot1.log" 2>&1 \
    || { cat "$tmp/plot1.log" >&2; fail "plot.py on one file without /two_part failed"; }
[[ -s "$tmp/plots1/curve.png" && -s "$tmp/plots1/size.png" && -s "$tmp/plots1/documents.png" ]] \
    || fail "plot.py --format png did not write curve, size and documents"
[[ ! -e "$tmp/plots1/two_part.png" && ! -e "$tmp/plots1/curve.svg" ]] \
    || fail "plot.py wrote two_part without /two_part, or SVG with --format png"
[[ ! -e "$tmp/plots1/passes.png" && ! -e "$tmp/plots1/extraction.png" ]] \
    || fail "plot.py wrote passes or extraction for a one-pass run without extraction"

# ---- errors: one line on stderr, exit 1 -------------------------------------------------
expect_error() {
    local what=$1
    shift
    local rc=0
    "$python" "$plot" "$@" -o "$tmp/err" >"$tmp/err.out" 2>"$tmp/err.log" || rc=$?
    [[ $rc -eq 1 ]] || fail "$what: exit $rc, want 1"
    local lines
    lines=$(wc -l <"$tmp/err.log")
    [[ $lines -eq 1 ]] || { cat "$tmp/err.log" >&2; fail "$what: $lines lines on stderr, want 1"; }
}
expect_error "missing file" "$tmp/no-such-file.h5"
echo "not hdf5" >"$tmp/text.h5"
expect_error "not an HDF5 file" "$tmp/gpt-26k.h5" "$tmp/text.h5"
"$python" -c 'import h5py, sys; h5py.File(sys.argv[1], "w").create_group("summary")' \
    "$tmp/nocurve.h5"
expect_error "no /curve" "$tmp/nocurve.h5"

# ---- a real run, when the binary is given ------------------------------------------------
if [[ -n "${MDLBENCH:-}" ]]; then
    [[ -x "$MDLBENCH" ]] || fail "MDLBENCH='$MDLBENCH' is not executable"
    mkdir -p "$tmp/corpus/sub"
    for i in $(seq 1 40); do
        echo "The quick brown fox $i jumps over the lazy dog."
    done >"$tmp/corpus/a.txt"
    seq 1 600 >"$tmp/corpus/sub/b.txt"
    if ! "$MDLBENCH" run --corpus "$tmp/corpus" \
        --set model.n_layer=1 --set model.d_model=32 --set model.n_head=2 \
        --set model.d_ff=64 --set model.context=32 --set train.segment=16 \
        --set train.passes=2 --set analysis.extract_samples=8 --holdout b.txt \
        --codecs gzip:9,xz:9 --orders 2 -q -o "$tmp/real.h5" >"$tmp/run.log" 2>&1; then
        cat "$tmp/run.log" >&2
        fail "mdlbench run exited with an error"
    fi
    if ! "$python" "$plot" "$tmp/real.h5" -o "$tmp/real" >"$tmp/real.log" 2>&1; then
        cat "$tmp/real.log" >&2
        fail "plot.py on a real results file exited with an error"
    fi
    check_plots "$tmp/real" curve size documents passes extraction \
        || fail "bad plots from the real run"
fi

echo "PASS test_plot"
