#!/usr/bin/python3
"""Where online training starts to beat the classical compressors: the prequential bits
per byte of each model on growing prefixes of a corpus, beside xz -9e, bzip2 -9, zstd -19
and brotli -11 on the same prefixes (`mdlbench baselines`: the libraries, sizes equal to
the reference tools' outputs).

The corpus (its documents concatenated in mdlbench's order: directories walked with names
sorted bytewise, each file kept once) is cut into prefixes of --sizes bytes (each size at
most the corpus); every model of -c (repeatable) codes every prefix in one prequential pass
(`mdlbench train`, train.passes=1, no final evaluation). For each model and compressor the
table gives the first size at which the model's bits per byte are below the compressor's;
where no measured size is, the crossing of the two straight lines through their last two
points (bits per byte against log bytes) is given instead, labelled as an extrapolation
(none where the lines do not meet beyond the data).

  scripts/paper/crossover.py --corpus PATH [--corpus PATH ...] -c CONFIG [-c CONFIG ...]
      [--sizes 10000,30000,...] [--set KEY=VALUE ...] [--threads N] [-o OUTDIR]

writes OUTDIR/prefix-SIZE.bin, OUTDIR/MODEL-SIZE.h5 (reused when present, and a run
preempted by SIGTERM or SIGUSR1 continues from its checkpoint, so a stopped sweep
continues), OUTDIR/crossover.{json,md} and OUTDIR/crossover.png (bits per byte
against bytes, log x). Exit 1 with one line on any failure.
"""
import argparse
import json
import math
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), ".."))
import mdlresults  # noqa: E402  (scripts/mdlresults.py)
from mdlresults import Fail  # noqa: E402

SIZES = (10000, 30000, 100000, 300000, 1000000)
CODECS = "xz:9e,bzip2:9,zstd:19,brotli:11"


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", action="append", required=True, help="file or directory "
                   "(repeatable)")
    p.add_argument("-c", "--config", action="append", required=True,
                   help="a model's mdlbench config (repeatable)")
    p.add_argument("--sizes", default=",".join(str(s) for s in SIZES),
                   help="prefix sizes in bytes, increasing")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="passed to every mdlbench train")
    p.add_argument("--codecs", default=CODECS, help=f"mdlbench baselines --codecs "
                   f"(default {CODECS})")
    mdlresults.add_run_options(p, "crossover")
    a = p.parse_args(argv)
    a.sizes = mdlresults.increasing(p, "--sizes", a.sizes, int)
    if a.sizes[0] < 1:
        p.error("--sizes must be positive")
    return a


def corpus_files(paths):
    """mdlbench's document order: arguments in order, directories walked sorted bytewise,
    each file (by resolved path) once."""
    seen, files = set(), []

    def add(path):
        real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            files.append(path)

    for p in paths:
        if os.path.isdir(p):
            found = []
            for root, _, names in os.walk(p, followlinks=True):
                found += [os.path.join(root, n) for n in names]
            for f in sorted(found, key=os.fsencode):
                if os.path.isfile(f):
                    add(f)
        elif os.path.isfile(p):
            add(p)
        else:
            raise Fail(f"{p}: no such file or directory")
    return files


def prefix(files, n):
    data = bytearray()
    for f in files:
        with open(f, "rb") as fh:
            data += fh.read(n - len(data))
        if len(data) >= n:
            break
    return bytes(data)


def model_name(config):
    base = os.path.basename(config)
    return base[:-5] if base.endswith(".yaml") else base


def model_bpb(a, config, path, size):
    out = os.path.join(a.out, f"{model_name(config)}-{size}.h5")
    if not os.path.exists(out):
        mdlresults.train_run(a.mdlbench, path, out, config,
                             list(a.set) + ["train.passes=1", "run.eval_final=false"],
                             a.threads, resume=True)
    import h5py
    with h5py.File(out, "r") as f:
        return float(f["summary"].attrs["preq_bpb"])


