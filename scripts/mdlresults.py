"""Small helpers the scripts share for reading mdlbench results files (HDF5, h5py).

Python puts a script's own folder first on the import path, so scripts/*.py import this
module by name.
"""
import os
import shutil
import subprocess


def stem_of(path):
    """The run name of a results file: its base name without .partial/.h5/.hdf5."""
    base = os.path.basename(path)
    for suffix in (".partial", ".h5", ".hdf5"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
    return base or path


def attr(obj, name, default=None):
    """An HDF5 attribute of obj (None or missing: default), bytes decoded to str."""
    if obj is None or name not in obj.attrs:
        return default
    return text(obj.attrs[name])


def text(v):
    """A value read from HDF5 as str when it is bytes, else unchanged."""
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else v


def default_binary():
    """build/mdlbench of a source tree when there is one here, else the mdlbench installed
    beside this script (PREFIX/share/mdlbench/scripts -> PREFIX/bin), else the one on PATH."""
    if os.path.exists("build/mdlbench"):
        return "build/mdlbench"
    here = os.path.dirname(os.path.realpath(__file__))
    installed = os.path.normpath(os.path.join(here, "..", "..", "..", "bin", "mdlbench"))
    if os.path.exists(installed):
        return installed
    return shutil.which("mdlbench") or "build/mdlbench"


def add_run_options(parser, out):
    """The options every script that runs mdlbench takes: --threads, -o/--out (default
    out) and --mdlbench."""
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (default all)")
    parser.add_argument("-o", "--out", default=out, help=f"output directory (default {out})")
    parser.add_argument("--mdlbench", default=default_binary(), help="the mdlbench binary")


def increasing(parser, option, text, kind):
    """The comma-separated values of option as kind, strictly increasing; parser.error
    (exit 2 with one line) otherwise."""
    try:
        values = [kind(x) for x in text.split(",")]
    except ValueError:
        parser.error(f"{option}: not a comma-separated list of numbers: {text!r}")
    if any(y <= x for x, y in zip(values, values[1:])):
        parser.error(f"{option}: the values must increase: {text!r}")
    return values


class Fail(Exception):
    """An error a script reports in one line (its message) before exiting 1."""


def train_run(binary, corpus, out, config=None, sets=(), threads=0, extra=(), resume=False):
    """Runs `mdlbench train` on corpus into out (an existing out is replaced): -c config,
    each KEY=VALUE of sets as --set in order, --threads when threads, then the arguments
    of extra; with resume, --resume auto (a run preempted by SIGTERM or SIGUSR1 before
    continues from its checkpoint). Returns the command; raises Fail with mdlbench's
    message when it fails."""
    cmd = [binary, "train", "--corpus", corpus, "-q", "-o", out]
    if config:
        cmd += ["-c", config]
    for kv in sets:
        cmd += ["--set", kv]
    if threads:
        cmd += ["--threads", str(threads)]
    cmd += list(extra)
    if resume:
        cmd += ["--resume", "auto"]
    if os.path.exists(out):
        os.remove(out)
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise Fail(f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr.strip()}")
    return cmd
