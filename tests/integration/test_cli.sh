#!/usr/bin/env bash
# The command line: --help everywhere, info, train, and report in every format.
set -eu
: "${MDLBENCH:?set MDLBENCH to the mdlbench binary}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for cmd in run train baselines report info; do
    "$MDLBENCH" "$cmd" --help >"$tmp/help.txt"
    grep -q "^usage: mdlbench $cmd" "$tmp/help.txt" || { echo "FAIL $cmd --help"; exit 1; }
done
"$MDLBENCH" --help | grep -q "^usage: mdlbench COMMAND"
"$MDLBENCH" --version | grep -q "^mdlbench "
if "$MDLBENCH" frobnicate 2>"$tmp/err"; then echo "FAIL unknown command accepted"; exit 1; fi
grep -q "unknown command 'frobnicate'" "$tmp/err"

"$MDLBENCH" info >"$tmp/info.txt"
grep -q "openblas" "$tmp/info.txt"
grep -q "hdf5         1\." "$tmp/info.txt"
# the backends line tells the truth: cuda listed exactly when the build has it
if grep -q "cuda         none" "$tmp/info.txt"; then
    grep -q "backends     cpu (built without CUDA)" "$tmp/info.txt"
else
    grep -q "backends     cpu, cuda-fp32, cuda-bf16" "$tmp/info.txt"
fi

# a small training run, twice under different names for a two-row report
head -c 3000 /usr/share/common-licenses/GPL-3 >"$tmp/gpl.txt"
small=(--set model.n_layer=1 --set model.d_model=32 --set model.n_head=2 --set model.d_ff=64
       --set model.context=32 --set train.segment=16 --set train.streams=4 -q)
"$MDLBENCH" train --corpus "$tmp/gpl.txt" "${small[@]}" -o "$tmp/a.h5" >"$tmp/train.txt"
grep -q "bits/byte prequential" "$tmp/train.txt"
[ -f "$tmp/a.h5" ] && [ ! -e "$tmp/a.h5.partial" ]
# without the final evaluation the line says so and prints no NaN
"$MDLBENCH" train --corpus "$tmp/gpl.txt" "${small[@]}" --set run.eval_final=false \
    --set run.two_part=false -o "$tmp/nofinal.h5" >"$tmp/nofinal.txt"
grep -q "prequential, final not measured, " "$tmp/nofinal.txt"
if grep -qi "nan" "$tmp/nofinal.txt"; then echo "FAIL: NaN printed"; exit 1; fi
"$MDLBENCH" run --corpus "$tmp/gpl.txt" "${small[@]}" --threads 1 --codecs none --orders none \
    -o "$tmp/b.h5" >"$tmp/run.txt"
grep -q "^mdlbench summary" "$tmp/run.txt"
grep -q "first step    8.000000 bits/byte" "$tmp/run.txt"

"$MDLBENCH" report "$tmp/a.h5" "$tmp/b.h5" >"$tmp/text.txt"
[ "$(wc -l <"$tmp/text.txt")" -eq 3 ]
"$MDLBENCH" report "$tmp/a.h5" "$tmp/b.h5" --format markdown >"$tmp/md.txt"
[ "$(wc -l <"$tmp/md.txt")" -eq 4 ] && grep -q '^|---' "$tmp/md.txt"
"$MDLBENCH" report "$tmp/a.h5" "$tmp/b.h5" --format csv >"$tmp/csv.txt"
[ "$(wc -l <"$tmp/csv.txt")" -eq 3 ] && head -1 "$tmp/csv.txt" | grep -q '^file,corpus_bytes,'
"$MDLBENCH" report "$tmp/a.h5" "$tmp/b.h5" --format json >"$tmp/json.txt"
python3 - "$tmp/json.txt" <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))
assert len(runs) == 2
for r in runs:
    assert r["corpus_bytes"] == 3000 and r["n_documents"] == 1, r
    assert abs(r["first_step_bpb"] - 8) < 1e-6
    assert "threads" in r and r["device"].startswith("cpu")
assert runs[1]["threads"] == 1
PY
# the per-work table: every document, sorted as asked
mkdir "$tmp/two"
head -c 2000 /usr/share/common-licenses/Apache-2.0 >"$tmp/two/apache.txt"
head -c 1000 /usr/share/common-licenses/BSD >"$tmp/two/bsd.txt"
"$MDLBENCH" train --corpus "$tmp/two" "${small[@]}" -o "$tmp/docs.h5" >/dev/null
"$MDLBENCH" report "$tmp/docs.h5" --documents >"$tmp/docs.txt"
[ "$(wc -l <"$tmp/docs.txt")" -eq 4 ] && sed -n 3p "$tmp/docs.txt" | grep -q "^apache.txt"
"$MDLBENCH" report "$tmp/docs.h5" --documents --sort bytes -f csv | sed -n 2p | grep -q "apache.txt"
"$MDLBENCH" report "$tmp/docs.h5" --documents --sort name -f json | python3 -c '
import json, sys
d = json.load(sys.stdin)[0]["documents"]
assert [x["name"].rsplit("/", 1)[1] for x in d] == ["apache.txt", "bsd.txt"], d
assert [x["bytes"] for x in d] == [2000, 1000]
assert all(abs(x["preq_bpb"] - x["preq_bits"] / x["bytes"]) < 1e-12 for x in d)'
# documents are named as the --corpus argument led to them (relative stays relative), the
# resolved path kept beside; a held-out document has no prequential bits ("-", empty, null)
ln -s "$tmp/two/bsd.txt" "$tmp/two-link.txt"
(cd "$tmp" && "$MDLBENCH" train --corpus two/ --corpus ./two-link.txt "${small[@]}" \
    --holdout 'two/bsd*' -o held.h5 >/dev/null)
