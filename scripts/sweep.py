#!/usr/bin/python3
"""Runs a sweep of `mdlbench run` jobs: models x corpora x seeds, as one Slurm array job
(--submit), one after another on this machine (--local), or just prints the batch
script (--dry-run, the default).

Sweep file (YAML; relative paths are taken from the directory sweep.py runs in):

  name: ladder                     # job name; default: the sweep file's name
  mdlbench: build/mdlbench         # the binary (default: build/mdlbench when it exists,
                                   # else the installed one beside this script, else PATH)
  out: results/sweeps/ladder       # output folder (default results/sweeps/NAME; --out wins)
  models:                          # required: config files given to -c ...
    - configs/models/gpt-0.1M.yaml
    - {name: tiny, config: configs/models/gpt-0.1M.yaml, set: [model.n_layer=1]}
    - {name: narrow, set: {model.d_model: 64}}   # ... or overrides of the default config
  corpora:                         # required: files or directories given to --corpus
    - ../shared/corpora/canterbury
    - {name: both, path: [../shared/corpora/calgary, ../shared/corpora/canterbury]}
  seeds: [1234, 1235]              # default [1234]; each job gets --set train.seed=S
  set: [run.two_part=false]        # --set overrides for every job (list or mapping)
  args: [--codecs, none]           # further `mdlbench run` arguments for every job
  launcher: srun                   # batch script only: put before mdlbench (srun, mpirun ...)
  setup: [module load openmpi]     # batch script only: shell lines run before the job
  slurm:                           # resources of each array task (all optional)
    partition: gpu
    ntasks: 4                      # ranks (one per GPU with launcher srun)
    cpus_per_task: 8
    gpus: 4                        # --gpus (per job)
    time: "04:00:00"
    mem: 64G
    signal_seconds: 300            # --signal=B:USR1@N before the time limit (default 120; 0: none)
    max_parallel: 8                # at most this many tasks at once (--array=...%N)
    extra: [--account=proj, --constraint=h100]   # further sbatch options

Each job is `mdlbench run --corpus C [-c MODEL] --set train.seed=S [--set ...] [args]
-o OUT/NAME.h5 --checkpoint-dir OUT/NAME.ckpt --resume auto -q` with NAME =
MODEL_CORPUS_sSEED (names from the file names or the entries' name:). A job whose
OUT/NAME.h5 exists is skipped; the others resume from their checkpoint if there is one.
The batch script runs mdlbench in the background and forwards SIGUSR1 and SIGTERM to it;
mdlbench then checkpoints at the end of the step and exits with 75. After SIGUSR1 (sent
slurm.signal_seconds before the time limit) the script requeues the task with scontrol
requeue, and the new run resumes; after SIGTERM (scancel, preemption) it does not, so a
scancel stays cancelled (a preemption with PreemptMode=REQUEUE is requeued by Slurm;
--submit again continues the rest). Inside Slurm, --threads defaults to
SLURM_CPUS_PER_TASK unless args: gives --threads.

Exit codes: 0 done, 1 a job or sbatch failed, 2 bad arguments or sweep file; --local:
75 a job was stopped by SIGTERM/SIGUSR1 after a checkpoint (run again to resume), 130
interrupted."""

import argparse
import os
import re
import shlex
import signal
import subprocess
import sys

from mdlresults import default_binary

PROG = "sweep.py"
TOP_KEYS = ("name", "mdlbench", "out", "models", "corpora", "seeds", "set", "args",
            "launcher", "setup", "slurm")
SLURM_KEYS = ("partition", "ntasks", "cpus_per_task", "gpus", "time", "mem",
              "signal_seconds", "max_parallel", "extra")
PREEMPTED = 75  # mdlbench's exit code after a checkpoint on SIGUSR1/SIGTERM


class SweepError(Exception):
    pass


# ---- reading the sweep file ------------------------------------------------------------

