#!/usr/bin/env bash
# Bad input: each case must fail with exactly one line on stderr naming the culprit, a
# non-zero exit, no results file (or .partial) left behind, and an existing results file
# from an earlier run untouched.
set -u
: "${MDLBENCH:?set MDLBENCH to the mdlbench binary}"
tmp=$(mktemp -d)
chmod 755 "$tmp"
trap 'umount "$tmp/full" "$tmp/ro" 2>/dev/null; rm -rf "$tmp"' EXIT
failures=0

printf 'hello, world: a small corpus for error tests\n' >"$tmp/ok.txt"
: >"$tmp/empty.txt"
mkdir -p "$tmp/nofiles/inner"
printf 'tiny' >"$tmp/tiny.txt"
printf 'secret text\n' >"$tmp/unreadable.txt"
chmod 000 "$tmp/unreadable.txt"
printf 'model:\n  n_layer: 2\n  n_layers: 3\n' >"$tmp/unknown_key.yaml"
printf 'train:\n  lr: 0.001\n  streams: many\n' >"$tmp/wrong_type.yaml"
small=(--set model.n_layer=1 --set model.d_model=16 --set model.n_head=2 --set model.d_ff=32
       --set model.context=16 --set train.segment=8 --set train.streams=2 -q)

# expect_failure NAME CULPRIT ARGS...: runs `mdlbench run ARGS -o $tmp/NAME.h5`
expect_failure() {
    local name=$1 culprit=$2
    shift 2
    local out="$tmp/$name.h5"
    "$MDLBENCH" run "$@" -o "$out" >"$tmp/stdout" 2>"$tmp/stderr"
    check_failure "$name" "$culprit" $? "$out"
}

check_failure() {
    local name=$1 culprit=$2 rc=$3 out=$4
    local lines
    lines=$(wc -l <"$tmp/stderr")
    if [ "$rc" -eq 0 ]; then
        echo "FAIL $name: exit status 0"; failures=$((failures + 1)); return
    fi
    if [ "$lines" -ne 1 ]; then
        echo "FAIL $name: expected one line on stderr, got $lines:"; cat "$tmp/stderr"
        failures=$((failures + 1)); return
    fi
    if ! grep -qF -- "$culprit" "$tmp/stderr"; then
        echo "FAIL $name: message does not name '$culprit': $(cat "$tmp/stderr")"
        failures=$((failures + 1)); return
    fi
    if [ -e "$out" ] || [ -e "$out.partial" ]; then
        echo "FAIL $name: output file left behind"; failures=$((failures + 1)); return
    fi
    echo "ok   $name: $(cat "$tmp/stderr")"
}

expect_failure missing_corpus "$tmp/no/such/file" --corpus "$tmp/no/such/file" "${small[@]}"
expect_failure empty_file "$tmp/empty.txt" --corpus "$tmp/empty.txt" "${small[@]}"
expect_failure no_files "$tmp/nofiles" --corpus "$tmp/nofiles" "${small[@]}"
expect_failure unknown_key "unknown_key.yaml:3" --corpus "$tmp/ok.txt" -c "$tmp/unknown_key.yaml" "${small[@]}"
expect_failure wrong_type "wrong_type.yaml:3" --corpus "$tmp/ok.txt" -c "$tmp/wrong_type.yaml" "${small[@]}"
expect_failure unknown_set "model.depth" --corpus "$tmp/ok.txt" "${small[@]}" --set model.depth=3
expect_failure bad_set_value "model.n_layer" --corpus "$tmp/ok.txt" "${small[@]}" --set model.n_layer=two
# the host memory is estimated before allocating (per-pass tables: 4e9 passes need ~240 GiB)
expect_failure host_memory "GiB of host memory" --corpus "$tmp/ok.txt" "${small[@]}" --set train.passes=4000000000
expect_failure head_divides "n_head" --corpus "$tmp/ok.txt" "${small[@]}" --set model.n_head=3
expect_failure segment_context "train.segment" --corpus "$tmp/ok.txt" "${small[@]}" --set train.segment=32
expect_failure zero_streams "train.streams" --corpus "$tmp/ok.txt" "${small[@]}" --set train.streams=0
expect_failure more_streams "train.streams" --corpus "$tmp/tiny.txt" "${small[@]}" --set train.streams=8
expect_failure missing_config "$tmp/none.yaml" --corpus "$tmp/ok.txt" -c "$tmp/none.yaml"
expect_failure bad_device "--device" --corpus "$tmp/ok.txt" "${small[@]}" --device tpu

# unwritable output path: a directory that does not exist
"$MDLBENCH" run --corpus "$tmp/ok.txt" "${small[@]}" -o "$tmp/no-dir/out.h5" >"$tmp/stdout" 2>"$tmp/stderr"
check_failure unwritable_output "$tmp/no-dir/out.h5" $? "$tmp/no-dir/out.h5"

# unreadable file: root reads anything, so run as nobody when we are root
if [ "$(id -u)" -eq 0 ]; then
    as_other=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    chmod 777 "$tmp"
