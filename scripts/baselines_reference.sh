#!/usr/bin/env bash
# Reference baselines: the default codec set and context models on the Canterbury,
# Calgary and Canterbury large corpora (../shared/corpora beside the checkout), written
# to results/baselines/<corpus>.md, plus results/baselines/published.md comparing the
# per-file sizes with the figures published in ../shared/corpora/README.md.
# Usage: scripts/baselines_reference.sh [CORPORA_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
corpora=${1:-../shared/corpora}
bin=./build/mdlbench
[ -x "$bin" ] || scripts/build.sh
out=build/reference
mkdir -p "$out" results/baselines
for name in canterbury calgary canterbury_large; do
    # three timed runs on the small corpora, one on the 11 MB one (brotli -11 and
    # xz -9e run at about 1 MB/s)
    iters=3
    [ "$name" = canterbury_large ] && iters=1
    cmd=("$bin" baselines --corpus "$corpora/$name" --iterations "$iters" --min-time 0 -q
         -o "$out/$name.h5" -f markdown)
    {
        echo "# Baselines on the ${name} corpus"
        echo
        echo "$(date -u +%Y-%m-%d), $("$bin" info | sed -n 's/^  cpu *cpu: //p'), command:"
        echo
        echo "    mdlbench baselines --corpus ../shared/corpora/$name --iterations $iters --min-time 0 -f markdown"
        echo
        "${cmd[@]}"
    } >"results/baselines/$name.md"
    echo "wrote results/baselines/$name.md"
done
/usr/bin/python3 scripts/compare_published.py "$out" "$corpora" >results/baselines/published.md
cat results/baselines/published.md