/usr/bin/python3 - "$tmp" <<'PY'
import h5py, os, sys
tmp = os.path.realpath(sys.argv[1])
with h5py.File(os.path.join(tmp, "held.h5")) as f:
    names = [x.decode() for x in f["documents/name"][()]]
    resolved = [x.decode() for x in f["documents/resolved"][()]]
# the link resolves to bsd.txt, already listed: kept once, at its first place
assert names == ["two/apache.txt", "two/bsd.txt"], names
assert resolved == [f"{tmp}/two/apache.txt", f"{tmp}/two/bsd.txt"], resolved
PY
"$MDLBENCH" report "$tmp/held.h5" --documents --sort name >"$tmp/held.txt"
sed -n 4p "$tmp/held.txt" | grep -Eq "^bsd.txt +1000 +- +- +[0-9]"
"$MDLBENCH" report "$tmp/held.h5" --documents --sort name -f csv | sed -n 3p |
    grep -Eq "^[^,]*held.h5,two/bsd.txt,1000,1,,,[0-9.]+,[0-9.]+$"
"$MDLBENCH" report "$tmp/held.h5" --documents --sort name -f markdown |
    grep -Eq "^\| two/bsd.txt \| 1000 \| yes \| - \| - \| [0-9.]+ \| [0-9.]+ \|$"
"$MDLBENCH" report "$tmp/held.h5" --documents --sort name -f json | python3 -c '
import json, sys
d = json.load(sys.stdin)[0]["documents"]
assert [x["held_out"] for x in d] == [False, True], d
assert d[1]["preq_bits"] is None and d[1]["preq_bpb"] is None and d[1]["final_bits"] > 0, d
assert d[0]["preq_bits"] > 0, d'
if "$MDLBENCH" report "$tmp/docs.h5" --documents --sort size 2>"$tmp/err"; then
    echo "FAIL bad --sort accepted"; exit 1
fi
grep -q "^mdlbench: --sort size: expected" "$tmp/err"

# report --passes: one row per pass, pass 1 = the prequential code; exclusive with --documents
"$MDLBENCH" train --corpus "$tmp/gpl.txt" "${small[@]}" --set train.passes=3 \
    --set analysis.extract_samples=8 -o "$tmp/passes.h5" >/dev/null
"$MDLBENCH" report "$tmp/passes.h5" --passes >"$tmp/passes.txt"
[ "$(wc -l <"$tmp/passes.txt")" -eq 5 ] && sed -n 3p "$tmp/passes.txt" | grep -q "^ *1 "
"$MDLBENCH" report "$tmp/passes.h5" "$tmp/a.h5" --passes -f json | python3 -c '
import json, sys
p, a = json.load(sys.stdin)
assert [r["pass"] for r in p["passes"]] == [1, 2, 3] and len(a["passes"]) == 1, (p, a)
assert abs(p["passes"][0]["train_bpb"] * p["bytes"] - p["passes"][0]["train_bits"]) < 1e-6'
"$MDLBENCH" report "$tmp/passes.h5" -f json | python3 -c '
import json, sys
r = json.load(sys.stdin)[0]
assert r["passes"] == 3 and r["trained_extract_samples"] == 8, r
assert r["heldout_extract_samples"] == 0 and r["heldout_exact_rate"] is None, r'
"$MDLBENCH" report "$tmp/passes.h5" -f csv | head -1 | grep -q ',passes,trained_exact_percent,'
"$MDLBENCH" report "$tmp/passes.h5" --documents -f csv | head -1 | grep -q ',extract_samples,extract_exact$'
if "$MDLBENCH" report "$tmp/passes.h5" --passes --documents 2>"$tmp/err"; then
    echo "FAIL --passes with --documents accepted"; exit 1
fi
[ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "^mdlbench: report: --passes and --documents" "$tmp/err"

# report errors: one line, naming the file
if "$MDLBENCH" report "$tmp/missing.h5" 2>"$tmp/err"; then echo "FAIL missing file"; exit 1; fi
[ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "missing.h5" "$tmp/err"
if "$MDLBENCH" report "$tmp/gpl.txt" 2>"$tmp/err"; then echo "FAIL non-HDF5 file"; exit 1; fi
[ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "gpl.txt" "$tmp/err"
if "$MDLBENCH" report "$tmp/a.h5" --format yaml 2>"$tmp/err"; then echo "FAIL bad format"; exit 1; fi
grep -q "yaml" "$tmp/err"
echo "cli ok"
