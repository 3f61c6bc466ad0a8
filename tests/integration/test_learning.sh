#!/usr/bin/env bash
# Learning: the default configuration on seven files of /usr/share/common-licenses ends well below
# 8 bits per byte and below its own first step, and `report --format json` carries every
# documented field.
set -eu
: "${MDLBENCH:?set MDLBENCH to the mdlbench binary}"
corpus=/usr/share/common-licenses
[ -d "$corpus" ] || { echo "SKIP: $corpus not present"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# seven of the licenses (111 KB; CI time), and 26 KB of them under the sanitizers: same checks
some="Apache-2.0 Artistic BSD CC0-1.0 GFDL-1.3 GPL-3 LGPL-2.1"
[ "${MDL_SANITIZE:-OFF}" = ON ] && some="Apache-2.0 Artistic BSD CC0-1.0"
mkdir "$tmp/licenses"
for f in $some; do cp "$corpus/$f" "$tmp/licenses/"; done
corpus=$tmp/licenses
"$MDLBENCH" run --corpus "$corpus" -o "$tmp/default.h5" -q | tee "$tmp/summary.txt"
grep -q "prequential" "$tmp/summary.txt"
"$MDLBENCH" report "$tmp/default.h5" --format json >"$tmp/report.json"
python3 - "$tmp/report.json" <<'PY'
import json, math, sys
runs = json.load(open(sys.argv[1]))
assert len(runs) == 1, runs
r = runs[0]
keys = ["corpus_bytes", "n_documents", "n_params", "preq_bits", "preq_bpb", "final_bpb",
        "first_step_bpb", "bytes_per_s", "model_flops_per_byte", "achieved_flops", "mfu",
        "device", "wall_s"]
missing = [k for k in keys if k not in r]
assert not missing, f"missing keys {missing}"
print(f"first step {r['first_step_bpb']:.4f}, prequential {r['preq_bpb']:.4f}, "
      f"final {r['final_bpb']:.4f} bits/byte")
assert abs(r["first_step_bpb"] - 8.0) < 1e-6, r["first_step_bpb"]
assert r["preq_bpb"] < 5.0, f"prequential {r['preq_bpb']} is not well below 8"
assert r["final_bpb"] < 4.5, f"final {r['final_bpb']} is not well below 8"
assert r["final_bpb"] < r["preq_bpb"] < r["first_step_bpb"]
assert math.isclose(r["preq_bits"] / r["corpus_bytes"], r["preq_bpb"], rel_tol=1e-12)
assert 0 < r["mfu"] < 1.5 and r["bytes_per_s"] > 0
tp = r["two_part"]
assert sorted(tp) == ["bf16", "fp32", "int4", "int8"], tp
assert tp["fp32"]["data_bits"] == r["final_bits"], (tp["fp32"], r["final_bits"])
assert tp["int4"]["weight_bits"] < tp["int8"]["weight_bits"] < tp["fp32"]["weight_bits"]
print("two-part bits/byte:", {k: round(v["total_bpb"], 3) for k, v in tp.items()})
assert [b["codec"] for b in r["baselines"]][:6] == ["gzip", "bzip2", "xz", "zstd", "zstd", "brotli"]
print("learning ok")
PY
