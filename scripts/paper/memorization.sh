#!/usr/bin/env bash
# Reproduces results/paper/memorization.md: the counterfactual memorisation of A Modest
# Proposal (Gutenberg pg1080) inside four other books, in 1, 2, 4 and 8 copies, with the
# default learner (scripts/attribute.py). Usage: scripts/paper/memorization.sh [OUTDIR]
# (default build/paper); GUTENBERG (default ../shared/corpora/gutenberg/en) holds the
# books; MDLBENCH_THREADS (default 1).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-build/paper}
books=${GUTENBERG:-../shared/corpora/gutenberg/en}
corpus=$out/mem-corpus
mkdir -p "$corpus"
for f in pg1080_modest_proposal pg1952_yellow_wallpaper pg26184_simple_sabotage \
    pg41_legend_of_sleepy_hollow pg5200_metamorphosis; do
    [ -f "$books/$f.txt" ] || { echo "memorization.sh: $books/$f.txt not found (GUTENBERG)" >&2; exit 1; }
    ln -sfn "$(realpath "$books/$f.txt")" "$corpus/$f.txt"
done
/usr/bin/python3 scripts/attribute.py --corpus "$corpus" --work pg1080_modest_proposal.txt \
    --copies 1,2,4,8 --threads "${MDLBENCH_THREADS:-1}" -o "$out/mem-default"
echo "table: $out/mem-default/summary.md"
