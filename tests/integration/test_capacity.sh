#!/usr/bin/env bash
# scripts/capacity.py, capacity in bits per parameter: N H comes from the generator's exact
# entropy (b bits per byte, the data checked against a count), memorised bits = N H - the
# results file's final bits exactly; on random data far beyond a tiny model's capacity it
# memorises more than 0 and less than 8 bits per parameter, on data far below it many passes
# leave under 5% of N H; every format parses; a bad --sizes is one line and exit 1.
set -eu
: "${MDLBENCH:?set MDLBENCH to the mdlbench binary}"
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tiny=(--set model.n_layer=1 --set model.d_model=16 --set model.n_head=2 --set model.d_ff=32
      --set model.ngram_order=0 --set model.context=16 --set train.segment=8 --threads 1)
cap() { "$py" "$here/../../scripts/capacity.py" --binary "$MDLBENCH" "${tiny[@]}" "$@"; }
cap --sizes 65536 --passes 2 -o "$tmp/large" >/dev/null
cap --sizes 256 --passes 300 -o "$tmp/small" >/dev/null
cap --sizes 4096 --passes 1 --bits 4 --doc-bytes 100 -o "$tmp/b4" >/dev/null
"$py" - "$tmp" <<'PY'
import csv, glob, json, os, sys
import h5py
tmp = sys.argv[1]
def check(out, n, bits, doc_bytes):
    j = json.load(open(f"{out}/summary.json"))
    (r,) = j["rows"]
    files = sorted(glob.glob(f"{out}/data-{n}/*"))
    data = b"".join(open(p, "rb").read() for p in files)
    assert len(data) == n and len(files) == -(-n // doc_bytes), (len(data), len(files))
    assert max(data) < 2 ** bits, max(data)
    with h5py.File(r["results"]) as f:
        s = f["summary"].attrs
        assert int(s["corpus_bytes"]) == n and int(s["passes"]) > 0
        final, params = float(s["final_bits"]), int(s["n_params"])
    assert r["data_bits"] == n * bits and r["final_bits"] == final and r["n_params"] == params, r
    assert r["memorised_bits"] == n * bits - final and r["bits_per_param"] == (n * bits - final) / params
    assert j["capacity"]["capacity_bits"] == r["memorised_bits"]
    with h5py.File(r["results"]) as f:  # the convergence column: L after half of the passes
        per_pass = f["passes/eval_bits"][:]
    E = len(per_pass)
    assert r["memorised_at_half"] == n * bits - per_pass[(E + 1) // 2 - 1], r
    assert r["memorised_per_pass"] == [n * bits - b for b in per_pass]
    rows = list(csv.reader(open(f"{out}/summary.csv", newline="")))
    assert len(rows) == 2 and float(rows[1][3]) == r["memorised_bits"], rows
    assert os.path.getsize(f"{out}/capacity.png") > 1000
    return r
large = check(f"{tmp}/large", 65536, 8, 64)
assert 0 < large["memorised_bits"] < 8 * large["n_params"], large
small = check(f"{tmp}/small", 256, 8, 64)
assert small["final_share"] < 0.05, small
check(f"{tmp}/b4", 4096, 4, 100)
print(f"capacity ok: {large['bits_per_param']:.3f} bits/parameter on 64 KB, "
      f"{100 * small['final_share']:.2f}% of 256 random bytes left after 300 passes")
PY
if cap --sizes 12,x -o "$tmp/bad" 2>"$tmp/err"; then echo "FAIL: bad --sizes accepted"; exit 1; fi
[ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "^capacity.py: --sizes 12,x: expected" "$tmp/err"
