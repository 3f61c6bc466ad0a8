#!/usr/bin/env bash
# scripts/paper/crossover.py on three prefixes of /usr/share/common-licenses with a tiny
# model: the prefixes are the first bytes of mdlbench's document order (names sorted
# bytewise), each model cell is its results file's preq_bpb, the xz cell equals xz -9e's
# output size, and the crossing rule (first measured size, else the extrapolated meeting of
# the last two points' lines in log bytes, else none) gives known answers on made-up data.
set -eu
. "$(dirname "$0")/common.sh"
command -v xz >/dev/null || { echo "SKIP: xz not installed"; exit 77; }
cat >tiny.yaml <<'YAML'
model: {n_layer: 1, d_model: 32, n_head: 2, d_ff: 64, context: 64, ngram_buckets: 1024}
train: {segment: 32}
YAML
lic=/usr/share/common-licenses
$py "$MDL_SOURCE_DIR/scripts/paper/crossover.py" --mdlbench "$MDLBENCH" --corpus $lic \
    -c tiny.yaml --sizes 2000,8000,20000 --threads 1 -o out >table 2>err ||
    { echo "FAIL: crossover.py"; cat err; exit 1; }
cat table
(cd $lic && LC_ALL=C ls | while read -r f; do [ -f "$f" ] && cat "$f"; done) | head -c 20000 >want
cmp want out/prefix-20000.bin || { echo "FAIL: the prefix is not the corpus's first bytes"; exit 1; }
xz20=$(xz -9e -c out/prefix-20000.bin | wc -c)

$py - "$xz20" "$MDL_SOURCE_DIR/scripts/paper" <<'PY'
import json, sys, h5py
xz20 = int(sys.argv[1])
sys.path.insert(0, sys.argv[2])
import crossover
j = json.load(open("out/crossover.json"))
assert j["sizes"] == [2000, 8000, 20000]
for i, s in enumerate(j["sizes"]):
    want = h5py.File(f"out/tiny-{s}.h5")["summary"].attrs["preq_bpb"]
    assert j["models"]["tiny"][i] == want, (s, j["models"]["tiny"][i], want)
assert j["codecs"]["xz -9e"][2] == 8 * xz20 / 20000, (j["codecs"]["xz -9e"], xz20)
# the rule: measured; extrapolated (lines 6 - x and 4 - x/2 in x = ln bytes meet at x = 4,
# e^4 bytes, beyond the data at 1 and 10 bytes); diverging lines: none
assert crossover.crossing([10, 100], [6.0, 3.0], [5.0, 4.0]) == (100, True)
l10 = 2.302585092994046
s, measured = crossover.crossing([1, 10], [6.0, 6.0 - l10], [4.0, 4.0 - l10 / 2])
assert not measured and abs(s - 54.598150033144236) < 1e-9, s
assert crossover.crossing([1, 10], [6.0, 5.5], [4.0, 3.0]) == (None, False)
print(f"ok   cells are the results files'; xz -9e {xz20} bytes; the crossing rule holds")
PY