else
    as_other=()
fi
"${as_other[@]}" "$MDLBENCH" run --corpus "$tmp/unreadable.txt" "${small[@]}" -o "$tmp/unreadable.h5" \
    >"$tmp/stdout" 2>"$tmp/stderr"
check_failure unreadable_file "$tmp/unreadable.txt" $? "$tmp/unreadable.h5"

# outputs that would replace an input or something that is not a file: refused before any
# work, with the input (or the FIFO standing in for a device node) left as it was
expect_untouched() { # NAME CULPRIT FILE COMMAND...: the command fails cleanly, FILE unchanged
    local name=$1 culprit=$2 file=$3
    shift 3
    local before
    before=$(ls -ld "$file"; [ -f "$file" ] && sha256sum <"$file")
    "$MDLBENCH" "$@" >"$tmp/stdout" 2>"$tmp/stderr"
    local rc=$?
    if [ "$before" != "$(ls -ld "$file"; [ -f "$file" ] && sha256sum <"$file")" ]; then
        echo "FAIL $name: $file was changed"; failures=$((failures + 1)); return
    fi
    check_failure "$name" "$culprit" $rc "$tmp/none-expected.h5"
}
mkdir -p "$tmp/cdir"
cp "$tmp/ok.txt" "$tmp/cdir/a.txt"
printf 'model:\n  n_layer: 1\n' >"$tmp/my.yaml"
mkfifo "$tmp/fifo"
expect_untouched output_is_corpus "is an input" "$tmp/ok.txt" \
    run --corpus "$tmp/ok.txt" "${small[@]}" -o "$tmp/ok.txt"
expect_untouched output_is_config "is an input" "$tmp/my.yaml" \
    run --corpus "$tmp/ok.txt" -c "$tmp/my.yaml" "${small[@]}" -o "$tmp/my.yaml"
expect_untouched output_in_corpus_dir "inside the corpus directory" "$tmp/cdir" \
    run --corpus "$tmp/cdir" "${small[@]}" -o "$tmp/cdir/out.h5"
expect_untouched output_not_file "not a regular file" "$tmp/fifo" \
    run --corpus "$tmp/ok.txt" "${small[@]}" -o "$tmp/fifo"
printf 'a file' >"$tmp/ckfile"
expect_untouched checkpoint_dir_is_file "not a directory" "$tmp/ckfile" \
    run --corpus "$tmp/ok.txt" "${small[@]}" --checkpoint-dir "$tmp/ckfile" -o "$tmp/ck.h5"
expect_untouched baselines_output_is_corpus "$tmp/cdir" "$tmp/cdir/a.txt" \
    baselines --corpus "$tmp/cdir" --codecs gzip:9 --orders 0 -o "$tmp/cdir/a.txt"
expect_untouched init_output_is_config "is an input" "$tmp/my.yaml" \
    init-weights -c "$tmp/my.yaml" -o "$tmp/my.yaml"
[ -e "$tmp/ck.h5" ] && { echo "FAIL checkpoint_dir_is_file: results left"; failures=$((failures + 1)); }

# a corpus file truncated while the run reads it (its mapped pages are gone: SIGBUS) stops
# the run with one line naming the file; the steps before stay in the .partial
head -c 8000000 /dev/urandom | base64 >"$tmp/shrinking.txt"
"$MDLBENCH" train --corpus "$tmp/shrinking.txt" "${small[@]}" --set train.streams=1 --threads 1 \
    -o "$tmp/shrinking.h5" >"$tmp/stdout" 2>"$tmp/stderr" &
pid=$!
for _ in $(seq 1 200); do [ -e "$tmp/shrinking.h5.partial" ] && break; sleep 0.1; done
sleep 0.5
truncate -s 0 "$tmp/shrinking.txt"
wait $pid
rc=$?
if [ "$rc" -eq 0 ] || [ "$(wc -l <"$tmp/stderr")" -ne 1 ] ||
    ! grep -q "shrinking.txt: the file changed" "$tmp/stderr" || [ -e "$tmp/shrinking.h5" ] ||
    ! grep -aq "corpus changed" "$tmp/shrinking.h5.partial" 2>/dev/null; then
    echo "FAIL corpus_truncated: exit $rc: $(cat "$tmp/stderr" "$tmp/stdout")"; failures=$((failures + 1))
else
    echo "ok   corpus_truncated: $(cat "$tmp/stderr")"
fi

