#!/usr/bin/env bash
# The reference table of results/paper/memorization.md ("Three works inside 1 MB"): the
# counterfactual memorisation of three Gutenberg works of different sizes (40, 164 and
# 237 KB) inside a corpus of eight books (1,005,800 bytes), one copy each, for two model
# sizes (configs/models/gpt-0.1M.yaml after 1 and after 3 passes, and the default learner
# after 1 pass); scripts/attribute.py once per work and setting.
# Usage: scripts/paper/memorization_reference.sh [OUTDIR] (default build/paper); GUTENBERG
# (default ../shared/corpora/gutenberg/en) holds the books; MDLBENCH (default build/mdlbench)
# the binary; MDLBENCH_THREADS (default 1).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-build/paper}
books=${GUTENBERG:-../shared/corpora/gutenberg/en}
corpus=$out/mem-ref-corpus
works="pg1080_modest_proposal pg43_jekyll_and_hyde pg219_heart_of_darkness"
mkdir -p "$corpus"
for f in $works pg1952_yellow_wallpaper pg26184_simple_sabotage pg41_legend_of_sleepy_hollow \
    pg5200_metamorphosis pg35_time_machine; do
    [ -f "$books/$f.txt" ] || { echo "memorization_reference.sh: $books/$f.txt not found (GUTENBERG)" >&2; exit 1; }
    ln -sfn "$(realpath "$books/$f.txt")" "$corpus/$f.txt"
done
# setting name, then the attribute.py options that make it
settings=("gpt-0.1M-1pass -c configs/models/gpt-0.1M.yaml --set train.passes=1"
          "gpt-0.1M-3passes -c configs/models/gpt-0.1M.yaml --set train.passes=3"
          "default-1pass --set train.passes=1")
for s in "${settings[@]}"; do
    read -r name opts <<<"$s"
    for w in $works; do
        # shellcheck disable=SC2086 # opts are words
        /usr/bin/python3 scripts/attribute.py --binary "${MDLBENCH:-build/mdlbench}" \
            --corpus "$corpus" --work "$w.txt" --copies 1 $opts \
            --set run.two_part=false --threads "${MDLBENCH_THREADS:-1}" -o "$out/mem-ref/$name/$w"
    done
done
/usr/bin/python3 scripts/paper/memorization_table.py "$out/mem-ref" >"$out/mem-ref/table.md"
echo "table: $out/mem-ref/table.md"
