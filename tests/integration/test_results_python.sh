#!/bin/bash
# The results file of a real `mdlbench run` on a small corpus is readable with h5py and
# matches the schema and its accounting identities (tests/integration/check_results.py).
# Needs Debian's /usr/bin/python3 with python3-h5py (the python3 first on PATH may be a
# build that does not see Debian's packages); skips (77) without it.
# Environment: MDLBENCH = the mdlbench binary (set by ctest).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
python=/usr/bin/python3

if ! "$python" -c 'import h5py' >/dev/null 2>&1; then
    echo "SKIP: python3-h5py not installed"
    exit 77
fi
if [[ -z "${MDLBENCH:-}" || ! -x "$MDLBENCH" ]]; then
    echo "FAIL: MDLBENCH must name the mdlbench binary (got '${MDLBENCH:-}')" >&2
    exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mdl_results_py.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# A small corpus (about 5 KB): a directory with a subdirectory and three kinds of text.
mkdir -p "$tmp/corpus/sub"
for i in $(seq 1 40); do
    echo "The quick brown fox $i jumps over the lazy dog."
done >"$tmp/corpus/a.txt"
seq 1 600 >"$tmp/corpus/sub/b.txt"
for i in $(seq 1 30); do
    printf 'line %d: %s\n' "$i" "abcdefghijklmnopqrstuvwxyz"
done >"$tmp/corpus/sub/c.txt"

# run_small LOG ARGS...: a small `mdlbench run` on the corpus; fails the test on an error
run_small() {
    local log=$1
    shift
    if ! "$MDLBENCH" run --corpus "$tmp/corpus" \
        --set model.n_layer=1 --set model.d_model=32 --set model.n_head=2 --set model.d_ff=64 \
        --set model.context=32 --set train.segment=16 --set train.streams=4 "$@" >"$log" 2>&1; then
        echo "FAIL: mdlbench run $* exited with an error; its output:" >&2
        cat "$log" >&2
        exit 1
    fi
}

out="$tmp/r.h5"
run_small "$tmp/run.log" -o "$out"
if [[ ! -f "$out" || -e "$out.partial" ]]; then
    echo "FAIL: expected $out and no $out.partial after the run" >&2
    ls -l "$tmp" >&2
    exit 1
fi

"$python" "$here/check_results.py" "$out"

# The documents are the corpus files, resolved and in bytewise path order.
"$python" - "$out" "$tmp/corpus" <<'EOF'
import os
import sys

import h5py

path, corpus = sys.argv[1], os.path.realpath(sys.argv[2])
want = [os.path.join(corpus, name) for name in ("a.txt", "sub/b.txt", "sub/c.txt")]
with h5py.File(path, "r") as f:
    names = list(f["documents/name"].asstr()[()])
    sizes = [int(x) for x in f["documents/bytes"][()]]
if names != want:
    sys.exit(f"{path}: /documents/name = {names}, want {want}")
if sizes != [os.path.getsize(p) for p in want]:
    sys.exit(f"{path}: /documents/bytes = {sizes} do not match the file sizes")
EOF
# A run with a held-out document and two passes passes the same checks, with its
# memorization gap and the per-pass document table.
run_small "$tmp/held.log" --holdout "b.txt" --codecs gzip:9 --orders 1 --set train.passes=2 \
    -o "$tmp/held.h5"
grep -q "held out      1 documents" "$tmp/held.log"
"$python" "$here/check_results.py" "$tmp/held.h5"
"$MDLBENCH" report "$tmp/held.h5" -f json | "$python" -c '
import json, math, sys
r = json.load(sys.stdin)[0]
assert r["heldout_documents"] == 1 and math.isfinite(r["memorization_gap_bpb"]), r
assert abs(r["memorization_gap_bpb"] - (r["heldout_bpb"] - r["final_bpb"])) < 1e-12'
# A results file without /documents/name: report --documents names the missing dataset in
# one line (it used to read its length as -1 and say "out of memory").
cp "$tmp/held.h5" "$tmp/no-names.h5"
"$python" -c 'import h5py, sys; del h5py.File(sys.argv[1], "a")["documents/name"]' "$tmp/no-names.h5"
if "$MDLBENCH" report --documents "$tmp/no-names.h5" >/dev/null 2>"$tmp/err"; then
    echo "FAIL: report --documents accepted a file without /documents/name" >&2
    exit 1
fi
if [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -q "/documents/name is missing" "$tmp/err"; then
    echo "FAIL: report --documents without /documents/name said: $(cat "$tmp/err")" >&2
    exit 1
fi
# A summary attribute replaced by an array (64 values, or 5): report refuses the file in
# one line (64 used to crash it, 5 to print 0).
for k in 64 5; do
    cp "$tmp/held.h5" "$tmp/array.h5"
    "$python" -c 'import h5py, numpy as np, sys
a = h5py.File(sys.argv[1], "a")["summary"].attrs
a["preq_bits"] = np.full(int(sys.argv[2]), a["preq_bits"])' "$tmp/array.h5" "$k"
    if "$MDLBENCH" report "$tmp/array.h5" >/dev/null 2>"$tmp/err"; then
        echo "FAIL: report accepted an array of $k values as preq_bits" >&2
        exit 1
    fi
    if [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -q "preq_bits holds $k values" "$tmp/err"; then
        echo "FAIL: report on an array preq_bits said: $(cat "$tmp/err")" >&2
        exit 1
    fi
done
echo "PASS test_results_python"
