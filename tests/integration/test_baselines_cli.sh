#!/usr/bin/env bash
# `mdlbench baselines` and the baselines inside `mdlbench run`: tables in every format,
# the results file's /baselines group through `report`, and bad --codecs / --orders
# values failing with one line and no file written.
set -eu
: "${MDLBENCH:?set MDLBENCH to the mdlbench binary}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/corpus"
head -c 20000 /usr/share/common-licenses/GPL-3 >"$tmp/corpus/a.txt"
head -c 9000 /usr/share/common-licenses/Apache-2.0 >"$tmp/corpus/b.txt"
fast=(--corpus "$tmp/corpus" --iterations 1 --min-time 0 -q)

"$MDLBENCH" baselines --help | grep -q "^usage: mdlbench baselines"
"$MDLBENCH" baselines "${fast[@]}" >"$tmp/text.txt"
head -1 "$tmp/text.txt" | grep -q "^Compressor name"
# default set: 6 codecs, orders 0-3, the entropy line, and the header
[ "$(wc -l <"$tmp/text.txt")" -eq 12 ] || { cat "$tmp/text.txt"; exit 1; }
grep -q "^zstd 1.5" "$tmp/text.txt" && grep -q "^order-2 context model" "$tmp/text.txt"

"$MDLBENCH" baselines "${fast[@]}" --codecs gzip:9,xz:9e --orders 1 -f markdown >"$tmp/md.txt"
grep -q '^| Compressor name | Compression | Decompression | Compressed size | Ratio' "$tmp/md.txt"
[ "$(grep -c '^| ' "$tmp/md.txt")" -eq 5 ]
"$MDLBENCH" baselines "${fast[@]}" --codecs bzip2:9 --orders none -f csv >"$tmp/csv.txt"
[ "$(wc -l <"$tmp/csv.txt")" -eq 3 ]
"$MDLBENCH" baselines "${fast[@]}" --codecs zstd:19,brotli:11 --orders 2 -f json -o "$tmp/b.h5" >"$tmp/b.json"
python3 - "$tmp/b.json" "$tmp" <<'PY'
import json, os, sys
rows = json.load(open(sys.argv[1]))
assert [r["codec"] for r in rows] == ["zstd", "brotli", "kt", "entropy"], rows
n = os.path.getsize(f"{sys.argv[2]}/corpus/a.txt") + os.path.getsize(f"{sys.argv[2]}/corpus/b.txt")
for r in rows:
    for k in ["name", "version", "level", "original_bytes", "compressed_bytes", "compress_mb_s",
              "decompress_mb_s", "bpb", "ratio_percent"]:
        assert k in r, (k, r)
    assert r["original_bytes"] == n and isinstance(r["compressed_bytes"], int)
    assert abs(r["bpb"] - r["compressed_bits"] / n) < 1e-12
assert rows[0]["name"].startswith("zstd 1.5") and rows[0]["level"] == "19"
assert rows[0]["compressed_bits"] == 8 * rows[0]["compressed_bytes"]
assert rows[3]["decompress_mb_s"] is None
# the adaptive order-2 code pays for learning, the entropy line does not
assert rows[2]["bpb"] > 0 and rows[3]["bpb"] < 8
PY
"$MDLBENCH" report "$tmp/b.h5" >"$tmp/report.txt"
grep -q "^brotli" "$tmp/report.txt"
"$MDLBENCH" report "$tmp/b.h5" -f json | python3 -c '
import json, sys
runs = json.load(sys.stdin)
assert len(runs) == 1 and len(runs[0]["baselines"]) == 4 and "preq_bpb" not in runs[0]'

# inside run: the same rows beside the model, in the summary and the results file
"$MDLBENCH" run --corpus "$tmp/corpus" --codecs gzip:9 --orders 0 -q \
    --set model.n_layer=1 --set model.d_model=32 --set model.n_head=2 --set model.d_ff=64 \
    --set model.context=32 --set train.segment=16 -o "$tmp/run.h5" >"$tmp/run.txt"
grep -q "baseline      gzip" "$tmp/run.txt" && grep -q "baseline      order-0 context model" "$tmp/run.txt"
"$MDLBENCH" report "$tmp/run.h5" -f json | python3 -c '
import json, sys
r = json.load(sys.stdin)[0]
assert "preq_bpb" in r and [b["codec"] for b in r["baselines"]] == ["gzip", "kt", "entropy"], r'

# bad values: one line naming the culprit and the valid choices, nothing written
check_bad() {
    local culprit=$1
    shift
    if "$MDLBENCH" "$@" -o "$tmp/bad.h5" >/dev/null 2>"$tmp/err"; then
        echo "FAIL: accepted $*"; exit 1
    fi
    [ "$(wc -l <"$tmp/err")" -eq 1 ] || { echo "FAIL: not one line:"; cat "$tmp/err"; exit 1; }
    grep -qF -- "$culprit" "$tmp/err" || { echo "FAIL: '$culprit' not named:"; cat "$tmp/err"; exit 1; }
    [ ! -e "$tmp/bad.h5" ] && [ ! -e "$tmp/bad.h5.partial" ] || { echo "FAIL: file written"; exit 1; }
    echo "ok   $(cat "$tmp/err")"
}
check_bad "lz4" baselines "${fast[@]}" --codecs gzip:9,lz4:1
check_bad "gzip, bzip2, xz, zstd, brotli" baselines "${fast[@]}" --codecs lz4:1
check_bad "gzip:12" baselines "${fast[@]}" --codecs gzip:12
check_bad "--orders" baselines "${fast[@]}" --orders 1,x
check_bad "lz4" run --corpus "$tmp/corpus" --codecs lz4:1 -q
check_bad "--codecs" train --corpus "$tmp/corpus" --codecs gzip:9 -q
echo "baselines cli ok"
