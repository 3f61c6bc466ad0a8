#!/usr/bin/env bash
# The one prepared script for a GPU machine with no network and little time (docs/design.md §5):
# build for sm_90, run the GPU tests, benchmark mdlbench on the model ladder with a
# per-kernel time split, check mdlbench against the PyTorch twin (scripts/torch_ref.py)
# and benchmark the twin (eager, then torch.compile), compute-sanitizer last.
#
#   bash scripts/gpu_check.sh [--dry-run] OUTDIR    (from anywhere; it works in the repo root)
#
# OUTDIR gets three files (the device tool brings back at most 8): summary.md (the tables;
# also printed LAST on stdout), gpu_check.log (everything printed) and details.tar.gz
# (every step's log, the tests' full output with their per-op error tables, ctest's
# LastTest.log, the results files, JSON of the runs and the kernel profile), refreshed
# after each step so that an interrupted run still leaves them. Steps report PASS / FAIL /
# TIMEOUT / SKIP. Exit code: 0 if every step passed, else 1.
#
# The plan (README "The first GPU run" lists it second by second; the dry run prints it):
#   0. corpus generation starts in the background; machine info
#   1. .debs unpacked, its prefix put on PATH and LD_LIBRARY_PATH, build dependencies
#      checked; the twin's Python packages checked with importlib.util.find_spec (a missing
#      one only skips the twin's rows). The build is impossible (a dependency missing, or
#      the build fails): summary and exit at once, the machine time is not wasted.
#   2. build with warnings reported in the summary, not fatal (MDL_WERROR=OFF: the GPU
#      machine's compiler is unknown) and without MPI; only mdlbench, test_gpu_ops and
#      test_gpu_model
#   3. GPU op tests, then the whole-model tests, each with ctest -V (the per-op error
#      tables are kept) and LastTest.log packed. A failing test binary is rerun at once
#      with CUDA_LAUNCH_BLOCKING=1 (a kernel fault then names its own launch), then under
#      compute-sanitizer memcheck; the mdlbench side of the fp32/bf16 twin check; the
#      compressor's round trip in fp32 and bf16 (compress-fp32, compress-bf16)
#   4. mdlbench benchmarks, gpt-85M, 25M, 2M, BENCH_S (15) seconds each; then a per-kernel
#      time split of gpt-PROFILE_MODEL (25M) in steady state: nsys over a window of
#      PROFILE_WINDOW_S seconds when the toolkit has it, else the MDL_OP_TIMER=1 timer of
#      the binary when it has one
#   5. the twin: the fp32/bf16 checks against mdlbench, the eager benchmarks, then the
#      torch.compile benchmarks, largest model first
#   6. compute-sanitizer memcheck on test_gpu_ops, last (SANITIZER_S is kept for it), unless
#      a failure already ran it
#
# Time: every step runs under `timeout`, capped by what is left of BUDGET_S (default 520 s
# of the device tool's 600 s limit); a step that no longer fits is SKIPped.
#
# Dry run (--dry-run or GPU_CHECK_DRY_RUN=1): no GPU, no build, no test, nothing but the
# corpus generation and the Python package check really runs. Each step is replaced by a
# log line and advances a fake clock by its planned duration (DRY_PLAN below), so the
# summary shows the planned order, start seconds and budget skips. For tests of the
# control flow: GPU_CHECK_DRY_FAIL="step ..." makes those steps fail (rc 1),
# GPU_CHECK_DRY_TIMEOUT="step ..." makes them time out, GPU_CHECK_DRY_WARNINGS=N (default
# 2) puts N compiler warnings into the fake build log.
#
# Environment (all optional):
#   CORPUS=FILE        benchmark corpus (default: CORPUS_MB MB of synthetic text)
#   CORPUS_MB=16       size of the synthetic corpus (0.1 in a dry run)
#   BENCH_MODELS="85M 25M 2M"  mdlbench benchmarks, in this order
#   TWIN_MODELS="85M 25M 2M"   twin benchmarks (eager, then compile), in this order
#   STREAMS=128        train.streams of the benchmarks; STREAMS_<model>=N overrides per
#                      model ('.' as '_': STREAMS_0_1M); STREAMS_2M defaults to 256
#   BENCH_S=15         seconds of each mdlbench benchmark (start-up included)
#   MEASURE_S=8        seconds of steady-state steps timed per twin run
#   PROFILE_MODEL=25M PROFILE_DELAY_S=8 PROFILE_WINDOW_S=3  the kernel profile
#   SANITIZER_S=60     cap of the compute-sanitizer step (reserved until it runs)
#   TWIN_MODES="eager compile"  which twin benchmarks run, in this order
#   TWIN_MODULES="torch numpy yaml h5py"  the Python packages the twin needs
#   BUDGET_S=520       seconds for the whole script
#   PEAK_FLOPS=790e12  bf16 peak for the summary's MFU (KINDS.md: 788 TFLOP/s measured on
#                      one H200); `mdlbench report` uses its own table (host/cli/cli_report.c)
#   JOBS=16            build parallelism;  BUILD_DIR=build-gpu
#   PYTHON=python3     the python with torch (and h5py, numpy, PyYAML)
#   SKIP_BUILD=1       use an existing BUILD_DIR as it is
#   GPU_CHECK_ONLY=deps  only unpack .debs/ and check the build dependencies, then stop
#   CHECK_MODEL=2M CHECK_STREAMS=64 CHECK_STEPS=40  the mdlbench-vs-twin check's run
#   CHECK_PRECISIONS="fp32 bf16"  BENCH_PRECISION=bf16  DEVICE=cuda
#   WERROR=OFF         ON makes warnings fatal again
#
# Build dependencies. CMakeLists.txt needs cmake >= 3.25, a C compiler with OpenMP, nvcc,
# pkg-config, and the -dev packages of HDF5 (serial), libcyaml/libyaml, zstd, zlib, bzip2,
# xz, brotli, xxHash, jansson and OpenBLAS (OpenMP flavour, at /usr/{include,lib}/x86_64-linux-gnu/
# openblas-openmp). The GPU image may lack several of these and has no network, so they
# travel as .deb files:
#   1. here, on a Debian 12 machine with network: bash scripts/gpu_debs.sh   (-> .debs/,
#      about 26 MiB; .debs/ is git-ignored)
#   2. the device call names it in carry: run(command="bash scripts/gpu_check.sh $OUT",
#      carry=[".debs"], timeout_s=600)
#   3. this script unpacks every .debs/*.deb with `dpkg-deb -x` (or ar + tar) into
#      DEBS_PREFIX (default /tmp/mdl-debs; nothing goes into the system), merges its /lib
#      into /usr/lib, re-points absolute symlinks and the .pc files into the prefix, links
#      the libraries the system lacks into PREFIX/rt, appends PREFIX/usr/bin to PATH (the
#      carried pkgconf) and runs the dependency check, the build, the tests and mdlbench
#      (never python) with LD_LIBRARY_PATH=PREFIX/rt:... (pkgconf needs libpkgconf.so.3
#      from there), PKG_CONFIG_PATH=PREFIX/usr/{lib/x86_64-linux-gnu,share}/pkgconfig and
#      -DCMAKE_FIND_ROOT_PATH=PREFIX. The dependency check names whatever is still missing.
# shellcheck disable=SC2317,SC2012  # exported functions run through `bash -c`; ls of plain names
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
REPO=$(pwd)
DRY=${GPU_CHECK_DRY_RUN:-0}
[ "$DRY" = 0 ] || DRY=1
if [ "${1:-}" = --dry-run ]; then
    DRY=1
    shift
