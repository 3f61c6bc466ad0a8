#!/usr/bin/env bash
# Fuzzes every reader of untrusted input with libFuzzer (clang, ASan, UBSan; tests/fuzz/):
# fuzz_container (the .mdl reader, the configuration in its header, the range decoder),
# fuzz_config (the YAML configuration loader) and, with FUZZ_H5=1, fuzz_h5 (the
# results-file readers of `report` and the checkpoint reader: it finds hangs inside HDF5
# 1.10 itself within seconds, results/reliability.md, so the test suite leaves it out),
# SECONDS in all (default 60, split evenly), each from
# a seed corpus of small valid inputs made by the mdlbench binary $MDLBENCH (default
# build/mdlbench) and the configs/. Any crash, leak, undefined behaviour or hang (one input
# over 10 s) fails the run and leaves the reproducer in OUTDIR; the last lines give each
# harness's runs. A longer run is a benchmark (results/reliability.md).
# Usage: scripts/fuzz.sh [SECONDS] [OUTDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
out=${2:-build-fuzz/run}
mdlbench=${MDLBENCH:-build/mdlbench}
harnesses=(container config)
[ "${FUZZ_H5:-0}" = 1 ] && harnesses+=(h5)
CC=clang cmake -S . -B build-fuzz -DMDL_FUZZ=ON -DMDL_CUDA=OFF -DMDL_MPI=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz --target "${harnesses[@]/#/fuzz_}" -j"$(nproc)" >/dev/null
rm -rf "$out" && mkdir -p "$out"
for h in container config h5; do mkdir -p "$out/$h/seeds" "$out/$h/corpus"; done
small=(--set model.n_layer=1 --set model.d_model=16 --set model.n_head=2 --set model.d_ff=32
       --set model.context=16 --set train.segment=8 --set model.ngram_buckets=64 --threads 1 -q)
printf 'a' >"$out/one"
printf 'hello, fuzzer: a few bytes of text to compress\n' >"$out/text"
mkdir -p "$out/dir/sub" && printf 'x' >"$out/dir/a" && : >"$out/dir/empty" &&
    printf 'yz' >"$out/dir/sub/b"
for input in one text dir; do
    "$mdlbench" compress "$out/$input" "${small[@]}" -o "$out/container/seeds/$input.mdl" >/dev/null
done
find configs -name '*.yaml' -exec cp {} "$out/config/seeds/" \;
"$mdlbench" train --corpus "$out/text" "${small[@]}" --set run.two_part=false \
    -o "$out/h5/seeds/results.h5" >/dev/null
"$mdlbench" init-weights --set model.n_layer=1 --set model.d_model=16 --set model.n_head=2 \
    --set model.d_ff=32 --set model.context=16 --set train.segment=8 --set model.ngram_buckets=64 \
    -o "$out/h5/seeds/init.ckpt" >/dev/null
each=$((seconds / ${#harnesses[@]}))
[ "$each" -ge 1 ] || each=1
for h in "${harnesses[@]}"; do
    log="$out/$h/fuzz.log"
    if ! build-fuzz/fuzz_$h -max_total_time="$each" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$out/$h/" "$out/$h/corpus" "$out/$h/seeds" >"$log" 2>&1; then
        tail -40 "$log"
        echo "fuzz_$h: FAILED (reproducer in $out/$h/)"
        exit 1
    fi
    echo "fuzz_$h: $(grep -E '^Done [0-9]+ runs' "$log" | tail -1), no crash, leak or hang"
done
