#!/usr/bin/env bash
# Fuzzes the .mdl reader and the range decoder (tests/fuzz/fuzz_container.c) with libFuzzer
# for SECONDS (default 60), from a seed corpus of small valid files made by the mdlbench
# binary given as $MDLBENCH (default build/mdlbench). Any crash, leak, undefined behaviour
# or hang (a run over 10 s) fails it; the last lines say how many inputs were run.
# Usage: scripts/fuzz.sh [SECONDS] [OUTDIR]; a longer run is a benchmark (results/compress/).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
out=${2:-build-fuzz/run}
mdlbench=${MDLBENCH:-build/mdlbench}
CC=clang cmake -S . -B build-fuzz -DMDL_FUZZ=ON -DMDL_CUDA=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    >/dev/null
cmake --build build-fuzz --target fuzz_container -j"$(nproc)" >/dev/null
rm -rf "$out" && mkdir -p "$out/seeds" "$out/corpus"
small=(--set model.n_layer=1 --set model.d_model=16 --set model.n_head=2 --set model.d_ff=32
       --set model.context=16 --set train.segment=8 --set model.ngram_buckets=256 --threads 1 -q)
printf 'a' >"$out/one"
printf 'hello, fuzzer: a few bytes of text to compress\n' >"$out/text"
mkdir -p "$out/dir/sub" && printf 'x' >"$out/dir/a" && : >"$out/dir/empty" &&
    printf 'yz' >"$out/dir/sub/b"
for input in one text dir; do
    "$mdlbench" compress "$out/$input" "${small[@]}" -o "$out/seeds/$input.mdl" >/dev/null
done
log="$out/fuzz.log"
if ! build-fuzz/fuzz_container -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$out/" "$out/corpus" "$out/seeds" >"$log" 2>&1; then
    tail -40 "$log"
    echo "fuzz_container: FAILED (reproducer in $out/)"
    exit 1
fi
grep -E "^#[0-9]+.*DONE|Done [0-9]+ runs" "$log" | tail -2