def codec_bpb(a, path):
    cmd = [a.mdlbench, "baselines", "--corpus", path, "--codecs", a.codecs, "--orders",
           "none", "--iterations", "1", "--min-time", "0", "--no-documents", "--format",
           "json", "-q"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise Fail(f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr.strip()}")
    return {f"{b['codec']} -{b['level']}": b["bpb"] for b in json.loads(r.stdout)
            if b["kind"] == "codec"}  # not the order-0 entropy row baselines adds


def crossing(sizes, model, codec):
    """(size, measured): the first measured size where model < codec, else the
    extrapolated crossing of the lines through the last two points, else (None, False)."""
    for s, m, c in zip(sizes, model, codec):
        if m < c:
            return s, True
    if len(sizes) < 2:
        return None, False
    x0, x1 = math.log(sizes[-2]), math.log(sizes[-1])
    dm = (model[-1] - model[-2]) / (x1 - x0)
    dc = (codec[-1] - codec[-2]) / (x1 - x0)
    if dm >= dc:  # the model's line does not fall faster: they never meet beyond the data
        return None, False
    x = x1 + (model[-1] - codec[-1]) / (dc - dm)
    return math.exp(x), False


def write_outputs(a, sizes, models, codecs):
    names = list(models) + list(codecs)
    lines = ["| bytes | " + " | ".join(names) + " |", "|---:|" + "---:|" * len(names)]
    for i, s in enumerate(sizes):
        vals = [models[m][i] for m in models] + [codecs[c][i] for c in codecs]
        lines.append(f"| {s:,} | " + " | ".join(f"{v:.4f}" for v in vals) + " |")
    lines += ["", "First size at which each model codes below each compressor (bits per byte):",
              "", "| model | " + " | ".join(codecs) + " |", "|---|" + "---|" * len(codecs)]
    cross = {}
    for m in models:
        cells = []
        for c in codecs:
            s, measured = crossing(sizes, models[m], codecs[c])
            cross[f"{m} vs {c}"] = {"bytes": s, "measured": measured}
            cells.append("never (lines diverge)" if s is None else
                         f"{s:,}" if measured else f"~{s:,.0f} (extrapolated)")
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    with open(os.path.join(a.out, "crossover.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(a.out, "crossover.json"), "w") as f:
        json.dump({"sizes": sizes, "models": models, "codecs": codecs, "crossover": cross,
                   "command": " ".join(sys.argv), "set": a.set}, f, indent=1)
    print("\n".join(lines))


def plot(a, sizes, models, codecs):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("crossover.py: no matplotlib, no plot", file=sys.stderr)
        return
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for m, v in models.items():
        ax.plot(sizes, v, "o-", label=m)
    for c, v in codecs.items():
        ax.plot(sizes, v, "s--", label=c)
    ax.set_xscale("log")
    ax.set_xlabel("bytes (prefix of the corpus)")
    ax.set_ylabel("bits per byte")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(a.out, "crossover.png"), dpi=120)


def main(argv):
    a = parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    files = corpus_files(a.corpus)
    total = sum(os.path.getsize(f) for f in files)
    sizes = [s for s in a.sizes if s <= total]
    if not sizes:
        raise Fail(f"the corpus has {total} bytes, less than the smallest size")
    models = {model_name(c): [] for c in a.config}
    codecs = {}
    for s in sizes:
        path = os.path.join(a.out, f"prefix-{s}.bin")
        data = prefix(files, s)
        if not (os.path.exists(path) and open(path, "rb").read() == data):
            with open(path, "wb") as f:
                f.write(data)
        for name, bpb in codec_bpb(a, path).items():
            codecs.setdefault(name, []).append(bpb)
        for c in a.config:
            models[model_name(c)].append(model_bpb(a, c, path, s))
        print(f"{s} bytes: " + ", ".join(f"{m} {v[-1]:.4f}" for m, v in models.items()),
              file=sys.stderr)
    write_outputs(a, sizes, models, codecs)
    plot(a, sizes, models, codecs)


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except Fail as e:
        sys.exit(f"crossover.py: {e}")
