#!/usr/bin/env bash
# compress / decompress: byte-for-byte round trips (a directory corpus, one byte, a run of
# one byte, random bytes, an ELF binary, an empty document among others), every key that
# shapes the computation changed in turn, L_preq equal to `mdlbench train`'s on the same
# config, the file within 0.1% (+ 8 bytes of termination) of ceil(L_preq / 8) + header,
# and each refusal with the output untouched.
set -u
: "${MDLBENCH:?set MDLBENCH to the mdlbench binary}"
: "${MDL_SOURCE_DIR:?set MDL_SOURCE_DIR to the source tree}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
forge=(/usr/bin/python3 "$MDL_SOURCE_DIR/tests/integration/mdlz_forge.py")
# a small model, so that the decoder's forward pass per position stays fast
small=(--set model.n_layer=1 --set model.d_model=16 --set model.n_head=2 --set model.d_ff=32
       --set model.context=16 --set train.segment=8 --set model.ngram_buckets=256 --threads 1 -q)

# round_trip NAME INPUT [ARGS...]: compress, decompress, compare; checks the size bound
round_trip() {
    local name=$1 input=$2
    shift 2
    local mdl="$tmp/$name.mdl" out="$tmp/$name.out"
    if ! "$MDLBENCH" compress "$input" "${small[@]}" "$@" -o "$mdl" >"$tmp/$name.log" 2>&1; then
        fail "$name: compress failed: $(tail -1 "$tmp/$name.log")"; return
    fi
    if ! "$MDLBENCH" decompress "$mdl" -o "$out" -q >"$tmp/$name.dlog" 2>&1; then
        fail "$name: decompress failed: $(tail -1 "$tmp/$name.dlog")"; return
    fi
    if [ -d "$input" ]; then
        local n=0 f
        while IFS= read -r f; do
            n=$((n + 1))
            cmp -s "$f" "$input/${f#"$out"/}" || { fail "$name: ${f#"$out"/} differs"; return; }
        done < <(find "$out" -type f)
        local want
        want=$(find "$input" -type f | wc -l)
        [ "$n" -eq "$want" ] || { fail "$name: $n files restored, $want in the input"; return; }
    else
        cmp -s "$input" "$out" || { fail "$name: the output differs"; return; }
    fi
    # payload vs ceil(L_preq / 8): 0.1%, plus the 7 bytes the coder flushes
    local bits payload
    bits=$(sed -n 's/^  L_preq *\([0-9.]*\) bits.*/\1/p' "$tmp/$name.log")
    payload=$(sed -n 's/^  payload *\([0-9]*\) bytes.*/\1/p' "$tmp/$name.log")
    if ! awk -v b="$bits" -v p="$payload" 'BEGIN { i = int((b + 7.999999) / 8);
            exit !(p <= i * 1.001 + 8 && p >= i - 8) }'; then
        fail "$name: payload $payload bytes for L_preq $bits bits"; return
    fi
    echo "ok   $name: $(head -1 "$tmp/$name.log")"
}

printf 'x' >"$tmp/one_byte"
head -c 10000 /dev/zero | tr '\0' 'a' >"$tmp/repeated"
head -c 65536 /dev/urandom >"$tmp/random"
cp /usr/bin/true "$tmp/elf"
mkdir -p "$tmp/mixed/sub"
printf 'first document\n' >"$tmp/mixed/a.txt"
: >"$tmp/mixed/empty"
printf 'the third one, in a subdirectory\n' >"$tmp/mixed/sub/c.txt"
head -c 3000 "$MDL_SOURCE_DIR/README.md" >"$tmp/text"

licenses=/usr/share/common-licenses
if [ "${MDL_SANITIZE:-OFF}" = ON ]; then # under the sanitizers: four of them (26 KB)
    mkdir "$tmp/licenses"
    for f in Apache-2.0 Artistic BSD CC0-1.0; do cp "$licenses/$f" "$tmp/licenses/"; done
    licenses=$tmp/licenses
fi
round_trip licenses "$licenses"
round_trip one_byte "$tmp/one_byte"
round_trip repeated "$tmp/repeated"
round_trip random "$tmp/random"
round_trip elf "$tmp/elf"
round_trip mixed "$tmp/mixed"
round_trip default_model "$tmp/text" --set model.n_layer=2 --set model.d_model=128 \
    --set model.n_head=4 --set model.d_ff=512 --set model.context=64 --set train.segment=32 \
    --set model.ngram_buckets=16384

# every key that shapes the computation, changed from its default in turn
keys=(train.repeats_per_step=2 train.streams=3 "model.memory=8 --set model.context=8"
      model.position=learned model.position=none train.prefix_loss=true train.schedule=constant
      train.schedule=inverse_sqrt train.beta1=0.9 train.beta2=0.99 train.grad_clip=0
      train.head_lr_scale=1 train.embedding_lr_scale=1 train.lr=0.001 train.warmup=0
      train.min_lr_ratio=0.5 train.eps=1e-6 train.weight_decay=0 train.seed=7 train.passes=3
      model.zero_init_head=false model.ngram_order=0 model.ngram_order=3 model.ngram_buckets=64
      model.n_layer=2 model.n_head=4)
for kv in "${keys[@]}"; do
    # shellcheck disable=SC2086  # the memory case passes two --set
    round_trip "key_${kv%%=*}_${kv#*=}" "$tmp/text" --set $kv
done