def load_yaml(path):
    """The YAML document with a line number for every mapping key (dict.lines)."""
    try:
        import yaml
    except ImportError:
        raise SweepError("PyYAML is not installed (Debian: python3-yaml)")

    class LineDict(dict):
        lines = {}

    class Loader(yaml.SafeLoader):
        def construct_mapping(self, node, deep=False):
            d = LineDict(super().construct_mapping(node, deep=True))
            d.lines = {self.construct_object(k): k.start_mark.line + 1 for k, _ in node.value}
            return d

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                           Loader.construct_mapping)
    try:
        with open(path, encoding="utf-8") as f:
            doc = yaml.load(f, Loader=Loader)
    except OSError as e:
        raise SweepError(f"{path}: {e.strerror}")
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else path
        raise SweepError(f"{where}: invalid YAML ({getattr(e, 'problem', None) or e})")
    if not isinstance(doc, dict):
        raise SweepError(f"{path}: the sweep file must be a mapping (models:, corpora:, ...)")
    return doc


def where(path, d, key):
    line = getattr(d, "lines", {}).get(key)
    return f"{path}:{line}" if line else path


def check_keys(path, d, known, section=""):
    for k in d:
        if k not in known:
            raise SweepError(f"{where(path, d, k)}: unknown key '{section}{k}' "
                             f"(known: {', '.join(known)})")


def as_list(path, d, key, default=None):
    v = d.get(key, default)
    if v is None:
        return []
    if not isinstance(v, list):
        v = [v]
    return v


def set_list(path, d, key):
    """A set: list of 'k=v' strings or a {k: v} mapping -> ['k=v', ...]."""
    v = d.get(key)
    if v is None:
        return []
    if isinstance(v, dict):
        out = []
        for k, x in v.items():
            x = ("true" if x else "false") if isinstance(x, bool) else x
            out.append(f"{k}={x}")
    elif isinstance(v, list) and all(isinstance(x, str) and "=" in x for x in v):
        out = list(v)
    elif isinstance(v, str) and "=" in v:
        out = [v]
    else:
        raise SweepError(f"{where(path, d, key)}: '{key}' must be a list of KEY=VALUE "
                         "strings or a mapping")
    for s in out:
        if s.split("=", 1)[0].strip() == "train.seed":
            raise SweepError(f"{where(path, d, key)}: set train.seed with seeds:, not set:")
    return out