fi
if [ $# -ne 1 ] || [ "${1#-}" != "$1" ]; then
    echo "usage: bash scripts/gpu_check.sh [--dry-run] OUTDIR   (see the header of this script)" >&2
    exit 2
fi
mkdir -p "$1" || { echo "gpu_check.sh: cannot create $1" >&2; exit 2; }
OUT=$(cd "$1" && pwd)
WORK=$(mktemp -d /tmp/gpu_check.XXXXXX)
[ "$DRY" = 0 ] || trap 'rm -rf "$WORK"' EXIT # a dry run leaves only OUTDIR
BUDGET_S=${BUDGET_S:-520}
BENCH_S=${BENCH_S:-15}
MEASURE_S=${MEASURE_S:-8}
BENCH_MODELS=${BENCH_MODELS:-"85M 25M 2M"}
TWIN_MODELS=${TWIN_MODELS:-"85M 25M 2M"}
STREAMS=${STREAMS:-128}
STREAMS_2M=${STREAMS_2M:-256}
PROFILE_MODEL=${PROFILE_MODEL:-25M}
PROFILE_DELAY_S=${PROFILE_DELAY_S:-8}
PROFILE_WINDOW_S=${PROFILE_WINDOW_S:-3}
SANITIZER_S=${SANITIZER_S:-60}
if [ "$DRY" = 1 ]; then CORPUS_MB=${CORPUS_MB:-0.1}; else CORPUS_MB=${CORPUS_MB:-16}; fi
PEAK_FLOPS=${PEAK_FLOPS:-790e12}
JOBS=${JOBS:-16}
BUILD_DIR=${BUILD_DIR:-build-gpu}
PY=${PYTHON:-python3}
DEVICE=${DEVICE:-cuda}
BENCH_PRECISION=${BENCH_PRECISION:-bf16}
CHECK_PRECISIONS=${CHECK_PRECISIONS:-"fp32 bf16"}
TWIN_MODES=${TWIN_MODES:-"eager compile"}
TWIN_MODULES=${TWIN_MODULES:-"torch numpy yaml h5py"}
CHECK_MODEL=${CHECK_MODEL:-2M}
CHECK_STREAMS=${CHECK_STREAMS:-64}
CHECK_STEPS=${CHECK_STEPS:-40}
WERROR=${WERROR:-OFF}
PREFIX=${DEBS_PREFIX:-/tmp/mdl-debs}
BIN=$REPO/$BUILD_DIR/mdlbench
T0=$(date +%s)
FAKE_S=0 # the dry run's clock: seconds of the planned steps so far
export PYTHONUNBUFFERED=1
exec > >(tee -a "$OUT/gpu_check.log") 2>&1

# Planned seconds of each step on an H200 with 16 cores (estimates, not yet measured):
# the dry run's fake durations, and the timeline in README.
dry_plan() {
    case $1 in
    info) echo 3 ;; debs-unpack) echo 6 ;; deps) echo 2 ;; python) echo 1 ;;
    build) echo 90 ;;
    gpu-ops) echo 20 ;; gpu-model) echo 25 ;;
    *-blocking) echo 30 ;; *-sanitizer) echo "$SANITIZER_S" ;;
    check-*-mdlbench) echo 8 ;;
    compress-*) echo 15 ;;
    bench-*-mdlbench) echo "$((BENCH_S + 2))" ;;
    profile-*) echo "$((PROFILE_DELAY_S + PROFILE_WINDOW_S + 14))" ;;
    check-*-twin) echo 25 ;;
    bench-*-eager) echo "$((MEASURE_S + 12))" ;;
    bench-*-compile) echo "$((MEASURE_S + 60))" ;;
    sanitizer) echo "$SANITIZER_S" ;;
    *) echo 5 ;;
    esac
}

now() { if [ "$DRY" = 1 ]; then echo $((T0 + FAKE_S)); else date +%s; fi; }
elapsed() { echo $(($(now) - T0)); }
remaining() { echo $((BUDGET_S - $(elapsed))); }
log() { echo "[gpu_check +$(elapsed)s] $*"; }
pack() {
    tar czf "$OUT/details.tar.gz" --exclude='init-*.h5' --exclude='*corpus.txt' --exclude='*.nsys-rep' \
        --exclude='*.sqlite' -C "$WORK" . 2>/dev/null
}
record() { echo "$1|$2|$3|$4|$5" >>"$WORK/steps.txt"; } # name|status|seconds|note|start
in_list() { case " $2 " in *" $1 "*) return 0 ;; esac; return 1; }

# The dry run's stand-in for a command: a log line, the fake clock advanced by the step's
# planned time (or all of t when it is to time out), rc 1 / 124 as asked.
dry_exec() {
    local name=$1 t=$2 log=$3 d
    shift 3
    d=$(dry_plan "$name")
    echo "DRY RUN: would run: $*" >"$log"
    if in_list "$name" "${GPU_CHECK_DRY_TIMEOUT:-}"; then
        FAKE_S=$((FAKE_S + t))
        return 124
    fi
    [ "$d" -le "$t" ] || d=$t
    FAKE_S=$((FAKE_S + d))
    if [ "$name" = build ]; then
        local i
        for ((i = 1; i <= ${GPU_CHECK_DRY_WARNINGS:-2}; i++)); do
            echo "host/fake.c:$i:1: warning: fake warning $i of the dry run [-Wfake]" >>"$log"
        done
    fi
    case $name in
    gpu-ops | gpu-model) echo "1/1 Test #1: test_$name ... Passed (dry run)" | tr - _ >>"$log" ;;
    profile-*) printf 'op_timer: %-22s %6d calls %9.3f ms %5.1f%% (dry run)\n' matmul_backward 600 41.0 38.0 \
        matmul_forward 600 20.5 19.0 attention_backward 120 18.0 16.7 >>"$log" ;;
    esac
    in_list "$name" "${GPU_CHECK_DRY_FAIL:-}" && return 1
    return 0
}