# the code is the training run's: L_preq in bits per byte equals `mdlbench train`'s
"$MDLBENCH" train --corpus "$tmp/text" "${small[@]}" --set train.repeats_per_step=2 \
    -o "$tmp/train.h5" >"$tmp/train.log" 2>&1
want=$(sed -n 's/.* \([0-9.]*\) bits\/byte prequential.*/\1/p' "$tmp/train.log")
got=$(sed -n 's/^  L_preq .*(\([0-9.]*\) bpb).*/\1/p' "$tmp/key_train.repeats_per_step_2.log")
[ -n "$want" ] && [ "$want" = "$got" ] || fail "L_preq: train $want bpb, compress $got bpb"
echo "ok   same code as train: $want bpb"

# refusals: one line naming the file and what is wrong, the output untouched
good="$tmp/text.mdl"
"$MDLBENCH" compress "$tmp/text" "${small[@]}" -o "$good" >/dev/null 2>&1 || fail "compress text"
printf 'keep me\n' >"$tmp/existing"
# refuse NAME CULPRIT COMMAND...: fails with one line naming CULPRIT; $tmp/existing intact
refuse() {
    local name=$1 culprit=$2
    shift 2
    if "$@" >"$tmp/stdout" 2>"$tmp/stderr"; then fail "$name: exit status 0"; return; fi
    local lines
    lines=$(wc -l <"$tmp/stderr")
    [ "$lines" -eq 1 ] || { fail "$name: $lines lines on stderr: $(cat "$tmp/stderr")"; return; }
    grep -qF -- "$culprit" "$tmp/stderr" || { fail "$name: no '$culprit': $(cat "$tmp/stderr")"; return; }
    [ "$(cat "$tmp/existing")" = "keep me" ] || { fail "$name: the existing file changed"; return; }
    [ ! -e "$tmp/new.out" ] && [ ! -e "$tmp/new.out.partial" ] || { fail "$name: output written"; rm -rf "$tmp/new.out"*; return; }
    echo "ok   $name: $(cat "$tmp/stderr")"
}
size=$(stat -c %s "$good")
head -c $((size - 10)) "$good" >"$tmp/truncated.mdl"
head -c 30 "$good" >"$tmp/truncated_header.mdl"
cp "$good" "$tmp/flipped.mdl"
printf '\x55' | dd of="$tmp/flipped.mdl" bs=1 seek=40 conv=notrunc status=none
"${forge[@]}" "$good" "$tmp/version.mdl" version=9
"${forge[@]}" "$good" "$tmp/data.mdl" data_xxh64=12345
"${forge[@]}" "$good" "$tmp/cuda.mdl" backend=cuda
"${forge[@]}" "$good" "$tmp/bf16.mdl" precision=bf16
"${forge[@]}" "$good" "$tmp/threads.mdl" threads=3
D=("$MDLBENCH" decompress)
refuse not_mdl "$tmp/text" "${D[@]}" "$tmp/text" -o "$tmp/new.out"
refuse version "format version 9" "${D[@]}" "$tmp/version.mdl" -o "$tmp/new.out"
refuse truncated "truncated" "${D[@]}" "$tmp/truncated.mdl" -o "$tmp/new.out"
refuse truncated_header "truncated" "${D[@]}" "$tmp/truncated_header.mdl" -o "$tmp/new.out"
refuse header_checksum "header checksum mismatch" "${D[@]}" "$tmp/flipped.mdl" -o "$tmp/new.out"
refuse data_checksum "data checksum mismatch" "${D[@]}" "$tmp/data.mdl" -o "$tmp/new.out" -q
refuse other_backend "made with the cuda backend" "${D[@]}" "$tmp/cuda.mdl" -o "$tmp/new.out"
refuse other_precision "precision bf16" "${D[@]}" "$tmp/bf16.mdl" -o "$tmp/new.out"
refuse thread_count "made with 3 threads" "${D[@]}" "$tmp/threads.mdl" -o "$tmp/new.out" --threads 1
refuse device_asked "--device cuda cannot reproduce" "${D[@]}" "$good" -o "$tmp/new.out" --device cuda
refuse output_exists "$tmp/existing exists" "${D[@]}" "$good" -o "$tmp/existing"
refuse output_is_input "is an input" "${D[@]}" "$good" -o "$good" --force
refuse compress_exists "$tmp/existing exists" "$MDLBENCH" compress "$tmp/text" "${small[@]}" -o "$tmp/existing"
refuse compress_onto_input "is an input" "$MDLBENCH" compress "$tmp/existing" "${small[@]}" -o "$tmp/existing" --force
refuse compress_holdout "corpus.holdout" "$MDLBENCH" compress "$tmp/text" "${small[@]}" --set corpus.holdout=x -o "$tmp/new.out"
mkdir -p "$tmp/clash1" "$tmp/clash2"
printf 'a' >"$tmp/clash1/same"
printf 'b' >"$tmp/clash2/same"
refuse name_clash "restored as 'same'" "$MDLBENCH" compress "$tmp/clash1/same" "$tmp/clash2/same" "${small[@]}" -o "$tmp/new.out"
# --force replaces a file
"${D[@]}" "$good" -o "$tmp/existing" --force -q >/dev/null 2>&1 && cmp -s "$tmp/existing" "$tmp/text" ||
    fail "--force did not restore over the existing file"
"$MDLBENCH" info "$good" | grep -q "3000  text" || fail "info does not list the document"

if [ "$failures" -ne 0 ]; then
    echo "$failures compress case(s) failed"
    exit 1
fi
echo "all compress cases pass"
