#!/usr/bin/env bash
# The compressor on the GPU: compress then decompress with --device cuda in fp32 and bf16
# (the default model, 4 streams, 16 KB of text), byte for byte, and a cuda file refused by
# the CPU backend. Exits 77 (skipped) without a usable GPU; scripts/gpu_check.sh runs the
# same round trip on the GPU machine.
set -u
: "${MDLBENCH:?set MDLBENCH to the mdlbench binary}"
: "${MDL_SOURCE_DIR:?set MDL_SOURCE_DIR to the source tree}"
gpus=$("$MDLBENCH" info | sed -n 's/^  gpus *\([0-9]*\)/\1/p')
if [ "${gpus:-0}" -eq 0 ]; then
    echo "SKIP: no usable CUDA device here"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat "$MDL_SOURCE_DIR"/README.md "$MDL_SOURCE_DIR"/docs/design.md | head -c 16384 >"$tmp/in.txt"
for prec in fp32 bf16; do
    "$MDLBENCH" compress "$tmp/in.txt" --device cuda --set run.precision=$prec --set train.streams=4 \
        -q -o "$tmp/$prec.mdl" >"$tmp/$prec.log" 2>&1 || { echo "FAIL: compress $prec"; cat "$tmp/$prec.log"; exit 1; }
    "$MDLBENCH" decompress "$tmp/$prec.mdl" -q -o "$tmp/$prec.out" >>"$tmp/$prec.log" 2>&1 ||
        { echo "FAIL: decompress $prec"; cat "$tmp/$prec.log"; exit 1; }
    cmp -s "$tmp/in.txt" "$tmp/$prec.out" || { echo "FAIL: $prec round trip differs"; exit 1; }
    echo "ok   $prec: $(head -1 "$tmp/$prec.log")"
done
if "$MDLBENCH" decompress "$tmp/fp32.mdl" --device cpu -o "$tmp/cpu.out" 2>"$tmp/err"; then
    echo "FAIL: a cuda file decoded on the CPU backend"; exit 1
fi
grep -q "made with the cuda backend" "$tmp/err" || { echo "FAIL: $(cat "$tmp/err")"; exit 1; }
echo "PASS test_gpu_compress"
