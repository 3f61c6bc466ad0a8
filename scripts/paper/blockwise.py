#!/usr/bin/python3
"""The block-wise prequential code (Blier & Ollivier 2018, "The Description Length of Deep
Learning Models"; Voita & Titov 2020, "Information-Theoretic Probing with Minimum
Description Length") beside the single-pass online code of the same model and corpus.

The corpus (its documents concatenated in mdlbench's order: N bytes) is cut at the
boundaries floor(p N / 100) for p in --blocks (default 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.25,
12.5, 25, 50, 100). Block 1 is coded with the uniform code, 8 bits per byte. Block i+1 is
coded, from the begin symbol, by a model trained from the initial weights on blocks 1..i:
the last --val-fraction of those bytes is held out as the stopping split, the rest is
trained on for --passes passes, and the weights after the pass with the fewest bits on
the split code the block (the first such pass on ties). A decoder can repeat all of it
from the bytes it has decoded, so the sum is a code length.

Each block takes two `mdlbench train` runs with the same trained bytes, which therefore
train identically (checked: equal per-pass training bits): one holds out the split and
picks the pass, one holds out the block and gives its bits after every pass. Rerunning
the same command reuses the blocks whose results files exist, and a block's run that
was preempted (SIGTERM or SIGUSR1: Slurm) continues from its checkpoint (--resume auto),
so a long run continues where it was stopped.

  scripts/paper/blockwise.py --corpus PATH [--corpus PATH ...] [-c CONFIG]
      [--set KEY=VALUE ...] [--passes 4] [--val-fraction 0.1] [--blocks P,P,...]
      [--threads N] [-o OUTDIR]

writes OUTDIR/online.h5, OUTDIR/block-I/{split,block}.h5 (each with its command in
.h5.cmd), OUTDIR/blockwise.{json,md,csv}
(one row per block, with the exact commands) and OUTDIR/blockwise.png (cumulative bits of
both codes against bytes). Exit 1 with one line on any failure.
"""
import argparse
import csv
import json
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), ".."))
import mdlresults  # noqa: E402  (scripts/mdlresults.py)
from mdlresults import Fail  # noqa: E402

BLOCKS = (0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.25, 12.5, 25, 50, 100)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", action="append", required=True, help="file or directory "
                   "(repeatable), as for mdlbench train")
    p.add_argument("-c", "--config", help="mdlbench config (YAML) of the model")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="passed to every mdlbench train")
    p.add_argument("--passes", type=int, default=4, help="passes per block (default 4)")
    p.add_argument("--val-fraction", type=float, default=0.1,
                   help="share of the seen bytes held out to pick the pass (default 0.1)")
    p.add_argument("--blocks", default=",".join(str(b) for b in BLOCKS),
                   help="block ends in percent of the corpus, increasing, the last 100")
    mdlresults.add_run_options(p, "blockwise")
    a = p.parse_args(argv)
    a.blocks = mdlresults.increasing(p, "--blocks", a.blocks, float)
    if a.blocks[0] <= 0 or a.blocks[-1] != 100:
        p.error("--blocks: percentages must increase from above 0 and end at 100")
    if a.passes < 1:
        p.error("--passes must be at least 1")
    if not 0 < a.val_fraction < 1:
        p.error("--val-fraction must lie strictly between 0 and 1")
    return a


def boundaries(n, blocks):
    """Block ends floor(p n / 100), the empty blocks dropped; the last is n."""
    ends = []
    for p in blocks:
        e = n if p == 100 else math.floor(p * n / 100)
        if e > (ends[-1] if ends else 0):
            ends.append(e)
    return ends


def h5(path):
    import h5py
    return h5py.File(path, "r")


def corpus_bytes(path):
    """The documents of a results file concatenated in corpus order (mdlbench's)."""
    with h5(path) as f:
        names = [mdlresults.text(n) for n in f["documents/resolved"][:]]
        sizes = f["documents/bytes"][:]
    data = bytearray()
    for name, n in zip(names, sizes):
        with open(name, "rb") as fh:
            b = fh.read()
        if len(b) != n:
            raise Fail(f"{name}: {len(b)} bytes now, {n} when it was coded")
        data += b
    return bytes(data)


def write(path, data):
    if not (os.path.exists(path) and open(path, "rb").read() == data):
        with open(path, "wb") as f:
            f.write(data)


def run_once(a, out, corpus, sets, extra):
    """mdlbench train into out unless out exists; returns the command that made it (kept
    in out + ".cmd", so that a rerun reports it too)."""
    if not os.path.exists(out):
        cmd = mdlresults.train_run(a.mdlbench, corpus, out, a.config, sets, a.threads, extra,
                                   resume=True)
        with open(out + ".cmd", "w") as f:
            f.write(" ".join(cmd))
    with open(out + ".cmd") as f:
        return f.read()


def train(a, out, trained, held, passes):
    """The file `trained` trained on, `held` held out."""
    sets = list(a.set) + [f"train.passes={passes}", "run.two_part=false"]
    extra = ["--corpus", held, "--holdout", os.path.basename(held)]
    return run_once(a, out, trained, sets, extra)


def passes_of(path):
    with h5(path) as f:
        return [float(x) for x in f["passes/train_bits"][:]], \
               [float(x) for x in f["passes/heldout_bits"][:]]


