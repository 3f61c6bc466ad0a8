#!/usr/bin/env bash
# Report output survives hostile document names: a comma, a double quote, a pipe, a
# backslash, a newline, a tab and a byte that is not UTF-8. csv parses back (RFC 4180) to
# the right columns and names, json is valid (the bad byte becomes U+FFFD), markdown rows
# keep their column count, text shows control characters as \xHH on one line each; the
# results file stores the names as valid UTF-8 with the exact bytes beside.
set -u
: "${MDLBENCH:?set MDLBENCH to the mdlbench binary}"
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/corpus"
names=('a,b.txt' 'quo"te.txt' 'p|q.txt' 'back\slash.txt' $'new\nline.txt' $'tab\there.txt' $'bad\xffbyte.txt')
for n in "${names[@]}"; do printf 'some text for %s\n' "$n" >"$tmp/corpus/$n"; done
"$MDLBENCH" train --corpus "$tmp/corpus" --set model.n_layer=1 --set model.d_model=16 \
    --set model.n_head=2 --set model.d_ff=32 --set model.context=16 --set train.segment=8 \
    --set model.ngram_buckets=256 -q -o "$tmp/r.h5" >/dev/null || { echo "FAIL: train"; exit 1; }
for fmt in csv json markdown text; do
    "$MDLBENCH" report --documents --format $fmt "$tmp/r.h5" >"$tmp/docs.$fmt" || { echo "FAIL: $fmt"; exit 1; }
    "$MDLBENCH" report --format $fmt "$tmp/r.h5" >"$tmp/summary.$fmt" || { echo "FAIL: summary $fmt"; exit 1; }
done
$py - "$tmp" <<'PY'
import csv, io, json, sys, os
tmp = sys.argv[1]
want = sorted(os.fsencode(n) for n in os.listdir(os.path.join(tmp, "corpus")))
def base(s):
    return s.rsplit("/", 1)[-1]
rows = list(csv.reader(io.open(f"{tmp}/docs.csv", encoding="utf-8", errors="surrogateescape", newline="")))
assert all(len(r) == len(rows[0]) for r in rows), [len(r) for r in rows]
got = sorted(os.fsencode(base(r[1])) for r in rows[1:])
assert got == want, (got, want)
docs = json.load(open(f"{tmp}/docs.json", encoding="utf-8"))
names = sorted(base(d["name"]) for d in docs[0]["documents"])
assert "bad\ufffdbyte.txt" in names and "new\nline.txt" in names and 'quo"te.txt' in names, names
json.load(open(f"{tmp}/summary.json", encoding="utf-8"))
summ = list(csv.reader(open(f"{tmp}/summary.csv", newline="")))
assert len(summ) == 2 and len(summ[0]) == len(summ[1]), summ
md = [l for l in open(f"{tmp}/docs.markdown", encoding="utf-8", errors="replace") if l.startswith("|")]
def cells(line):  # pipes not escaped by a backslash
    n, esc = 0, False
    for ch in line:
        if esc: esc = False
        elif ch == "\\": esc = True
        elif ch == "|": n += 1
    return n
assert len(md) == 2 + len(want) and len({cells(l) for l in md}) == 1, md
text = open(f"{tmp}/docs.text", encoding="utf-8", errors="replace").read().splitlines()
assert len(text) == 2 + len(want) and any("new\\x0aline.txt" in l for l in text), text
# the results file itself: h5py decodes every stored name as UTF-8 (the bad byte stored as
# U+FFFD), and name_bytes keeps the names byte for byte
import h5py
with h5py.File(f"{tmp}/r.h5") as f:
    d = f["documents"]
    shown = [base(x) for x in d["name"].asstr()[()]]
    resolved = [base(x) for x in d["resolved"].asstr()[()]]
    raw = sorted(x.rsplit(b"/", 1)[-1] for x in d["name_bytes"][()])
    cmd = f.attrs["command_line"]
assert "bad\ufffdbyte.txt" in shown and "bad\ufffdbyte.txt" in resolved, shown
assert raw == want, (raw, want)
assert isinstance(cmd, str) and "mdlbench" in cmd, cmd
print("escaping ok:", len(want), "documents in csv, json, markdown, text and the results file")
PY
