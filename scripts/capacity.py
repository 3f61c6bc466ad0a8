#!/usr/bin/env python3
"""Capacity in bits per parameter (Morris et al. 2025, "How much do language models
memorize?", arXiv 2505.24832): how many bits a model of a given size can store at all.

For each data size N the script writes N bytes of uniform random symbols from an alphabet
of 2^b byte values (numpy's PCG64 from --seed, so nothing is downloaded; the entropy is
exactly H = b bits per byte), cut into documents of --doc-bytes, trains the model
--passes times over them (`mdlbench train`, train.passes) and codes the data with the
final weights: memorised bits = N H - L(D | theta_final), both summed in fp64 (L from the
results file's final_bits). The capacity is the plateau: the largest memorised bits over
the sizes, in bits per parameter (every parameter of the model, embeddings included; use a
model without the hashed n-gram table, model.ngram_order=0, or its rows count too).
Morris et al. measure about 3.6 bits per parameter for GPT-style models trained to
convergence (a little less in bf16, a little more in fp32).

The column memorised_at_half is N H - L(D | theta) after the first ceil(E/2) passes (from
/passes/eval_bits): far below memorised_bits, the runs are not converged and more passes
would store more. Writes OUT/N.h5 per size, OUT/summary.{txt,md,csv,json} (with the exact
commands) and OUT/capacity.png (memorised bits against N H, with the 3.6 bits/parameter line, and
memorised bits after every pass per size).

Usage: scripts/capacity.py -c CONFIG --sizes 1024,4096,16384 [--passes 100] [--bits 8]
           [--doc-bytes 64] [--seed 1] [--set KEY=VALUE]... [--threads N] [-o OUT]
"""
import argparse
import csv
import json
import os
import sys

from mdlresults import Fail, default_binary, train_run

MORRIS_BITS_PER_PARAM = 3.6


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-c", "--config", help="mdlbench config (YAML) of the model")
    p.add_argument("--set", action="append", default=[], help="KEY=VALUE, passed to mdlbench")
    p.add_argument("--sizes", required=True, help="data sizes in bytes, e.g. 1024,4096,16384")
    p.add_argument("--passes", type=int, default=100, help="train.passes (default 100)")
    p.add_argument("--bits", type=int, default=8, help="b: 2^b symbols, H = b bits/byte (1-8)")
    p.add_argument("--doc-bytes", type=int, default=64, help="document length (default 64)")
    p.add_argument("--seed", type=int, default=1, help="the data's seed (default 1)")
    p.add_argument("--threads", type=int, default=0, help="mdlbench --threads (0: all cores)")
    p.add_argument("-o", "--out", default="capacity", help="output directory (default capacity)")
    p.add_argument("--binary", default=default_binary(), help="the mdlbench binary")
    a = p.parse_args(argv)
    try:
        a.sizes = [int(n) for n in a.sizes.split(",")]
    except ValueError:
        raise Fail(f"--sizes {a.sizes}: expected byte counts separated by commas")
    if not a.sizes or min(a.sizes) < 1:
        raise Fail("--sizes: every size must be 1 byte or more")
    if not 1 <= a.bits <= 8:
        raise Fail(f"--bits {a.bits}: expected 1 to 8")
    if a.doc_bytes < 1 or a.passes < 1:
        raise Fail("--doc-bytes and --passes must be 1 or more")
    return a


def write_data(a, n, where):
    """n uniform symbols of b bits as files of doc_bytes; returns the symbol counts."""
    import numpy as np
    os.makedirs(where, exist_ok=True)
    for f in os.listdir(where):
        os.remove(os.path.join(where, f))
    rng = np.random.Generator(np.random.PCG64([a.seed, a.bits, n]))
    data = rng.integers(0, 1 << a.bits, size=n, dtype=np.uint8)
    for i, start in enumerate(range(0, n, a.doc_bytes)):
        with open(os.path.join(where, f"doc{i:07d}.bin"), "wb") as f:
            f.write(data[start:start + a.doc_bytes].tobytes())
    return np.bincount(data, minlength=256)


def train(a, corpus, out):
    sets = [f"train.passes={a.passes}", "run.two_part=false"] + a.set
    return train_run(a.binary, corpus, out, a.config, sets, a.threads)


