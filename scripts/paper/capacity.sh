#!/usr/bin/env bash
# Reproduces results/paper/capacity.md: the capacity sweeps of configs/paper/capacity-tiny.yaml
# (scripts/capacity.py) at 100 passes over six data sizes and 400 passes over the two
# sizes nearest the plateau. Usage: scripts/paper/capacity.sh [OUTDIR] (default
# build/paper); MDLBENCH_THREADS (default 1) threads per run. About 40 minutes on one core.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-build/paper}
threads=${MDLBENCH_THREADS:-1}
cfg=configs/paper/capacity-tiny.yaml
/usr/bin/python3 scripts/capacity.py -c $cfg --sizes 1024,2048,4096,8192,16384,32768 \
    --passes 100 --threads "$threads" -o "$out/capacity-tiny"
/usr/bin/python3 scripts/capacity.py -c $cfg --sizes 8192,16384 --passes 400 \
    --threads "$threads" -o "$out/capacity-tiny-400"
echo "tables: $out/capacity-tiny/summary.md, $out/capacity-tiny-400/summary.md"
