#!/usr/bin/env bash
# The learner ablation: the old default learner (configs/learner/old-default.yaml), each
# change alone on top of it, all of them together (configs/default.yaml), and each taken
# out of that again; the previous default (the first retuned learner, without the n-gram
# table, trained on the prefix) beside them; trained
# online on alice29.txt, book1, Tiny Shakespeare and the Canterbury corpus; the classical
# codecs and the KT order-2 context model on the same corpora. Reads ../shared/corpora
# (or $CORPORA); writes the result files under build/learner/ and the table, the exact
# commands and the cumulative curves under results/learner/.
# Usage: scripts/learner_ablation.sh [JOBS]   (runs in parallel, one thread each; default 2)
# MDLBENCH=BINARY picks the binary (default build/mdlbench).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${1:-2}
corpora=${CORPORA:-../shared/corpora}
bin=${MDLBENCH:-./build/mdlbench}
[ -x "$bin" ] || scripts/build.sh
out=build/learner
res=results/learner
mkdir -p "$out" "$res"

declare -A corpus=(
    [alice29]="$corpora/canterbury/alice29.txt"
    [book1]="$corpora/calgary/book1"
    [shakespeare]="$corpora/tinyshakespeare/input.txt"
    [canterbury]="$corpora/canterbury"
)
# row name | corpora | config and settings (each change alone is on top of the old default);
# the new default first, so that a run cut short has the rows that matter most.
# The old default on the Canterbury corpus is left out: over 2.8 MB at its speed (about
# 1 kB/s with two runs sharing two cores) it would take most of an hour.
old="-c configs/learner/old-default.yaml"
prev="-c configs/default.yaml --set model.ngram_order=0 --set train.prefix_loss=true"
rows=(
    "new-default|alice29 book1 shakespeare canterbury|-c configs/default.yaml"
    "new-default-memory|alice29 book1|-c configs/default.yaml --set model.context=32 --set model.memory=32"
    "previous-default|alice29 book1 shakespeare canterbury|$prev"
    "old-default|alice29 book1 shakespeare|$old"
    "rope|alice29 book1|$old --set model.position=rope"
    "one-stream|alice29 book1|$old --set train.streams=1 --set model.context=64"
    "adam-online|alice29 book1|$old --set train.beta1=0 --set train.beta2=0.9999 --set train.lr=0.0003 --set train.schedule=constant"
    "prefix-loss|alice29 book1|$old --set train.prefix_loss=true"
    "lr-scales|alice29 book1|$old --set train.head_lr_scale=10 --set train.embedding_lr_scale=30"
    "memory|alice29 book1|$old --set model.position=rope --set model.context=32 --set model.memory=96"
    "ngram|alice29|$old --set model.ngram_order=6 --set model.ngram_buckets=16384"
    # each change taken out of the new default again (the old value back)
    "without-ngram|alice29 book1|-c configs/default.yaml --set model.ngram_order=0"
    "ngram-order-4|alice29|-c configs/default.yaml --set model.ngram_order=4"
    "ngram-buckets-4096|alice29|-c configs/default.yaml --set model.ngram_buckets=4096"
    "with-prefix-loss|alice29|-c configs/default.yaml --set train.prefix_loss=true"
    "without-rope|alice29|-c configs/default.yaml --set model.position=learned"
    "without-one-stream|alice29|-c configs/default.yaml --set train.streams=4"
    "without-adam-online|alice29|-c configs/default.yaml --set train.beta1=0.9 --set train.beta2=0.99"
    "without-lr-scales|alice29|-c configs/default.yaml --set train.head_lr_scale=1 --set train.embedding_lr_scale=1"
    "without-cosine|alice29|-c configs/default.yaml --set train.schedule=constant"
)

: >"$res/commands.txt"
jobs_file="$out/jobs.txt"
: >"$jobs_file"
for c in alice29 book1 shakespeare canterbury; do
    cmd="$bin baselines --corpus ${corpus[$c]} --codecs gzip:9,bzip2:9,xz:9e --orders 0,1,2 --no-documents -o $out/$c-baselines.h5"
    echo "$cmd" >>"$res/commands.txt"
    [ -f "$out/$c-baselines.h5" ] || echo "$cmd >/dev/null" >>"$jobs_file"
done
for row in "${rows[@]}"; do
    IFS='|' read -r name cs args <<<"$row"
    for c in $cs; do
        file="$out/$c-$name.h5"
        cmd="$bin run --corpus ${corpus[$c]} $args --set run.two_part=false --codecs none --orders none --threads 1 -q -o $file"
        echo "$cmd" >>"$res/commands.txt"
        # done, or being written by another invocation: not again
        [ -f "$file" ] || [ -f "$file.partial" ] || echo "$cmd >$out/$c-$name.txt" >>"$jobs_file"
    done
done
echo "$(wc -l <"$jobs_file") runs to do, $jobs at a time ($(date -u +%H:%M:%S))"
xargs -P "$jobs" -I{} bash -c '{}' <"$jobs_file"
/usr/bin/python3 scripts/learner_table.py "$out" "$res"