def measure(a):
    import h5py
    os.makedirs(a.out, exist_ok=True)
    rows, commands = [], []
    for n in a.sizes:
        counts = write_data(a, n, os.path.join(a.out, f"data-{n}"))
        h5 = os.path.join(a.out, f"{n}.h5")
        commands.append(train(a, os.path.join(a.out, f"data-{n}"), h5))
        with h5py.File(h5, "r") as f:
            s = f["summary"].attrs
            coded, final, params = int(s["corpus_bytes"]), float(s["final_bits"]), int(s["n_params"])
            per_pass = [float(b) for b in f["passes/eval_bits"][:]]  # L(D | theta) after each pass
        if coded != n or int(counts.sum()) != n:
            raise Fail(f"{h5}: {coded} bytes coded, {n} written")
        if len(per_pass) != a.passes or per_pass[-1] != final:
            raise Fail(f"{h5}: {len(per_pass)} passes logged, the last not the final bits")
        nh = float(n) * a.bits  # exact: the generator's entropy, not the sample's
        half = nh - per_pass[(a.passes + 1) // 2 - 1]
        rows.append({"bytes": n, "data_bits": nh, "final_bits": final, "memorised_bits": nh - final,
                     "bits_per_param": (nh - final) / params, "final_share": final / nh,
                     "memorised_at_half": half, "n_params": params, "results": h5,
                     "memorised_per_pass": [nh - b for b in per_pass]})
    best = max(rows, key=lambda r: r["memorised_bits"])
    return rows, commands, {"capacity_bits": best["memorised_bits"],
                            "bits_per_param": best["bits_per_param"], "at_bytes": best["bytes"],
                            "n_params": best["n_params"], "passes": a.passes, "bits": a.bits,
                            "morris_bits_per_param": MORRIS_BITS_PER_PARAM}


COLUMNS = ("bytes", "data_bits", "final_bits", "memorised_bits", "bits_per_param", "final_share",
           "memorised_at_half")


def write_summary(a, rows, commands, cap):
    def cells(r):
        return [str(r["bytes"])] + [f"{r[c]:.1f}" for c in COLUMNS[1:4]] + \
               [f"{r['bits_per_param']:.4f}", f"{r['final_share']:.4f}",
                f"{r['memorised_at_half']:.1f}"]
    head = (f"capacity {cap['capacity_bits']:.1f} bits = {cap['bits_per_param']:.4f} bits per "
            f"parameter ({cap['n_params']} parameters, at {cap['at_bytes']} bytes, {a.passes} "
            f"passes, H = {a.bits} bits/byte); Morris et al. 2025: about "
            f"{MORRIS_BITS_PER_PARAM} bits per parameter")
    with open(os.path.join(a.out, "summary.txt"), "w") as f:
        f.write(head + "\n" + "".join(f"{c:>18}" for c in COLUMNS) + "\n")
        for r in rows:
            f.write("".join(f"{v:>18}" for v in cells(r)) + "\n")
    with open(os.path.join(a.out, "summary.md"), "w") as f:
        f.write(head + "\n\n| " + " | ".join(COLUMNS) + " |\n|" + "---:|" * len(COLUMNS) + "\n")
        for r in rows:
            f.write("| " + " | ".join(cells(r)) + " |\n")
        f.write("\nCommands (after the data were written by scripts/capacity.py):\n\n" +
                "".join("    " + " ".join(c) + "\n" for c in commands))
    with open(os.path.join(a.out, "summary.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS + ("n_params", "results"))
        for r in rows:
            w.writerow([r[c] for c in COLUMNS] + [r["n_params"], r["results"]])
    with open(os.path.join(a.out, "summary.json"), "w") as f:
        json.dump({"capacity": cap, "rows": rows, "commands": commands}, f, indent=1)
        f.write("\n")


def plot(a, rows, cap):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4))
    x = [r["data_bits"] for r in rows]
    ax.plot(x, [r["memorised_bits"] for r in rows], "o-", label="memorised bits (N H - L)")
    ax.plot(x, x, ":", color="grey", label="all of it (N H)")
    for axis in (ax, bx):
        axis.axhline(MORRIS_BITS_PER_PARAM * cap["n_params"], color="C3", ls="--",
                     label=f"{MORRIS_BITS_PER_PARAM} bits/parameter (Morris et al. 2025)")
    ax.set_xscale("log")
    ax.set_xlabel("data: N H bits")
    ax.set_ylabel("bits")
    ax.set_title(f"Capacity: {cap['n_params']:,} parameters, {a.passes} passes; "
                 f"{cap['bits_per_param']:.2f} bits/parameter", fontsize=10)
    ax.legend(fontsize=8)
    for r in rows:  # the convergence: memorised bits after every pass
        m = r["memorised_per_pass"]
        bx.plot(range(1, len(m) + 1), m, label=f"{r['bytes']} bytes")
    bx.set_xscale("log")
    bx.set_xlabel("pass")
    bx.set_ylabel("memorised bits after the pass")
    bx.set_title("Convergence", fontsize=10)
    bx.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(a.out, "capacity.png"), dpi=120)
    plt.close(fig)


def main(argv):
    try:
        a = parse_args(argv)
        rows, commands, cap = measure(a)
        write_summary(a, rows, commands, cap)
        plot(a, rows, cap)
    except Fail as e:
        print(f"capacity.py: {e}", file=sys.stderr)
        return 1
    print(open(os.path.join(a.out, "summary.txt")).read(), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
