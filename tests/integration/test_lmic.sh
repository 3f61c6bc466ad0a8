#!/usr/bin/env bash
# scripts/paper/lmic.py, Deletang et al.'s chunked protocol, on a shrunken model: the
# model row's rates are the results file's (raw = chunked bits / 8 / bytes, adjusted + 2
# bytes per parameter), the LZMA row equals xz -6 (the same liblzma, another program) on
# each 2048-byte chunk with one xz header counted, the gzip row zlib's gzip stream at
# level 9 likewise; a bad --models is refused in one line.
set -eu
. "$(dirname "$0")/common.sh"
command -v xz >/dev/null || { echo "SKIP: xz not installed"; exit 77; }
mkdir corpus
lic=/usr/share/common-licenses
head -c 30000 $lic/GPL-2 >corpus/train.txt
head -c 9000 $lic/GPL-3 >corpus/held.txt # four chunks and a tail of 808 bytes
small=(--set model.n_layer=1 --set model.d_model=32 --set model.n_head=2 --set model.d_ff=64
    --set model.context=64 --set train.segment=32 --set train.streams=2 --set train.passes=1)
$py "$MDL_SOURCE_DIR/scripts/paper/lmic.py" --mdlbench "$MDLBENCH" --corpus corpus \
    --holdout held.txt --models 200K "${small[@]}" --threads 1 -o out 2>err >table ||
    { echo "FAIL: lmic.py"; cat err; exit 1; }
cat table
for c in 0 1 2 3; do # xz on each chunk, by itself
    tail -c +$((c * 2048 + 1)) corpus/held.txt | head -c 2048 | xz -6 -c | wc -c
done >xz_sizes
printf '\0' | xz -6 -c | wc -c >xz_header

$py - <<'PY'
import json, zlib, h5py
rows = {r["name"]: r for r in json.load(open("out/lmic.json"))["rows"]}
m, lz, gz = rows["mdlbench 200K"], rows["lzma"], rows["gzip"]
s = h5py.File("out/lmic-200K.h5")["summary"].attrs
bits = s["heldout_chunked_bpb"] * 4 * 2048
assert m["chunks"] == 4 and m["raw_bytes"] == 8192, m
assert abs(m["raw_percent"] - 100 * bits / 8 / 8192) < 1e-9, m
assert abs(m["adjusted_percent"] - 100 * (bits / 8 + 2 * s["n_params"]) / 8192) < 1e-9, m
xz = [int(l) for l in open("xz_sizes")]
header = int(open("xz_header").read())
assert lz["coded_bytes"] == sum(xz) - 3 * header, (lz, xz, header)
data = open("corpus/held.txt", "rb").read()
def gzip9(b):
    z = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: the gzip wrapper
    return z.compress(b) + z.flush()
want = sum(len(gzip9(data[i * 2048:(i + 1) * 2048])) for i in range(4)) - 3 * len(gzip9(b"\0"))
assert gz["coded_bytes"] == want, (gz, want)
assert abs(gz["raw_percent"] - 100 * want / 8192) < 1e-9
table = open("out/lmic.md").read()
assert f"| {m['raw_percent']:.2f} | {m['adjusted_percent']:.2f} | 30.9 |" in table, table
print(f"ok   model {m['raw_percent']:.2f}% raw; lzma {lz['coded_bytes']} bytes = xz "
      f"{sum(xz)} - 3 x {header}; gzip {want} bytes")
PY

if $py "$MDL_SOURCE_DIR/scripts/paper/lmic.py" --corpus corpus --holdout held.txt \
    --models 5M -o bad 2>err; then echo "FAIL: --models 5M accepted"; exit 1; fi
grep -q "unknown model '5M'" err || { echo "FAIL: message"; cat err; exit 1; }
echo "ok   refused: $(tail -1 err)"
