#!/usr/bin/env bash
# Reproduces results/paper/crossover.md: the ladder's CPU sizes (gpt-0.1M, gpt-0.5M,
# gpt-2M) and the default learner against xz -9e, bzip2 -9, zstd -19 and brotli -11 on
# prefixes of the Gutenberg set (1 KB to 1 MB). Usage: scripts/paper/crossover.sh
# [OUTDIR] (default build/paper); GUTENBERG (default ../shared/corpora/gutenberg/en);
# MDLBENCH_THREADS (default 2); SIZES overrides the prefix sizes.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-build/paper}
books=${GUTENBERG:-../shared/corpora/gutenberg/en}
[ -d "$books" ] || { echo "crossover.sh: $books not found (GUTENBERG)" >&2; exit 1; }
/usr/bin/python3 scripts/paper/crossover.py --corpus "$books" -c configs/default.yaml \
    -c configs/models/gpt-0.1M.yaml -c configs/models/gpt-0.5M.yaml \
    -c configs/models/gpt-2M.yaml --sizes "${SIZES:-1000,3000,10000,30000,100000,300000,1000000}" \
    --threads "${MDLBENCH_THREADS:-2}" -o "$out/crossover"
