#!/usr/bin/env bash
# Reproduces results/paper/capacity.md: the capacity sweeps (scripts/capacity.py) of
# configs/paper/capacity-tiny.yaml (10,720 parameters: 1,600 passes over six data sizes,
# 3,200 over the three nearest the plateau) and configs/paper/capacity-small.yaml (29,440
# parameters: 1,600 passes over three sizes). Usage: scripts/paper/capacity.sh [OUTDIR]
# (default build/paper); MDLBENCH_THREADS (default 1) threads per run; MDLBENCH (default
# build/mdlbench) the binary. About 80 minutes on one core.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-build/paper}
run() { /usr/bin/python3 scripts/capacity.py --binary "${MDLBENCH:-build/mdlbench}" \
    --threads "${MDLBENCH_THREADS:-1}" "$@"; }
run -c configs/paper/capacity-tiny.yaml --sizes 2048,3072,4096,5120,6144,8192 --passes 1600 \
    -o "$out/capacity-tiny-1600"
run -c configs/paper/capacity-tiny.yaml --sizes 4096,5120,6144 --passes 3200 -o "$out/capacity-tiny-3200"
run -c configs/paper/capacity-small.yaml --sizes 8192,12288,16384 --passes 1600 \
    -o "$out/capacity-small-1600"
echo "tables: $out/capacity-{tiny-1600,tiny-3200,small-1600}/summary.md"
