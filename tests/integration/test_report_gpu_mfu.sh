#!/usr/bin/env bash
# `mdlbench report`'s MFU of a CUDA run: against the GPU's peak in the run's precision (the
# file records the CPU's sgemm rate as peak_flops), MDL_GPU_PEAK_FLOPS overriding it, no
# MFU for an unknown GPU, and a CPU run unchanged. Fake results files
# (make_fake_results.py) with the device string the training command writes.
# Needs /usr/bin/python3 with h5py and numpy; skips (77) without them.
set -u
: "${MDLBENCH:?set MDLBENCH to the mdlbench binary}"
python=/usr/bin/python3
here=$(cd "$(dirname "$0")" && pwd)
if ! "$python" -c 'import h5py, numpy' >/dev/null 2>&1; then
    echo "SKIP: /usr/bin/python3 lacks h5py or numpy"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# fake NAME DEVICE: a results file whose /summary device attribute is DEVICE
fake() {
    "$python" "$here/make_fake_results.py" "$tmp/$1.h5" >/dev/null || { fail "make_fake_results.py"; return; }
    "$python" - "$tmp/$1.h5" "$2" <<'PY' || fail "setting the device of $1"
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    s = f["summary"]
    s.attrs.create("device", sys.argv[2], dtype=h5py.string_dtype("utf-8"))
PY
}
# check NAME WANT_PEAK WANT_SOURCE_SUBSTRING [VAR=VALUE]: report's json peak_flops, mfu
# (= achieved_flops / peak, or null when WANT_PEAK is nan) and peak_source
check() {
    local name=$1 peak=$2 src=$3
    shift 3
    env "$@" "$MDLBENCH" report "$tmp/$name.h5" --format json >"$tmp/$name.json" || { fail "$name: report failed"; return; }
    "$python" - "$tmp/$name.json" "$peak" "$src" <<'PY' || fail "$name: $(head -c 300 "$tmp/$name.json")"
import json, math, sys
r = json.load(open(sys.argv[1]))[0]
peak, src = float(sys.argv[2]), sys.argv[3]
assert src in r["peak_source"], ("source", r["peak_source"], src)
if math.isnan(peak):
    assert r["mfu"] is None and r["peak_flops"] is None, (r["mfu"], r["peak_flops"])
else:
    assert abs(r["peak_flops"] - peak) <= 1e-9 * peak, (r["peak_flops"], peak)
    want = r["achieved_flops"] / peak
    assert abs(r["mfu"] - want) <= 1e-12 + 1e-9 * want, (r["mfu"], want)
PY
}

fake h200 "cuda: NVIDIA H200 (sm_90, 139.8 GiB), bf16"
check h200 989.4e12 "bf16"
check h200 5e14 "MDL_GPU_PEAK_FLOPS" MDL_GPU_PEAK_FLOPS=5e14
fake h100fp32 "cuda: NVIDIA H100 80GB HBM3 (sm_90, 79.1 GiB), fp32"
check h100fp32 66.9e12 "fp32"
fake pcie2 "cuda: NVIDIA H100 PCIe (sm_90, 79.1 GiB), bf16 x 2 ranks"
check pcie2 1512e12 "bf16"
fake unknown "cuda: Some Future GPU (sm_120, 200.0 GiB), bf16"
check unknown nan "unknown"
fake cpu "cpu: fake (2 threads)"
check cpu 2.4e11 "recorded"
check cpu 2.4e11 "recorded" MDL_GPU_PEAK_FLOPS=5e14 # a CPU run ignores the GPU override

# the text table shows the GPU MFU too: 100 * achieved / 989.4e12
want=$("$python" -c "import json; r = json.load(open('$tmp/h200.json'))[0]; print('%.1f' % (100 * r['achieved_flops'] / 989.4e12))")
"$MDLBENCH" report "$tmp/h200.h5" | awk 'NR == 2' | grep -qw -- "$want" || fail "text table: no MFU $want"

[ $fails -eq 0 ] || { echo "FAIL test_report_gpu_mfu ($fails)"; exit 1; }
echo "PASS test_report_gpu_mfu"