# run_step NAME CAP CMD... : CMD under timeout min(CAP, what is left - RESERVE), output to
# WORK/NAME.log; records PASS, FAIL (rc N), TIMEOUT or SKIP (when less than MIN_T seconds,
# default 5, would be left for it). KEEP seconds more are held back for later steps
# (compute-sanitizer). Returns CMD's exit code (125 when skipped).
RESERVE=15
KEEP=0
run_step() {
    local name=$1 cap=$2 t left t1 rc st
    shift 2
    left=$(($(remaining) - RESERVE - KEEP))
    t=$((cap < left ? cap : left))
    if [ "$t" -lt "${MIN_T:-5}" ]; then
        record "$name" SKIP 0 "no time left" "$(elapsed)"
        log "$name: SKIP (no time left)"
        return 125
    fi
    log "$name (timeout ${t}s): $*"
    t1=$(now)
    if [ "$DRY" = 1 ]; then
        dry_exec "$name" "$t" "$WORK/$name.log" "$@"
    else
        timeout -k 10 "$t" "$@" >"$WORK/$name.log" 2>&1
    fi
    rc=$?
    case $rc in 0) st=PASS ;; 124 | 137) st=TIMEOUT ;; *) st="FAIL (rc $rc)" ;; esac
    record "$name" "$st" $(($(now) - t1)) "${NOTE:-}" $((t1 - T0))
    log "$name: $st in $(($(now) - t1))s"
    [ $rc -eq 0 ] || tail -n 20 "$WORK/$name.log" | sed 's/^/    | /'
    pack
    return $rc
}
skip() { record "$1" SKIP 0 "$2" "$(elapsed)"; log "$1: SKIP ($2)"; }
# sets the note of the last recorded step (and its status when given; notes hold no '|')
amend_last() {
    local n st sec note start
    IFS='|' read -r n st sec note start <<<"$(tail -n 1 "$WORK/steps.txt")"
    [ -z "$1" ] || st=$1
    sed -i '$d' "$WORK/steps.txt"
    record "$n" "$st" "$sec" "$2" "$start"
}

