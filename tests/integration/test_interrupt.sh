#!/usr/bin/env bash
# An interrupted run: SIGINT stops it at the end of a step with exit code 130, no final
# results file appears, and FILE.partial is a readable HDF5 file with status
# "interrupted" and the curve of the steps done so far.
set -eu
: "${MDLBENCH:?set MDLBENCH to the mdlbench binary}"
command -v h5dump >/dev/null || { echo "SKIP: h5dump (hdf5-tools) not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat /usr/share/common-licenses/* /usr/share/common-licenses/* >"$tmp/corpus.txt"
"$MDLBENCH" run --corpus "$tmp/corpus.txt" --set run.flush_seconds=0.2 --threads 1 -q \
    -o "$tmp/out.h5" >"$tmp/stdout" 2>"$tmp/stderr" &
pid=$!
for _ in $(seq 100); do  # wait until some steps are on disk
    [ -s "$tmp/out.h5.partial" ] && [ "$(stat -c %s "$tmp/out.h5.partial")" -gt 20000 ] && break
    sleep 0.1
done
sleep 1
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" -eq 130 ] || { echo "FAIL: exit code $rc, expected 130"; cat "$tmp/stderr"; exit 1; }
[ ! -e "$tmp/out.h5" ] || { echo "FAIL: a final results file appeared"; exit 1; }
[ -f "$tmp/out.h5.partial" ] || { echo "FAIL: no .partial file"; exit 1; }
[ "$(wc -l <"$tmp/stderr")" -eq 1 ] && grep -q "stopped by signal 2" "$tmp/stderr"
h5dump -a /status "$tmp/out.h5.partial" | grep -q '"interrupted"' \
    || { echo "FAIL: status is not interrupted"; h5dump -a /status "$tmp/out.h5.partial"; exit 1; }
rows=$(h5dump -H -d /curve/bits "$tmp/out.h5.partial" | sed -n 's/.*DATASPACE  SIMPLE { ( \([0-9]*\) ).*/\1/p')
[ -n "$rows" ] && [ "$rows" -gt 0 ] || { echo "FAIL: no curve rows in the .partial file"; exit 1; }
if "$MDLBENCH" report "$tmp/out.h5.partial" 2>"$tmp/err"; then echo "FAIL: report accepted it"; exit 1; fi
grep -q "did not complete" "$tmp/err"
echo "interrupted after $rows steps: $(cat "$tmp/stderr")"
