#!/usr/bin/env bash
# analysis.chunk_bytes (the "Language Modeling Is Compression" protocol): the held-out
# documents are cut into chunks of C bytes, each coded alone by the final weights. Pinned
# against runs that hold out one chunk each: the chunked code of A|B|tail equals the
# held-out code of A plus that of B (no context crosses a chunk boundary, the tail of
# fewer than C bytes is left out), and a single chunk equals the held-out code itself;
# the printed rates follow from the file's numbers; without held-out documents it is
# refused in one line.
set -eu
. "$(dirname "$0")/common.sh"
mkdir ab a b
lic=/usr/share/common-licenses
head -c 20000 $lic/GPL-3 >train.txt
tail -c +21000 $lic/GPL-3 | head -c 2048 >a/a.txt # A and B differ, so a context
tail -c +26000 $lic/GPL-3 | head -c 2048 >b/b.txt # carried across would show
cat a/a.txt b/b.txt >ab/ab.txt
head -c 777 $lic/Apache-2.0 >>ab/ab.txt # the tail: fewer than C bytes, left out
args=(--set model.n_layer=1 --set model.d_model=32 --set model.n_head=2 --set model.context=64
    --set train.segment=32 --set model.ngram_buckets=2048 --set train.streams=1
    --set analysis.chunk_bytes=2048 --codecs none --threads 1 -q)

"$MDLBENCH" run --corpus train.txt --corpus ab --holdout ab.txt "${args[@]}" -o ab.h5 >ab.out
"$MDLBENCH" run --corpus train.txt --corpus a --holdout a.txt "${args[@]}" -o a.h5 >a.out
"$MDLBENCH" run --corpus train.txt --corpus b --holdout b.txt "${args[@]}" -o b.h5 >/dev/null

$py - <<'PY'
import re, h5py
s = {n: h5py.File(f"{n}.h5")["summary"].attrs for n in ("ab", "a", "b")}
def held(n):  # the held-out code length, exact, from the last pass's row
    return float(h5py.File(f"{n}.h5")["passes/heldout_bits"][-1])
ab = s["ab"]
assert ab["chunk_bytes"] == 2048 and ab["heldout_chunks"] == 2, dict(ab)
chunked = ab["heldout_chunked_bpb"] * 4096
want = held("a") + held("b")
assert abs(chunked - want) <= 1e-12 * want, (chunked, want)
# a held-out document of exactly one chunk: the chunked code is the held-out code
a = s["a"]
assert a["heldout_chunks"] == 1 and a["heldout_chunked_bpb"] == a["heldout_bpb"], dict(a)
# the rates printed: raw = bits / 8 / bytes, adjusted adds 2 bytes per parameter
line = [l for l in open("ab.out") if l.startswith("  chunked")][0]
raw, adj = map(float, re.search(r"raw rate ([\d.]+)%, adjusted rate ([\d.]+)%", line).groups())
assert f"{100 * ab['heldout_chunked_bpb'] / 8:.2f}" == f"{raw:.2f}", line
assert f"{100 * (chunked / 8 + 2 * ab['n_params']) / 4096:.2f}" == f"{adj:.2f}", line
print(f"ok   chunked {chunked:.3f} bits = A {held('a'):.3f} + B {held('b'):.3f}; {line.strip()}")
PY
"$MDLBENCH" report ab.h5 | grep -q "chunk_raw%" || { echo "FAIL: report has no chunk column"; exit 1; }

if "$MDLBENCH" run --corpus train.txt "${args[@]}" -o none.h5 2>err; then
    echo "FAIL: chunk_bytes without held-out documents was accepted"; exit 1
fi
[ "$(wc -l <err)" -eq 1 ] && grep -q "analysis.chunk_bytes (2048) .* needs held-out" err &&
    [ ! -e none.h5 ] && [ ! -e none.h5.partial ] || { echo "FAIL: message"; cat err; exit 1; }
echo "ok   refused: $(cat err)"
