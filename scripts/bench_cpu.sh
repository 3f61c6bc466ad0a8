#!/usr/bin/env bash
# CPU throughput benchmark: bytes/s and MFU of a full prequential training step for three
# sizes of the model ladder, against the sgemm rate measured in the same run. Writes
# results/perf/cpu.md (and the raw result files under build/bench/). MDLBENCH=BINARY picks
# the binary, OUT=DIR the raw files and RES=FILE the table (a before/after comparison).
# Usage: scripts/bench_cpu.sh [THREADS]   (default: all cores)
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-$(nproc)}
bin=${MDLBENCH:-./build/mdlbench}
[ -x "$bin" ] || scripts/build.sh
out=${OUT:-build/bench}
res=${RES:-results/perf/cpu.md}
mkdir -p "$out" "$(dirname "$res")"
# A fixed corpus: the licenses every Debian machine has, concatenated in sorted order.
cat /usr/share/common-licenses/* >"$out/corpus.txt"

"$bin" info --bench --threads "$threads" | tee "$out/info.txt"
# model  bytes: enough for a dozen or more full-length steps of 8 streams x 128 bytes
runs=("2M 32768" "8M 16384" "25M 12288")
files=()
for r in "${runs[@]}"; do
    set -- $r
    head -c "$2" "$out/corpus.txt" >"$out/corpus-$1.txt"
    "$bin" train --corpus "$out/corpus-$1.txt" -c "configs/models/gpt-$1.yaml" \
        --set train.streams=8 --set model.context=256 --set train.segment=128 \
        --set run.eval_final=false --threads "$threads" -q \
        -o "$out/gpt-$1.h5"
    files+=("$out/gpt-$1.h5")
done
"$bin" report "${files[@]}" --format json >"$out/report.json"

/usr/bin/env python3 - "$out/report.json" "$out/info.txt" "$threads" <<'PY' | tee "$res"
import json, sys, datetime, re
runs = json.load(open(sys.argv[1]))
info = open(sys.argv[2]).read()
cpu = re.search(r"cpu\s+cpu: (.*?) \(", info).group(1)
sgemm = re.findall(r"n = (\d+)\s+([\d.]+) GFLOP/s", info)
print(f"# CPU throughput ({datetime.date.today()}, {cpu}, {sys.argv[3]} threads)\n")
print("Command: `scripts/bench_cpu.sh`. Each run trains the ladder config on the first bytes")
print("of /usr/share/common-licenses with 8 streams x 128-byte segments and context 256 on")
print("every size (the GPU shape), no final evaluation. MFU = model FLOP/s")
print("(host/model/flops.h) / sgemm FLOP/s measured in the same run just after the model's")
print("loop (`peak_flops` in the results file).\n")
print("sgemm (`mdlbench info --bench`, before the runs): " +
      ", ".join(f"n={n}: {g} GFLOP/s" for n, g in sgemm) + "\n")
print("| model | params | d_model | bytes | bytes/s | MFLOP/byte | GFLOP/s | sgemm GFLOP/s | MFU |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in runs:
    name = re.search(r"gpt-([\d.]+M)", r["file"]).group(1)
    cfg = open(f"configs/models/gpt-{name}.yaml").read()
    d = re.search(r"d_model: (\d+)", cfg).group(1)
    print(f"| gpt-{name} | {r['n_params']/1e6:.2f}M | {d} | {r['corpus_bytes']} | "
          f"{r['bytes_per_s']:.0f} | {r['model_flops_per_byte']/1e6:.1f} | "
          f"{r['achieved_flops']/1e9:.1f} | {r['peak_flops']/1e9:.1f} | {100*r['mfu']:.1f}% |")
PY
