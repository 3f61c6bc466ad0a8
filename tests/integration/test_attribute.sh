#!/usr/bin/env bash
# scripts/attribute.py, the counterfactual memorisation of one work: the table's numbers are
# the results files' (L(w | without) minus the mean of the copies' final bits, exactly), every
# format parses, the work is held out in the reference run and trained on in the others, a
# model that trains on w at all codes it better (memorised bits > 0), and a bad --work is one
# line and exit 1.
set -eu
: "${MDLBENCH:?set MDLBENCH to the mdlbench binary}"
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/c"
for f in GPL-3 Apache-2.0 Artistic; do head -c 6000 "/usr/share/common-licenses/$f" >"$tmp/c/$f.txt"; done
head -c 1500 /usr/share/common-licenses/BSD >"$tmp/c/w.txt"
small=(--set model.n_layer=1 --set model.d_model=32 --set model.n_head=2 --set model.d_ff=64
       --set model.ngram_buckets=512 --set train.passes=3)
"$py" "$here/../../scripts/attribute.py" --binary "$MDLBENCH" --corpus "$tmp/c" --work w.txt \
    --copies 1,2 "${small[@]}" --threads 1 -o "$tmp/out" >"$tmp/stdout"
grep -q "^work w.txt: L(w | theta_without)" "$tmp/stdout"
"$py" - "$tmp/out" <<'PY'
import csv, json, os, sys
import h5py
out = sys.argv[1]
rows = json.load(open(f"{out}/summary.json"))["rows"]
assert [r["copies"] for r in rows] == [1, 2], rows
def docs(path):
    with h5py.File(path) as f:
        d = f["documents"]
        return {os.path.basename(n): (float(q), int(h)) for n, q, h in
                zip(d["name"].asstr()[()], d["final_bits"][()], d["held_out"][()])}
ref = docs(f"{out}/without.h5")["w.txt.copy1"]
assert ref[1] == 1, "the work is held out in the reference run"
for r in rows:
    got = docs(r["results"])
    copies = [got[f"w.txt.copy{j + 1}"] for j in range(r["copies"])]
    assert all(h == 0 for _, h in copies), "the copies are trained on"
    mean = sum(q for q, _ in copies) / len(copies)
    assert r["without_bits"] == ref[0] and r["with_bits"] == mean, (r, ref, mean)
    assert r["memorised_bits"] == ref[0] - mean and r["memorised_bits"] > 0, r
    assert r["memorised_bpb"] == r["memorised_bits"] / r["bytes"], r
    assert r["bytes"] == os.path.getsize(f"{out}/../c/w.txt"), r
table = list(csv.reader(open(f"{out}/summary.csv", newline="")))
assert len(table) == 3 and float(table[2][5]) == rows[1]["memorised_bits"], table
md = [l for l in open(f"{out}/summary.md") if l.startswith("|")]
assert len(md) == 4, md
assert os.path.getsize(f"{out}/memorised.png") > 1000
print("attribute ok: memorised bits", [round(r["memorised_bits"], 1) for r in rows])
PY
if "$py" "$here/../../scripts/attribute.py" --binary "$MDLBENCH" --corpus "$tmp/c" --work nope.txt \
    -o "$tmp/bad" 2>"$tmp/err"; then
    echo "FAIL: a missing work was accepted"; exit 1
fi
[ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "^attribute.py: --work nope.txt: not a document" "$tmp/err"