# ---- the summary (also written when the run stops early) ----------------------------------
SUMMARY_PY=$PY
"$PY" -c 'pass' 2>/dev/null || SUMMARY_PY=python3
write_summary() {
    export BENCH_PRECISION STREAMS STREAMS_2M DRY
    timeout 60 "$SUMMARY_PY" - "$WORK" "$OUT/summary.md" "$PEAK_FLOPS" "$BENCH_MODELS $TWIN_MODELS" "$MEASURE_S" \
        "$corpus" "$CHECK_MODEL" "$CHECK_STREAMS" "$BUDGET_S" <<'PY'
import glob, json, math, os, sys
work, dest, peak, models, measure_s, corpus, check_model, check_streams, budget = sys.argv[1:10]
peak = float(peak)
models = " ".join(dict.fromkeys(models.split()))  # the benchmarked models, once each, in order
dry = os.environ.get("DRY") == "1"
sys.path.insert(0, "scripts")
lines = []
out = lines.append

def load(p):
    try:
        return json.load(open(p))
    except (OSError, ValueError):
        return None

def fmt(v, f="{:,.0f}"):
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else f.format(v)

def curve_rate(path, cfg_path, streams):
    """Steady-state bytes/s and model FLOP/s of an mdlbench run from /curve: the steps
    from W = ceil(P/T) + 3 on (as the twin times them), from the results file or the
    .partial an interrupted run leaves."""
    try:
        import h5py, numpy as np, torch_ref as tr
        cfg = tr.load_config(cfg_path, [f"train.streams={streams}", "model.context=256",
                                         "train.segment=128"])  # gpu_shape
        with h5py.File(path, "r") as f:
            step = f["curve/step"][...]
            nbytes = f["curve/bytes"][...]
            el = f["curve/elapsed_s"][...]
    except Exception as e:
        return None, None, f"{os.path.basename(path)}: {e}"
    m, t = cfg["model"], cfg["train"]
    T, P = t["segment"], m["context"] - t["segment"]
    W = (P + T - 1) // T + 3
    sel = step >= W
    if sel.sum() < 2:
        return None, None, f"{os.path.basename(path)}: only {len(step)} steps"
    shapes = tr.tensor_shapes(m)
    # mdlbench's P_ne: all but wte (its n-gram table rows included) and wpe (none with rope)
    n_ne = sum(int(np.prod(s)) for name, s in shapes if name not in ("wte", "wpe"))
    i0 = int(np.argmax(sel))
    dt = el[-1] - el[i0 - 1]
    fl = sum(t["repeats_per_step"] * tr.flops_fwd_bwd(m, n_ne, t["streams"], min(P, k * T) + T)
             for k in step[i0:])
    return nbytes[i0:].sum() / dt, fl / dt, f"{len(step) - i0} steps timed"

gpu = open(os.path.join(work, "gpu.txt")).read().strip() if os.path.exists(os.path.join(work, "gpu.txt")) else "?"
out(f"# gpu_check summary\n\nGPU: {gpu}. Corpus: {corpus} ({os.path.getsize(corpus) if os.path.exists(corpus) else '?'} bytes). "
    f"MFU against a bf16 peak of {peak:.3g} FLOP/s.\n")
if dry:
    out("**DRY RUN**: nothing ran on a GPU; the seconds are the planned durations (fake clock).\n")
stopped = os.path.join(work, "stopped.txt")
if os.path.exists(stopped):
    out(f"**Stopped early**: {open(stopped).read().strip()}.\n")
out("## Steps\n\n| step | start s | status | seconds | note |\n|---|---|---|---|---|")
ok = not os.path.exists(stopped)
end = 0
for ln in open(os.path.join(work, "steps.txt")).read().splitlines():
    name, st, sec, note, start = (ln.split("|") + [""] * 5)[:5]
    ok &= st.startswith("PASS") or st.startswith("SKIP")
    out(f"| {name} | {start} | {st} | {sec} | {note} |")
    try:
        end = max(end, int(start) + int(sec))
    except ValueError:
        pass
out(f"\nLast step ended at {end} s of a {budget} s budget.")
warn = os.path.join(work, "build-warnings.txt")
if os.path.exists(warn) and open(warn).read().strip():
    w = open(warn).read().splitlines()
    out(f"\nBuild warnings ({len(w)}, not fatal):\n")
    out("\n".join(f"    {x[:200]}" for x in w[:10]))
miss = os.path.join(work, "deps-missing.txt")
if os.path.exists(miss) and open(miss).read().strip():
    out(f"\nBuild dependencies missing: {open(miss).read().strip()}")

out(f"\n## Correctness: mdlbench vs the PyTorch twin, gpt-{check_model}, {check_streams} streams, per-step bits\n")
out("| precision | steps | first step bpb (twin) | max rel diff per step | rel diff of the total | max rel diff grad norm | verdict |")
out("|---|---|---|---|---|---|---|")
for prec in ("fp32", "bf16"):
    j = load(os.path.join(work, f"check-{prec}.json"))
    if j and "compare_steps" in j:
        verdict = "info"
        if prec == "fp32":  # the same function in fp32: only rounding may differ
            good = j["compare_max_rel_step_bits"] < 1e-4 and j["compare_first_step_rel"] < 1e-6
            verdict = "PASS" if good else "FAIL (max rel >= 1e-4)"
            ok &= good
        out(f"| {prec} | {j['compare_steps']} | {fmt(j['first_step_bpb'], '{:.6f}')} | "
            f"{j['compare_max_rel_step_bits']:.2e} | {j['compare_rel_total_bits']:.2e} | "
            f"{j['compare_max_rel_grad_norm']:.2e} | {verdict} |")
    else:
        out(f"| {prec} | n/a | | | | | not run |")
out("\nfp32 passes below 1e-4 (seen on the CPU: ~1e-7 over the first 30 steps; rounding "
    "differences then grow with the steps, as between two thread counts of mdlbench's CPU "
    "backend). bf16 is for information: ~1e-4..1e-2, since autocast rounds the products' "
    "outputs to bf16 where mdlbench keeps them fp32.")

out(f"\n## Throughput, {os.environ.get('BENCH_PRECISION', 'bf16')} (bytes/s = tokens/s: byte-level model; steady state, {measure_s} s timed per run)\n")
out("| model | params | streams | mdlbench bytes/s | MFU | torch eager bytes/s | MFU | torch compile bytes/s | MFU | mdlbench / compile | mdlbench / eager |")
out("|---|---|---|---|---|---|---|---|---|---|---|")
notes = []
for m in models.split():
    cfg_path = f"configs/models/gpt-{m}.yaml"
    e, c = load(f"{work}/bench/{m}-eager.json"), load(f"{work}/bench/{m}-compile.json")
    rep = load(f"{work}/bench/{m}-report.json")
    rep = rep[0] if isinstance(rep, list) and rep else None
    streams = (e or c or {}).get("streams") or (rep or {}).get("streams")
    if streams is None:
        streams = os.environ.get(f"STREAMS_{m}", os.environ.get("STREAMS", "128"))
    h5 = f"{work}/bench/{m}-mdlbench.h5"
    h5 = h5 if os.path.exists(h5) else h5 + ".partial"
    mb = mf = None
    if os.path.exists(h5) and not dry:
        mb, mf, why = curve_rate(h5, cfg_path, streams)
        notes.append(f"- {m} mdlbench: {why}" + (f"; whole loop per `mdlbench report`: "
                     f"{fmt(rep.get('bytes_per_s'))} bytes/s, MFU {fmt(rep.get('achieved_flops', 0) / peak * 100, '{:.1f}')}% "
                     f"(report's own peak {fmt(rep.get('peak_flops'), '{:.3g}')})" if rep else " (interrupted run, read from the .partial)"))
    params = (e or c or {}).get("n_params") or (rep or {}).get("n_params")
    eb = e and e.get("bytes_per_s")
    cb = c and c.get("bytes_per_s")
    ef = e and e.get("achieved_flops")
    cf = c and c.get("achieved_flops")
    mfu = lambda f: fmt(f / peak * 100 if f else None, "{:.1f}%")
    ratio = lambda a, b: fmt(a / b if a and b else None, "{:.2f}")
    out(f"| gpt-{m} | {fmt(params / 1e6 if params else None, '{:.1f}M')} | {streams} | {fmt(mb)} | {mfu(mf)} | "
        f"{fmt(eb)} | {mfu(ef)} | {fmt(cb)} | {mfu(cf)} | {ratio(mb, cb)} | {ratio(mb, eb)} |")
    for name, j in (("eager", e), ("compile", c)):
        if j:
            notes.append(f"- {m} torch {name}: {j['steps_run']} steps from step {j['start_step']}, "
                         f"{fmt(j.get('timed_s'), '{:.1f}')} s timed, {j['train_s']:.1f} s in the loop "
                         f"(compilation included), peak memory {fmt((j.get('peak_cuda_memory_bytes') or 0) / 2**30, '{:.1f}')} GiB")
out("\nModel FLOPs per byte: host/model/flops.h (6 P_ne B n + 6 L d B n^2 per update) for all three. mdlbench "
    "is timed from its /curve (steps from ceil(P/T)+3 on), the twin from the step after its warm-up "
    "(it starts at the first full-window step, so torch.compile compiles one shape).\n")
out("\n".join(notes))

def kernel_split():
    """The per-kernel time split: nsys's kernel summary (csv) or the op_timer table."""
    csvs = sorted(glob.glob(os.path.join(work, "profile_*kern*sum*.csv")))
    timer = os.path.join(work, "profile-optimer.txt")
    if csvs:
        import csv
        rows = list(csv.DictReader(open(csvs[0])))
        out(f"\n## Kernel time split (nsys, {os.path.basename(csvs[0])})\n")
        out("| kernel | time % | total ms | launches | mean us |\n|---|---|---|---|---|")
        for r in rows[:25]:
            g = lambda *ks: next((r[k] for k in ks if k in r), "")
            name = g("Name")[:90].replace("|", "/")
            tot = float(g("Total Time (ns)", "Total Time") or 0) / 1e6
            avg = float(g("Avg (ns)", "Average") or 0) / 1e3
            out(f"| {name} | {g('Time (%)', 'Time(%)')} | {tot:.2f} | {g('Instances', 'Calls')} | {avg:.1f} |")
    elif os.path.exists(timer) and open(timer).read().strip():
        out("\n## Op time split (MDL_OP_TIMER=1)\n\n```")
        out(open(timer).read().rstrip())
        out("```")
    else:
        out("\nNo kernel time split (no nsys, no MDL_OP_TIMER table).")

kernel_split()
out(f"\nOverall: {'PASS' if ok else 'FAIL'}")
open(dest, "w").write("\n".join(lines) + "\n")
sys.exit(0 if ok else 3)
PY
    local st=$?
    case $st in 0 | 3) ;; *) log "summary: FAIL (rc $st): $OUT/summary.md may be missing or partial" ;; esac
    pack
    log "done in $(elapsed)s; files in $OUT: $(ls "$OUT" | tr '\n' ' ')"
    echo
    cat "$OUT/summary.md" 2>/dev/null
    return $st
}
# the build is impossible: no GPU step can run, so the machine time is not spent waiting
fail_fast() {
    log "STOP: $1; no later step can run"
    echo "$1" >"$WORK/stopped.txt"
    write_summary
    exit 1
}