def code_block(a, data, i, lo, hi):
    """Block [lo, hi) coded by the model trained on [0, lo): its row."""
    d = os.path.join(a.out, f"block-{i}")
    os.makedirs(d, exist_ok=True)
    cut = lo - max(1, math.floor(a.val_fraction * lo))
    if cut < 1:
        raise Fail(f"block {i}: {lo} seen bytes leave nothing to train on beside the split "
                   "(fewer --blocks at the start, or a larger corpus)")
    files = {k: os.path.join(d, f"{k}.bin") for k in ("train", "split", "block")}
    write(files["train"], data[:cut])
    write(files["split"], data[cut:lo])
    write(files["block"], data[lo:hi])
    cmds = {}
    for k in ("split", "block"):
        cmds[k] = train(a, os.path.join(d, f"{k}.h5"), files["train"], files[k], a.passes)
    train_a, split_bits = passes_of(os.path.join(d, "split.h5"))
    train_b, block_bits = passes_of(os.path.join(d, "block.h5"))
    if train_a != train_b:
        raise Fail(f"block {i}: the two runs trained differently (per-pass bits "
                   f"{train_a} and {train_b}): a nondeterministic build?")
    best = min(range(len(split_bits)), key=lambda e: (split_bits[e], e))
    return {"block": i + 1, "start": lo, "end": hi, "bytes": hi - lo,
            "bits": block_bits[best], "bpb": block_bits[best] / (hi - lo),
            "trained_bytes": cut, "split_bytes": lo - cut, "pass": best + 1,
            "split_bits": split_bits, "block_bits": block_bits,
            "commands": cmds}


def online(a):
    out = os.path.join(a.out, "online.h5")
    extra = [x for c in a.corpus[1:] for x in ("--corpus", c)]
    cmd = run_once(a, out, a.corpus[0], list(a.set) + ["train.passes=1", "run.two_part=false"],
                   extra)
    with h5(out) as f:
        s = f["summary"].attrs
        curve = (f["curve/bytes"][:].cumsum().tolist(), f["curve/cum_bits"][:].tolist())
        return out, float(s["preq_bits"]), int(s["corpus_bytes"]), curve, cmd


def report(a, rows, n, online_bits, online_cmd):
    total = sum(r["bits"] for r in rows)
    summary = {"bytes": n, "uniform_bits": 8.0 * n, "blockwise_bits": total,
               "blockwise_bpb": total / n, "online_bits": online_bits,
               "online_bpb": online_bits / n, "blockwise_compression": 8.0 * n / total,
               "online_compression": 8.0 * n / online_bits, "passes": a.passes,
               "val_fraction": a.val_fraction, "blocks": a.blocks,
               "command": " ".join(sys.argv), "online_command": online_cmd}
    with open(os.path.join(a.out, "blockwise.json"), "w") as f:
        json.dump({"summary": summary, "rows": rows}, f, indent=1)
    cols = ["block", "start", "end", "bytes", "bits", "bpb", "trained_bytes", "split_bytes",
            "pass"]
    with open(os.path.join(a.out, "blockwise.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        w.writerows([[r[c] for c in cols] for r in rows])
    lines = ["| block | bytes [start, end) | bits | bits/byte | pass chosen |",
             "|---:|---|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['block']} | [{r['start']:,}, {r['end']:,}) | {r['bits']:.1f} | "
                     f"{r['bpb']:.4f} | {r['pass'] or '-'} |")
    lines += ["", f"block-wise {total:.1f} bits = {total / n:.4f} bits/byte (compression "
              f"{8.0 * n / total:.3f}); online, one pass: {online_bits:.1f} bits = "
              f"{online_bits / n:.4f} bits/byte (compression {8.0 * n / online_bits:.3f}); "
              f"{n:,} bytes"]
    with open(os.path.join(a.out, "blockwise.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


def plot(a, rows, curve):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("blockwise.py: no matplotlib, no plot", file=sys.stderr)
        return
    xs, ys, acc = [0], [0.0], 0.0
    for r in rows:
        acc += r["bits"]
        xs.append(r["end"])
        ys.append(acc)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(xs, ys, "o-", label="block-wise")
    ax.plot([0] + curve[0], [0.0] + curve[1], label="online, one pass")
    ax.plot([0, xs[-1]], [0, 8.0 * xs[-1]], ":", color="grey", label="uniform, 8 bits/byte")
    ax.set_xlabel("bytes")
    ax.set_ylabel("cumulative code length (bits)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(a.out, "blockwise.png"), dpi=120)


def main(argv):
    a = parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    path, online_bits, n, curve, online_cmd = online(a)
    data = corpus_bytes(path)
    if len(data) != n:
        raise Fail(f"{path}: {n} bytes coded, {len(data)} in its documents now")
    ends = boundaries(n, a.blocks)
    rows = [{"block": 1, "start": 0, "end": ends[0], "bytes": ends[0], "bits": 8.0 * ends[0],
             "bpb": 8.0, "trained_bytes": 0, "split_bytes": 0, "pass": None}]
    for i in range(1, len(ends)):
        rows.append(code_block(a, data, i, ends[i - 1], ends[i]))
        r = rows[-1]
        print(f"block {r['block']}/{len(ends)}: {r['bpb']:.4f} bits/byte", file=sys.stderr)
    report(a, rows, n, online_bits, online_cmd)
    plot(a, rows, curve)


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except Fail as e:
        sys.exit(f"blockwise.py: {e}")