# a full disk: the write error is one line and the process exits cleanly (HDF5 used to
# crash at exit after a failed flush), for the results file and the checkpoint directory.
# Needs a small tmpfs: as root where mounting is allowed, else skipped (said below).
full="$tmp/full"
mkdir -p "$full"
if mount -t tmpfs -o size=300k tmpfs "$full" 2>/dev/null; then
    head -c 600000 /dev/urandom | base64 >"$tmp/bulky.txt"
    "$MDLBENCH" train --corpus "$tmp/bulky.txt" "${small[@]}" --set train.streams=1 -o "$full/r.h5" \
        >"$tmp/stdout" 2>"$tmp/stderr"
    check_failure disk_full_results "No space left on device" $? "$full/r.h5"
    rm -rf "${full:?}"/*
    "$MDLBENCH" train --corpus "$tmp/ok.txt" "${small[@]}" --set run.checkpoint_every=1 \
        --checkpoint-dir "$full/ck" -o "$tmp/ck.h5" >"$tmp/stdout" 2>"$tmp/stderr"
    check_failure disk_full_checkpoint "No space left on device" $? "$tmp/ck.h5"
    umount "$full"
else
    echo "skip disk_full: cannot mount a small tmpfs here (needs root)"
fi

# an output in a read-only directory is refused before any work, not at the end of the run
ro="$tmp/ro"
mkdir -p "$ro"
if mount -t tmpfs -o ro,size=64k tmpfs "$ro" 2>/dev/null; then
    expect_failure_at() { # NAME CULPRIT OUT ARGS...: like expect_failure with -o OUT
        local name=$1 culprit=$2 out=$3
        shift 3
        "$MDLBENCH" run "$@" -o "$out" >"$tmp/stdout" 2>"$tmp/stderr"
        check_failure "$name" "$culprit" $? "$out"
    }
    expect_failure_at readonly_output "cannot write in directory" "$ro/r.h5" --corpus "$tmp/ok.txt" "${small[@]}"
    expect_failure readonly_checkpoint_dir "cannot write in directory" --corpus "$tmp/ok.txt" \
        "${small[@]}" --checkpoint-dir "$ro/ck"
    umount "$ro"
else
    echo "skip readonly: cannot mount a read-only tmpfs here (needs root)"
fi

# two runs pointed at one checkpoint directory: the second is refused while the first runs
head -c 3000000 /dev/urandom | base64 >"$tmp/long.txt"
"$MDLBENCH" train --corpus "$tmp/long.txt" "${small[@]}" --set train.streams=1 --threads 1 \
    --checkpoint-dir "$tmp/shared.ckpt" -o "$tmp/first.h5" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 200); do [ -e "$tmp/first.h5.partial" ] && break; sleep 0.1; done
expect_failure shared_checkpoint_dir "in use by another run" --corpus "$tmp/ok.txt" "${small[@]}" \
    --checkpoint-dir "$tmp/shared.ckpt"
kill -INT $pid
wait $pid

# report never hangs on a file HDF5 cannot finish reading (a FIFO stands in for the damaged
# files the HDF5 fuzzer found): one line after MDL_REPORT_TIMEOUT seconds per file
mkfifo "$tmp/stuck.h5"
MDL_REPORT_TIMEOUT=1 "$MDLBENCH" report "$tmp/stuck.h5" >"$tmp/stdout" 2>"$tmp/stderr"
check_failure report_watchdog "took over 1 s" $? "$tmp/never.h5"
# the same for a checkpoint that cannot be read to its end: one line naming it, exit 1,
# nothing written (a FIFO stands in for the damaged file: its open never returns)
MDL_CHECKPOINT_TIMEOUT=1 "$MDLBENCH" train --corpus "$tmp/ok.txt" "${small[@]}" \
    --resume "$tmp/stuck.h5" -o "$tmp/stuck-run.h5" >"$tmp/stdout" 2>"$tmp/stderr"
check_failure checkpoint_watchdog "stuck.h5 took over 1 s" $? "$tmp/stuck-run.h5"

# a diverged run (non-finite bits) stops at that step with one line and a non-zero exit; its
# steps so far stay in the .partial, marked diverged, and no results file claims completion
"$MDLBENCH" run --corpus "$tmp/ok.txt" "${small[@]}" --set train.lr=1e308 --codecs none \
    -o "$tmp/diverged.h5" >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
if [ "$rc" -eq 0 ] || [ "$(wc -l <"$tmp/stderr")" -ne 1 ] || ! grep -q "diverged: .* step " "$tmp/stderr" ||
    [ -e "$tmp/diverged.h5" ] || ! grep -aq diverged "$tmp/diverged.h5.partial" 2>/dev/null ||
    grep -q "bytes compressed" "$tmp/stdout"; then
    echo "FAIL diverged: exit $rc: $(cat "$tmp/stderr" "$tmp/stdout")"; failures=$((failures + 1))
else
    echo "ok   diverged: $(cat "$tmp/stderr")"
fi

# an earlier results file survives a failing run that names it
printf 'earlier results' >"$tmp/keep.h5"
"$MDLBENCH" run --corpus "$tmp/ok.txt" "${small[@]}" --set model.n_head=3 -o "$tmp/keep.h5" 2>/dev/null
if [ "$(cat "$tmp/keep.h5")" != "earlier results" ] || [ -e "$tmp/keep.h5.partial" ]; then
    echo "FAIL keep_existing: the earlier results file was changed"; failures=$((failures + 1))
else
    echo "ok   keep_existing"
fi

if [ "$failures" -ne 0 ]; then echo "$failures bad-input case(s) failed"; exit 1; fi
echo "all bad-input cases fail cleanly"