# ---- step 0: corpus generation in the background, the machine -------------------------------
log "repo $REPO, output $OUT, work $WORK, budget ${BUDGET_S}s$([ "$DRY" = 1 ] && echo ', DRY RUN (fake timings)')"
mkdir -p "$WORK/bench"
corpus_pid=""
if [ -n "${CORPUS:-}" ]; then
    corpus=$CORPUS
else
    corpus=$WORK/corpus.txt
    timeout 120 "$SUMMARY_PY" - "$corpus" "$CORPUS_MB" >"$WORK/corpus.log" 2>&1 <<'PY' &
import random, sys
# deterministic English-like text: Zipf-distributed made-up words, punctuation, lines
r = random.Random(1234)
syl = "the an in on at re de con pro ter ing ed er ly tion al ic ous ment ness ka lo mi".split()
words = ["".join(r.choice(syl) for _ in range(r.randint(1, 3))) for _ in range(4000)]
weights = [1.0 / (i + 1) for i in range(len(words))]
target, out, size = int(float(sys.argv[2]) * 1e6), [], 0
while size < target:
    line = " ".join(r.choices(words, weights, k=r.randint(4, 14)))
    line = line[0].upper() + line[1:] + r.choice([".", ".", ",", ";", "?"]) + "\n"
    out.append(line)
    size += len(line)
open(sys.argv[1], "w").write("".join(out)[:target])
PY
    corpus_pid=$!
    log "corpus: generating $CORPUS_MB MB in the background (pid $corpus_pid)"
fi
wait_corpus() {
    [ -n "$corpus_pid" ] || return 0
    wait "$corpus_pid"
    local rc=$?
    corpus_pid=""
    log "corpus $corpus: $(stat -c %s "$corpus" 2>/dev/null || echo no) bytes (generator rc $rc)"
}

if [ -z "$(command -v nvcc)" ] && [ -x /usr/local/cuda/bin/nvcc ]; then
    export PATH=$PATH:/usr/local/cuda/bin
fi
find_tool() { # NAME: on PATH or in the usual CUDA / Nsight folders
    command -v "$1" 2>/dev/null ||
        ls /usr/local/cuda*/bin/"$1" /usr/local/cuda*/"$1"/"$1" /usr/local/cuda*/nsight-systems*/bin/"$1" \
            /opt/nvidia/nsight-systems/*/bin/"$1" /opt/nvidia/nsight-compute/*/"$1" 2>/dev/null | head -n 1
}
SAN=$(find_tool compute-sanitizer)
NSYS=$(find_tool nsys)
machine_info() {
    set -x
    nvidia-smi
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,power.limit --format=csv
    nvcc --version
    cmake --version
    cc --version
    "$PY" -c 'import sys; print(sys.executable, sys.version)'
    nproc
    free -g
    cat /etc/os-release
    git -C "$REPO" rev-parse HEAD
    git -C "$REPO" status --short
    echo "compute-sanitizer: ${SAN:-none}; nsys: ${NSYS:-none}"
    true # a missing tool above is only information
}
export -f machine_info
export PY REPO SAN NSYS
run_step info 30 bash -c machine_info
grep -A1 '^name, driver' "$WORK/info.log" | tail -n 1 >"$WORK/gpu.txt"