def stem(p):
    base = os.path.basename(os.path.normpath(p))
    for suffix in (".yaml", ".yml", ".txt"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
    return base


def clean_name(s):
    return re.sub(r"[^A-Za-z0-9._+-]+", "-", str(s)).strip("-") or "x"


def parse_models(path, doc):
    models = []
    for i, m in enumerate(as_list(path, doc, "models")):
        if isinstance(m, str):
            models.append({"name": clean_name(stem(m)), "config": os.path.abspath(m),
                           "set": []})
        elif isinstance(m, dict):
            check_keys(path, m, ("name", "config", "set"), "models[].")
            cfg = m.get("config")
            if cfg is not None and not isinstance(cfg, str):
                raise SweepError(f"{where(path, m, 'config')}: models[{i}].config must be a path")
            if "name" not in m and cfg is None:
                raise SweepError(f"{where(path, doc, 'models')}: models[{i}] needs a name: "
                                 "or a config:")
            models.append({"name": clean_name(m.get("name") or stem(cfg)),
                           "config": os.path.abspath(cfg) if cfg else None,
                           "set": set_list(path, m, "set")})
        else:
            raise SweepError(f"{where(path, doc, 'models')}: models[{i}] must be a config "
                             "path or a mapping with name/config/set")
    if not models:
        raise SweepError(f"{where(path, doc, 'models')}: 'models' lists no model")
    return models


def parse_corpora(path, doc):
    corpora = []
    for i, c in enumerate(as_list(path, doc, "corpora")):
        if isinstance(c, str):
            corpora.append({"name": clean_name(stem(c)), "paths": [os.path.abspath(c)]})
        elif isinstance(c, dict):
            check_keys(path, c, ("name", "path"), "corpora[].")
            p = c.get("path")
            ps = p if isinstance(p, list) else [p]
            if not ps or not all(isinstance(x, str) for x in ps):
                raise SweepError(f"{where(path, doc, 'corpora')}: corpora[{i}].path must be "
                                 "a path or a list of paths")
            corpora.append({"name": clean_name(c.get("name") or stem(ps[0])),
                            "paths": [os.path.abspath(x) for x in ps]})
        else:
            raise SweepError(f"{where(path, doc, 'corpora')}: corpora[{i}] must be a path "
                             "or a mapping with name/path")
    if not corpora:
        raise SweepError(f"{where(path, doc, 'corpora')}: 'corpora' lists no corpus")
    return corpora


def parse_slurm(path, doc):
    s = doc.get("slurm") or {}
    if not isinstance(s, dict):
        raise SweepError(f"{where(path, doc, 'slurm')}: 'slurm' must be a mapping")
    check_keys(path, s, SLURM_KEYS, "slurm.")
    for k in ("ntasks", "cpus_per_task", "gpus", "signal_seconds", "max_parallel"):
        if k in s and (not isinstance(s[k], int) or isinstance(s[k], bool) or s[k] < 0):
            raise SweepError(f"{where(path, s, k)}: slurm.{k} must be a non-negative integer")
    for k in ("partition", "time", "mem"):
        if k in s and not isinstance(s[k], (str, int)):
            raise SweepError(f"{where(path, s, k)}: slurm.{k} must be a string")
    s = dict(s)
    s["extra"] = [str(x) for x in as_list(path, s, "extra")]
    s.setdefault("signal_seconds", 120)
    return s


def parse_sweep(path, out_override=None):
    doc = load_yaml(path)
    check_keys(path, doc, TOP_KEYS)
    for k in ("models", "corpora"):
        if k not in doc:
            raise SweepError(f"{path}: '{k}' is missing")
    seeds = as_list(path, doc, "seeds", [1234])
    if not seeds or not all(isinstance(x, int) and not isinstance(x, bool) for x in seeds):
        raise SweepError(f"{where(path, doc, 'seeds')}: 'seeds' must be a list of integers")
    args = [str(x) for x in as_list(path, doc, "args")]
    for a in args:
        if a in ("-o", "--output", "--checkpoint-dir", "--resume") or \
                a.startswith(("--output=", "--checkpoint-dir=", "--resume=")):
            raise SweepError(f"{where(path, doc, 'args')}: args: {a} is set by sweep.py")
    launcher = doc.get("launcher") or ""
    if not isinstance(launcher, str):
        raise SweepError(f"{where(path, doc, 'launcher')}: 'launcher' must be a string")
    name = clean_name(doc.get("name") or stem(path))
    sw = {
        "path": path, "name": name,
        "mdlbench": os.path.abspath(str(doc.get("mdlbench") or default_binary())),
        "out": os.path.abspath(out_override or str(doc.get("out") or
                                                   os.path.join("results", "sweeps", name))),
        "models": parse_models(path, doc), "corpora": parse_corpora(path, doc),
        "seeds": seeds, "set": set_list(path, doc, "set"), "args": args,
        "launcher": shlex.split(launcher), "setup": [str(x) for x in as_list(path, doc, "setup")],
        "slurm": parse_slurm(path, doc),
    }
    sw["jobs"] = make_jobs(sw)
    return sw


def make_jobs(sw):
    jobs, seen = [], {}
    for m in sw["models"]:
        for c in sw["corpora"]:
            for s in sw["seeds"]:
                name = f"{m['name']}_{c['name']}_s{s}"
                if name in seen:
                    raise SweepError(f"{sw['path']}: two jobs are named {name}; give the "
                                     "models or corpora distinct name: entries")
                seen[name] = True
                cmd = [sw["mdlbench"], "run"]
                for p in c["paths"]:
                    cmd += ["--corpus", p]
                if m["config"]:
                    cmd += ["-c", m["config"]]
                cmd += ["--set", f"train.seed={s}"]
                for kv in sw["set"] + m["set"]:
                    cmd += ["--set", kv]
                cmd += sw["args"]
                jobs.append({"name": name, "cmd": cmd, "model": m, "corpus": c})
    return jobs


def check_inputs(sw):
    """The files the jobs need exist here (--local and --submit)."""
    if not (os.path.isfile(sw["mdlbench"]) and os.access(sw["mdlbench"], os.X_OK)):
        raise SweepError(f"{sw['path']}: mdlbench binary {sw['mdlbench']} not found or not "
                         "executable (build it, or set mdlbench:)")
    for m in sw["models"]:
        if m["config"] and not os.path.isfile(m["config"]):
            raise SweepError(f"{sw['path']}: model config {m['config']}: no such file")
    for c in sw["corpora"]:
        for p in c["paths"]:
            if not os.path.exists(p):
                raise SweepError(f"{sw['path']}: corpus {p}: no such file or directory")


def output_args(out, name):
    return ["-o", f"{out}/{name}.h5", "--checkpoint-dir", f"{out}/{name}.ckpt",
            "--resume", "auto", "-q"]


# ---- the batch script ------------------------------------------------------------------

def array_spec(indices, max_parallel=0):
    """[0,1,2,5,7,8] -> '0-2,5,7-8' (with '%N' when max_parallel)."""
    parts, i = [], 0
    while i < len(indices):
        j = i
        while j + 1 < len(indices) and indices[j + 1] == indices[j] + 1:
            j += 1
        parts.append(str(indices[i]) if i == j else f"{indices[i]}-{indices[j]}")
        i = j + 1
    spec = ",".join(parts)
    return f"{spec}%{max_parallel}" if max_parallel else spec


def pending(sw):
    return [i for i, j in enumerate(sw["jobs"])
            if not os.path.exists(os.path.join(sw["out"], j["name"] + ".h5"))]


BODY = r'''
log() { echo "sweep: $(date -u +%Y-%m-%dT%H:%M:%SZ) task ${SLURM_ARRAY_TASK_ID:-?} $name: $*"; }
if [ -e "$out/$name.h5" ]; then log "$out/$name.h5 exists; skipped"; exit 0; fi
mkdir -p "$out/$name.ckpt"
threads=()
if [ "$auto_threads" = 1 ] && [ -n "${SLURM_CPUS_PER_TASK:-}" ]; then
    threads=(--threads "$SLURM_CPUS_PER_TASK")
fi
log "start, attempt $(( ${SLURM_RESTART_COUNT:-0} + 1 )) on $(hostname -s): ${cmd[*]}"
# mdlbench runs in the background so that this shell can take Slurm's signals
# (--signal=B:USR1@N before the time limit; SIGTERM on scancel, preemption, time limit)
# and pass them on; mdlbench then checkpoints at the end of the step and exits with 75.
# Its exit status travels through a file: bash's own `wait` sometimes loses the status of
# a child that ends while a trap runs. The wrapper ignores the signals only after the
# fork, so mdlbench keeps the default dispositions until it installs its handlers.
run=$(mktemp -d "${TMPDIR:-/tmp}/sweep.XXXXXX")
(
    "${launcher[@]}" "${cmd[@]}" "${threads[@]}" \
        -o "$out/$name.h5" --checkpoint-dir "$out/$name.ckpt" --resume auto -q &
    child=$!
    trap '' USR1 TERM
    echo "$child" >"$run/pid"
    wait "$child"
    echo "$?" >"$run/status"
) &
wrapper=$!
got=""
forward() {  # builtins only: no fork inside a trap
    got="$got $1"
    local pid=""
    [ -s "$run/pid" ] && read -r pid <"$run/pid"
    [ -n "$pid" ] && kill -s "$1" "$pid" 2>/dev/null
}
trap 'forward USR1' USR1
trap 'forward TERM' TERM
while kill -0 "$wrapper" 2>/dev/null; do wait "$wrapper"; done
rc=255
[ -s "$run/status" ] && read -r rc <"$run/status"
rm -rf "$run"
[ -z "$got" ] || log "got SIG${got# } and passed it on to mdlbench"
if [ "$rc" -eq 75 ] && [[ "$got" == *TERM* ]]; then
    # SIGTERM: scancel, the time limit, or preemption (which requeues by itself when
    # PreemptMode=REQUEUE); requeueing here would undo a scancel
    log "mdlbench checkpointed and stopped on SIGTERM (exit 75); not requeued"
    exit 75
fi
if [ "$rc" -eq 75 ]; then
    if [ -n "${SLURM_ARRAY_JOB_ID:-}" ]; then
        jid="${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"
    else
        jid="${SLURM_JOB_ID:-}"
    fi
    log "mdlbench checkpointed and stopped (exit 75); requeueing $jid"
    if [ -n "$jid" ] && scontrol requeue "$jid"; then exit 0; fi
    log "scontrol requeue failed; resubmit the sweep to continue from the checkpoint"
    exit 75
fi
log "mdlbench exited with $rc"
exit "$rc"
'''


def batch_script(sw, indices):
    s, out, q = sw["slurm"], sw["out"], shlex.quote
    lines = ["#!/bin/bash",
             f"# Slurm array job written by scripts/sweep.py from {sw['path']}:",
             f"# {len(sw['jobs'])} jobs = {len(sw['models'])} models x {len(sw['corpora'])} "
             f"corpora x {len(sw['seeds'])} seeds; results in {out}",
             f"#SBATCH --job-name={sw['name']}",
             f"#SBATCH --array={array_spec(indices, s.get('max_parallel', 0))}",
             f"#SBATCH --output={out}/logs/%x_%A_%a.out",
             f"#SBATCH --error={out}/logs/%x_%A_%a.err",
             "#SBATCH --open-mode=append",
             "#SBATCH --requeue"]
    if s["signal_seconds"]:
        lines.append(f"#SBATCH --signal=B:USR1@{s['signal_seconds']}")
    for key, opt in (("partition", "partition"), ("ntasks", "ntasks"),
                     ("cpus_per_task", "cpus-per-task"), ("gpus", "gpus"),
                     ("time", "time"), ("mem", "mem")):
        if key in s and not (key == "gpus" and s[key] == 0):
            lines.append(f"#SBATCH --{opt}={s[key]}")
    for x in s["extra"]:
        lines.append(x if x.startswith("#SBATCH") else f"#SBATCH {x}")
    own_threads = any(a == "--threads" or a.startswith("--threads=") for a in sw["args"])
    lines += ["", *sw["setup"], "",
              f"out={q(out)}",
              f"launcher=({' '.join(q(x) for x in sw['launcher'])})",
              f"auto_threads={0 if own_threads else 1}",
              'case "${SLURM_ARRAY_TASK_ID:?not a Slurm array task}" in']
    for i, j in enumerate(sw["jobs"]):
        lines.append(f"{i}) name={q(j['name'])}")
        lines.append(f"   cmd=({' '.join(q(x) for x in j['cmd'])}) ;;")
    lines += ['*) echo "sweep: no job $SLURM_ARRAY_TASK_ID in this sweep" >&2; exit 2 ;;',
              "esac"]
    return "\n".join(lines) + BODY


# ---- modes -----------------------------------------------------------------------------

def submit(sw, script):
    idx = pending(sw)
    if not idx:
        print(f"{PROG}: all {len(sw['jobs'])} results exist in {sw['out']}; nothing submitted",
              file=sys.stderr)
        return 0
    os.makedirs(os.path.join(sw["out"], "logs"), exist_ok=True)
    path = os.path.join(sw["out"], "sweep.sbatch")
    with open(path, "w", encoding="utf-8") as f:
        f.write(script)
    try:
        r = subprocess.run(["sbatch", "--parsable", path], capture_output=True, text=True)
    except FileNotFoundError:
        print(f"{PROG}: error: sbatch not found (is Slurm installed here?)", file=sys.stderr)
        return 1
    if r.returncode != 0:
        msg = (r.stderr.strip().splitlines() or [f"exit code {r.returncode}"])[-1]
        print(f"{PROG}: error: sbatch {path}: {msg}", file=sys.stderr)
        return 1
    jobid = r.stdout.strip().split(";")[0]
    print(jobid)
    print(f"{PROG}: submitted array job {jobid}: {len(idx)} of {len(sw['jobs'])} jobs, "
          f"script {path}, logs in {sw['out']}/logs", file=sys.stderr)
    return 0


def run_forwarding(cmd):
    """Runs cmd; SIGTERM and SIGUSR1 to this process go to it (it then checkpoints and exits
    with 75), and Ctrl-C (which reaches it too) waits for it to stop at the end of a step."""
    p = subprocess.Popen(cmd)
    forward = lambda sig, _frame: p.send_signal(sig)  # noqa: E731
    old = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGUSR1)}
    try:
        while True:
            try:
                return p.wait()
            except KeyboardInterrupt:
                continue
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


