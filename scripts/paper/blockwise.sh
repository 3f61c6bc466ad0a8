#!/usr/bin/env bash
# Reproduces results/paper/blockwise.md: the block-wise and online codes of the default
# learner (configs/paper/blockwise.yaml) on alice29.txt and book1 (Canterbury, Calgary).
# Usage: scripts/paper/blockwise.sh [OUTDIR] (default build/paper); CORPORA (default
# ../shared/corpora) holds the corpora; MDLBENCH_THREADS (default 2).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-build/paper}
corpora=${CORPORA:-../shared/corpora}
for f in canterbury/alice29.txt calgary/book1; do
    [ -f "$corpora/$f" ] || { echo "blockwise.sh: $corpora/$f not found (CORPORA)" >&2; exit 1; }
    /usr/bin/python3 scripts/paper/blockwise.py --corpus "$corpora/$f" \
        -c configs/paper/blockwise.yaml --passes 4 --threads "${MDLBENCH_THREADS:-2}" \
        -o "$out/blockwise-$(basename "$f" .txt)"
done