# ---- step 1: dependencies ----------------------------------------------------------------------
# the twin's Python packages: looked up, not imported (a cold `import torch` takes seconds)
# shellcheck disable=SC2086  # TWIN_MODULES: a list of names
twin_missing=$("$PY" -c 'import importlib.util as u, sys
print(" ".join(m for m in sys.argv[1:] if u.find_spec(m) is None))' $TWIN_MODULES 2>/dev/null) ||
    twin_missing="$PY itself"
if [ -z "$twin_missing" ]; then
    record python PASS 0 "twin packages found: $TWIN_MODULES" "$(elapsed)"
    log "python: $TWIN_MODULES found"
else
    record python SKIP 0 "missing: $twin_missing; only the twin's rows are skipped" "$(elapsed)"
    log "python: missing $twin_missing: the twin's rows are skipped, the rest runs"
fi

DEPS_LD=""
CMAKE_EXTRA=()
if compgen -G "$REPO/.debs/*.deb" >/dev/null; then
    unpack_debs() {
        set -e
        rm -rf "$PREFIX"
        mkdir -p "$PREFIX"
        local f tmp
        for f in "$REPO"/.debs/*.deb; do
            if command -v dpkg-deb >/dev/null; then
                dpkg-deb -x "$f" "$PREFIX"
            else
                tmp=$(mktemp -d)
                (cd "$tmp" && ar x "$f" && tar -xf data.tar.* -C "$PREFIX")
                rm -rf "$tmp"
            fi
        done
        # Debian 12 ships some libraries under /lib (merged-/usr systems alias it)
        if [ -d "$PREFIX/lib" ] && [ ! -L "$PREFIX/lib" ]; then
            mkdir -p "$PREFIX/usr/lib"
            cp -a "$PREFIX/lib/." "$PREFIX/usr/lib/"
            rm -rf "${PREFIX:?}/lib"
            ln -s usr/lib "$PREFIX/lib"
        fi
        find "$PREFIX" -type l | while read -r l; do
            t=$(readlink "$l")
            case $t in /*) ln -sfn "$PREFIX$t" "$l" ;; esac
        done
        for f in "$PREFIX"/usr/lib/x86_64-linux-gnu/pkgconfig/*.pc "$PREFIX"/usr/share/pkgconfig/*.pc; do
            [ -f "$f" ] && sed -i "s|/usr/|$PREFIX/usr/|g; s|=/usr\$|=$PREFIX/usr|" "$f"
        done
        # run-time: only the libraries this system lacks (no shadowing of its own)
        mkdir -p "$PREFIX/rt"
        local have
        have=$(ldconfig -p 2>/dev/null | awk '{print $1}' | sort -u)
        for f in "$PREFIX"/usr/lib/x86_64-linux-gnu/lib*.so.*; do
            n=$(basename "$f")
            if [ -n "${DEBS_RT_ALL:-}" ] || ! grep -qxF "$n" <<<"$have"; then
                ln -sf "$f" "$PREFIX/rt/$n"
            fi
        done
        echo "unpacked $(ls "$REPO"/.debs/*.deb | wc -l) packages into $PREFIX;" \
            "$(ls "$PREFIX/rt" | wc -l) libraries the system lacks linked into $PREFIX/rt"
        ls "$PREFIX/rt"
    }
    export -f unpack_debs
    export PREFIX
    run_step debs-unpack 60 bash -c unpack_debs
    # before the dependency check: the carried pkgconf (linked to libpkgconf.so.3 from
    # the prefix) must find its library, or every pkg-config check fails
    export PKG_CONFIG_PATH="$PREFIX/usr/lib/x86_64-linux-gnu/pkgconfig:$PREFIX/usr/share/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
    export PATH="$PATH:$PREFIX/usr/bin"
    DEPS_LD="$PREFIX/rt:$PREFIX/usr/lib/x86_64-linux-gnu/hdf5/serial:$PREFIX/usr/lib/x86_64-linux-gnu/openblas-openmp"
    CMAKE_EXTRA=(-DCMAKE_FIND_ROOT_PATH="$PREFIX")
else
    log "no .debs/ folder: using the system's packages (scripts/gpu_debs.sh prepares one)"
fi
# commands that need the carried libraries: the dependency check, the build, the tests,
# mdlbench (never python)
if [ -n "$DEPS_LD" ]; then
    WITHDEPS=(env "LD_LIBRARY_PATH=$DEPS_LD${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
else
    WITHDEPS=(env)
fi

check_deps() {
    local miss=() v p
    local mach=x86_64-linux-gnu
    v=$(cmake --version 2>/dev/null | head -n 1 | grep -o '[0-9][0-9.]*')
    if [ -z "$v" ]; then miss+=("cmake");
    elif [ "$(printf '%s\n3.25\n' "$v" | sort -V | head -n 1)" != 3.25 ]; then miss+=("cmake>=3.25 (have $v)"); fi
    command -v cc >/dev/null || miss+=("C compiler (cc)")
    command -v nvcc >/dev/null || miss+=("nvcc")
    echo 'int main(void){return 0;}' | cc -fopenmp -x c - -o /tmp/gpu_check_omp 2>/dev/null || miss+=("OpenMP (cc -fopenmp)")
    if command -v pkg-config >/dev/null; then
        for p in hdf5-serial libcyaml libzstd libbrotlienc libbrotlidec libxxhash jansson; do
            pkg-config --exists "$p" || miss+=("$p (pkg-config)")
        done
    else
        miss+=("pkg-config")
    fi
    for h in zlib.h bzlib.h lzma.h yaml.h; do
        printf '#include <%s>\n' "$h" | cc -E -x c - -I"$PREFIX/usr/include" -o /dev/null 2>/dev/null || miss+=("$h")
    done
    local ob=0
    for root in "$PREFIX" ""; do
        [ -f "$root/usr/include/$mach/openblas-openmp/cblas.h" ] &&
            compgen -G "$root/usr/lib/$mach/openblas-openmp/libopenblas.so*" >/dev/null && ob=1
    done
    [ "$ob" = 1 ] || miss+=("OpenBLAS openmp (libopenblas-openmp-dev)")
    if [ ${#miss[@]} -gt 0 ]; then
        echo "MISSING: ${miss[*]}"
        echo "prepare .debs/ with scripts/gpu_debs.sh on a Debian 12 machine with network and"
        echo "carry it (device tool: carry=[\".debs\"]); see the header of scripts/gpu_check.sh"
        return 1
    fi
    echo "all build dependencies found"
}
export -f check_deps
run_step deps 30 "${WITHDEPS[@]}" bash -c check_deps
deps_ok=$?
sed -n 's/^MISSING: //p' "$WORK/deps.log" >"$WORK/deps-missing.txt"
if [ "${GPU_CHECK_ONLY:-}" = deps ]; then
    cat "$WORK/deps.log"
    exit $deps_ok
fi

[ $deps_ok -eq 0 ] || fail_fast "build dependencies missing: $(cat "$WORK/deps-missing.txt")"

# ---- step 2: build --------------------------------------------------------------------------
if [ -n "${SKIP_BUILD:-}" ] && [ -x "$BIN" ]; then
    skip build "SKIP_BUILD set: using $BIN"
else
    build() {
        set -e
        cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DMDL_CUDA=ON -DMDL_MPI=OFF \
            -DCMAKE_CUDA_ARCHITECTURES=90 -DMDL_WERROR="$WERROR" ${CMAKE_EXTRA_S:+"$CMAKE_EXTRA_S"}
        cmake --build "$BUILD_DIR" -j"$JOBS" --target mdlbench test_gpu_ops test_gpu_model
    }
    export -f build
    export BUILD_DIR JOBS WERROR
    # arrays do not pass through export: the one option goes over as a string (no spaces)
    CMAKE_EXTRA_S="${CMAKE_EXTRA[*]:-}"
    export CMAKE_EXTRA_S
    run_step build 240 "${WITHDEPS[@]}" bash -c build
    build_rc=$?
    # warnings are not fatal here (unknown compiler): counted, the first ones kept
    grep -E ': warning|warning #' "$WORK/build.log" | sort -u >"$WORK/build-warnings.txt"
    n_warn=$(wc -l <"$WORK/build-warnings.txt")
    if [ "$n_warn" -gt 0 ]; then
        amend_last "" "$n_warn compiler warnings (not fatal, MDL_WERROR=$WERROR): $(head -n 1 "$WORK/build-warnings.txt" | tr '|' '/' | cut -c1-160)"
        log "build: $n_warn compiler warnings (build-warnings.txt)"
    fi
    [ $build_rc -eq 0 ] || fail_fast "the build failed (build.log)"
fi
KEEP=$SANITIZER_S # held back for compute-sanitizer from here on

# ---- step 3: GPU op tests, whole-model tests ----------------------------------------------------
SAN_DONE=0
sanitize() { # STEP BINARY
    local k=$KEEP
    if [ -z "$SAN" ] && [ "$DRY" = 0 ]; then
        skip "$1" "compute-sanitizer not found"
        return
    fi
    KEEP=0
    run_step "$1" "$SANITIZER_S" "${WITHDEPS[@]}" "${SAN:-compute-sanitizer}" --tool memcheck --error-exitcode 1 "$2"
    KEEP=$k
    SAN_DONE=1
}
gpu_test() { # STEP BINARY-NAME
    local step=$1 name=$2 rc seed
    run_step "$step" 120 "${WITHDEPS[@]}" ctest --test-dir "$BUILD_DIR" -R "^$name\$" -V --output-on-failure
    rc=$?
    [ $rc -eq 125 ] && return
    cp "$BUILD_DIR/Testing/Temporary/LastTest.log" "$WORK/LastTest-$name.log" 2>/dev/null
    # 77 = skipped, no CUDA device seen: on the GPU machine that is a failure
    if [ $rc -eq 0 ] && grep -qE '\*\*\*Skipped|No tests were found' "$WORK/$step.log"; then
        if [ "$DEVICE" = cuda ]; then
            amend_last FAIL "skipped or not found: no CUDA device seen"
            rc=1
        else
            amend_last "" "skipped: no CUDA device"
        fi
    fi
    [ $rc -eq 0 ] && return
    # a kernel fault is reported at the next synchronisation: rerun with every launch
    # synchronous (same seed), then under memcheck
    seed=$(grep -o 'MDL_TEST_SEED=[0-9]*' "$WORK/$step.log" | head -n 1)
    run_step "$step-blocking" 90 env CUDA_LAUNCH_BLOCKING=1 ${seed:+"$seed"} "${WITHDEPS[@]}" "$BUILD_DIR/tests/$name"
    sanitize "$step-sanitizer" "$BUILD_DIR/tests/$name"
}
gpu_test gpu-ops test_gpu_ops
gpu_test gpu-model test_gpu_model

cfgfile() { echo "$REPO/configs/models/gpt-$1.yaml"; }
streams_for() { local v="STREAMS_${1//[^A-Za-z0-9]/_}"; echo "${!v:-$STREAMS}"; }
have_init=1
[ "$DRY" = 0 ] && timeout 20 "${WITHDEPS[@]}" "$BIN" init-weights --help >/dev/null 2>&1 && have_init=0
init_for() { # MODEL OUT.h5 SETS... : prints --init FILE when it could be written
    local cfg m=$1 out=$2
    shift 2
    cfg=$(cfgfile "$m")
    [ $have_init -eq 0 ] &&
        timeout 60 "${WITHDEPS[@]}" "$BIN" init-weights -c "$cfg" "$@" -o "$out" >/dev/null 2>&1 &&
        echo "$out"
}

# the mdlbench side of the fp32/bf16 checks against the twin: gpt-2M, 64 streams x 40 steps
wait_corpus
head -c $((CHECK_STREAMS * CHECK_STEPS * 128)) "$corpus" >"$WORK/check-corpus.txt" 2>/dev/null
# the GPU shape: context 256 with 128-byte segments on every ladder size (the CPU sizes'
# configs use 64/32, tuned for one stream on a CPU); curve_rate assumes it too
gpu_shape=(--set model.context=256 --set train.segment=128)
check_sets=(--set "train.streams=$CHECK_STREAMS" "${gpu_shape[@]}" --set run.eval_final=false)
declare -A check_ok
for prec in $CHECK_PRECISIONS; do
    run_step "check-$prec-mdlbench" 60 "${WITHDEPS[@]}" "$BIN" train --device "$DEVICE" \
        --set run.precision="$prec" --corpus "$WORK/check-corpus.txt" -c "$(cfgfile "$CHECK_MODEL")" \
        "${check_sets[@]}" -q -o "$WORK/check-$prec.h5"
    check_ok[$prec]=$?
done

# the compressor's round trip on the GPU, fp32 and bf16: compress, decompress, compare; the
# default model with 4 streams on 16 KB of the check corpus (its log has both rates)
head -c 16384 "$WORK/check-corpus.txt" >"$WORK/compress-in.txt" 2>/dev/null
round_trip() { # PRECISION
    set -e
    "$BIN" compress "$WORK/compress-in.txt" --device "$DEVICE" --set run.precision="$1" \
        --set train.streams=4 -q -o "$WORK/compress-$1.mdl"
    "$BIN" decompress "$WORK/compress-$1.mdl" -o "$WORK/compress-$1.out" -q
    cmp "$WORK/compress-in.txt" "$WORK/compress-$1.out"
    echo "round trip $1: identical"
}
export -f round_trip
export BIN DEVICE WORK
for prec in $CHECK_PRECISIONS; do
    run_step "compress-$prec" 60 "${WITHDEPS[@]}" bash -c 'round_trip "$1"' _ "$prec"
done

# ---- step 4: mdlbench benchmarks, the kernel split ------------------------------------------------
bench_sets() { BS=(--set "train.streams=$(streams_for "$1")" "${gpu_shape[@]}" --set run.eval_final=false); } # -> BS
for m in $BENCH_MODELS; do
    cfg=$(cfgfile "$m")
    [ -f "$cfg" ] || { skip "bench-$m-mdlbench" "no $cfg"; continue; }
    left=$(($(remaining) - RESERVE - KEEP))
    if [ "$left" -lt 10 ]; then
        skip "bench-$m-mdlbench" "no time left"
        continue
    fi
    # stopped by SIGINT after BENCH_S: the steps so far stay in NAME.h5.partial, which is
    # what the steady-state rate is read from
    rm -f "$WORK/bench/$m-mdlbench.h5" "$WORK/bench/$m-mdlbench.h5.partial"
    t=$((BENCH_S < left ? BENCH_S : left))
    log "bench-$m-mdlbench: $(streams_for "$m") streams, stopped after ${t}s"
    t1=$(now)
    bench_sets "$m"
    cmd=("${WITHDEPS[@]}" "$BIN" train --device "$DEVICE" --set "run.precision=$BENCH_PRECISION" --corpus "$corpus"
        -c "$cfg" "${BS[@]}" -q -o "$WORK/bench/$m-mdlbench.h5")
    if [ "$DRY" = 1 ]; then
        dry_exec "bench-$m-mdlbench" "$t" "$WORK/bench-$m-mdlbench.log" "${cmd[@]}"
        rc=$?
        [ $rc -eq 0 ] && rc=130 && : >"$WORK/bench/$m-mdlbench.h5.partial"
    else
        timeout -s INT -k 30 "$t" "${cmd[@]}" >"$WORK/bench-$m-mdlbench.log" 2>&1
        rc=$?
    fi
    if [ $rc -eq 0 ] && [ -f "$WORK/bench/$m-mdlbench.h5" ]; then
        st=PASS note="complete run"
    elif { [ $rc -eq 124 ] || [ $rc -eq 130 ]; } && [ -f "$WORK/bench/$m-mdlbench.h5.partial" ]; then
        st=PASS note="stopped by SIGINT as planned; read from the .partial"
    else
        st="FAIL (rc $rc)" note=""
    fi
    record "bench-$m-mdlbench" "$st" $(($(now) - t1)) "$note" $((t1 - T0))
    log "bench-$m-mdlbench: $st in $(($(now) - t1))s ($note)"
    [ "$st" = PASS ] || tail -n 20 "$WORK/bench-$m-mdlbench.log" | sed 's/^/    | /'
    [ "$DRY" = 0 ] && [ -f "$WORK/bench/$m-mdlbench.h5" ] &&
        timeout 30 "${WITHDEPS[@]}" "$BIN" report "$WORK/bench/$m-mdlbench.h5" --format json \
            >"$WORK/bench/$m-report.json" 2>>"$WORK/bench-$m-mdlbench.log"
    pack
done

# the per-kernel time split of one model in steady state: nsys over a window after the
# start-up, else the binary's own MDL_OP_TIMER=1 table (op_timer lines on stderr)
m=$PROFILE_MODEL
pcfg=$(cfgfile "$m")
bench_sets "$m"
pcmd=("$BIN" train --device "$DEVICE" --set "run.precision=$BENCH_PRECISION" --corpus "$corpus" -c "$pcfg"
    "${BS[@]}" -q -o "$WORK/profile-$m.h5")
if [ ! -f "$pcfg" ]; then
    skip "profile-$m" "no $pcfg"
elif [ -n "$NSYS" ]; then
    profile_nsys() {
        "$NSYS" profile --trace=cuda --sample=none --cpuctxsw=none --delay="$PROFILE_DELAY_S" \
            --duration="$PROFILE_WINDOW_S" --kill=2 --force-overwrite=true -o "$WORK/profile" "$@"
        echo "nsys profile: rc $?"
        for r in cuda_gpu_kern_sum gpukernsum; do
            "$NSYS" stats --report "$r" --format csv --force-export=true --output "$WORK/profile" \
                "$WORK/profile.nsys-rep" && break
        done
        ls "$WORK"/profile_*.csv
    }
    export -f profile_nsys
    export NSYS WORK PROFILE_DELAY_S PROFILE_WINDOW_S
    NOTE="nsys window of ${PROFILE_WINDOW_S}s after ${PROFILE_DELAY_S}s" \
        run_step "profile-$m" 90 "${WITHDEPS[@]}" bash -c 'profile_nsys "$@"' _ "${pcmd[@]}"
else
    NOTE="MDL_OP_TIMER=1 (no nsys)" run_step "profile-$m" 40 timeout -s INT "$((PROFILE_DELAY_S + PROFILE_WINDOW_S + 4))" \
        "${WITHDEPS[@]}" MDL_OP_TIMER=1 "${pcmd[@]}"
    rc=$?
    grep '^op_timer' "$WORK/profile-$m.log" >"$WORK/profile-optimer.txt" 2>/dev/null
    # stopped by SIGINT as planned (rc 124/130): the table decides
    if [ $rc -ne 125 ] && [ -s "$WORK/profile-optimer.txt" ]; then
        amend_last PASS "MDL_OP_TIMER=1 table (no nsys)"
    elif [ $rc -ne 125 ]; then
        amend_last SKIP "no nsys, and this binary prints no MDL_OP_TIMER table"
    fi
fi

# ---- step 5: the PyTorch twin -----------------------------------------------------------------
if [ -n "$twin_missing" ]; then
    for prec in $CHECK_PRECISIONS; do skip "check-$prec-twin" "python: missing $twin_missing"; done
    for mode in $TWIN_MODES; do
        for m in $TWIN_MODELS; do skip "bench-$m-$mode" "python: missing $twin_missing"; done
    done
else
    for prec in $CHECK_PRECISIONS; do
        if [ "${check_ok[$prec]:-1}" -ne 0 ]; then
            skip "check-$prec-twin" "mdlbench side failed"
            continue
        fi
        init=$(init_for "$CHECK_MODEL" "$WORK/init-check.h5" "${check_sets[@]}")
        run_step "check-$prec-twin" 90 "$PY" scripts/torch_ref.py --device "$DEVICE" \
            --dtype "$prec" --corpus "$WORK/check-corpus.txt" -c "$(cfgfile "$CHECK_MODEL")" "${check_sets[@]}" \
            ${init:+--init "$init"} --compare "$WORK/check-$prec.h5" --json "$WORK/check-$prec.json"
    done
    for mode in $TWIN_MODES; do
        for m in $TWIN_MODELS; do
            cfg=$(cfgfile "$m")
            [ -f "$cfg" ] || { skip "bench-$m-$mode" "no $cfg"; continue; }
            flag=() cap=90 min=5
            [ "$mode" = compile ] && flag=(--compile) cap=240 min=45
            bench_sets "$m"
            init=$(init_for "$m" "$WORK/init-$m.h5" "${BS[@]}")
            MIN_T=$min run_step "bench-$m-$mode" $cap "$PY" scripts/torch_ref.py --device "$DEVICE" \
                --dtype "$BENCH_PRECISION" --corpus "$corpus" -c "$cfg" "${BS[@]}" ${init:+--init "$init"} \
                "${flag[@]}" --start-step full --max-seconds "$MEASURE_S" --json "$WORK/bench/$m-$mode.json"
        done
    done
fi

# ---- step 6: compute-sanitizer, last ------------------------------------------------------------
if [ $SAN_DONE -eq 1 ]; then
    skip sanitizer "already ran after a failure"
else
    sanitize sanitizer "$BUILD_DIR/tests/test_gpu_ops"
fi

write_summary || exit 1 # 0 only when every step passed