def run_local(sw):
    os.makedirs(sw["out"], exist_ok=True)
    failed, n = [], len(sw["jobs"])
    for i, j in enumerate(sw["jobs"]):
        h5 = os.path.join(sw["out"], j["name"] + ".h5")
        if os.path.exists(h5):
            print(f"[{i + 1}/{n}] {j['name']}: {h5} exists; skipped", flush=True)
            continue
        os.makedirs(os.path.join(sw["out"], j["name"] + ".ckpt"), exist_ok=True)
        cmd = j["cmd"] + output_args(sw["out"], j["name"])
        print(f"[{i + 1}/{n}] {j['name']}: {shlex.join(cmd)}", flush=True)
        rc = run_forwarding(cmd)
        if rc == PREEMPTED:
            print(f"{PROG}: {j['name']} checkpointed and stopped (exit 75); run the sweep "
                  "again to resume", file=sys.stderr)
            return PREEMPTED
        if rc == 130:
            print(f"{PROG}: {j['name']} interrupted", file=sys.stderr)
            return 130
        if rc != 0:
            print(f"{PROG}: {j['name']} failed (exit {rc})", file=sys.stderr)
            failed.append(j["name"])
    if failed:
        print(f"{PROG}: error: {len(failed)} of {n} jobs failed: {', '.join(failed)}",
              file=sys.stderr)
        return 1
    return 0


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog=PROG, description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sweep", metavar="SWEEP.yaml", help="the sweep file")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", dest="mode", action="store_const", const="dry",
                      help="print the Slurm array script (the default)")
    mode.add_argument("--submit", dest="mode", action="store_const", const="submit",
                      help="write OUT/sweep.sbatch, submit it with sbatch, print the job id")
    mode.add_argument("--local", dest="mode", action="store_const", const="local",
                      help="run the jobs here, one after another, without Slurm")
    ap.add_argument("--out", metavar="DIR", help="output folder (default: the sweep's out:)")
    args = ap.parse_args(argv)
    args.mode = args.mode or "dry"
    return args


def main(argv):
    args = parse_args(argv)
    try:
        sw = parse_sweep(args.sweep, args.out)
        if args.mode != "dry":
            check_inputs(sw)
    except SweepError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    if args.mode == "local":
        return run_local(sw)
    idx = pending(sw)
    if not idx and args.mode == "dry":
        print(f"{PROG}: note: all {len(sw['jobs'])} results exist in {sw['out']}; --submit "
              "would submit nothing", file=sys.stderr)
    script = batch_script(sw, idx or list(range(len(sw["jobs"]))))
    if args.mode == "dry":
        sys.stdout.write(script)
        return 0
    return submit(sw, script)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
