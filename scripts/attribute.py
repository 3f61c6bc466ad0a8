#!/usr/bin/env python3
"""Per-work memorisation, counterfactual, in bits: how much of one work w the trained
weights hold beyond what they would know without it.

For a work w (one document of the corpus) the script trains with the same configuration
and seed:
  - once without w: w is held out (--holdout), so the final weights code it without
    having seen it: L(w | theta_without);
  - once per duplicate count k (--copies, default 1,2,4,8) with k copies of w in the
    corpus, as separate documents: L(w | theta_with_k), the mean of the copies' final bits.
Memorised bits of w at k copies = L(w | theta_without) - L(w | theta_with_k) (Morris et
al. 2025's unintended memorisation with the model trained without w as the reference).
Beside it: the prequential bits of the first and the last copy (what the online learner
paid for w the first time and the k-th time), the extraction rate of the copies (with
analysis.extract_samples set: the share of sampled windows decoded exactly) and the
held-out gap of the run without w (w's bpb minus the trained documents'), and with
train.passes > 1 the memorised bits after every pass (from /passes/document_bits: w's
bits under the weights at the end of each pass, in both runs). The corpus of every run
is the other documents plus the copies, linked (the others)
or copied (w) under OUT/k/corpus; each run writes OUT/k.h5 (OUT/without.h5), kept for
`mdlbench report`; the summary goes to OUT/summary.{txt,md,csv,json} and OUT/memorised.png.

Usage: scripts/attribute.py --corpus DIR --work NAME [--copies 1,2,4,8] [-c CONFIG]
           [--set KEY=VALUE]... [--threads N] [-o OUT] [--binary MDLBENCH]
"""
import argparse
import csv
import json
import os
import shutil
import sys

from mdlresults import Fail, default_binary, train_run


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", required=True, help="a directory of documents (files, walked)")
    p.add_argument("--work", required=True, help="the file name of the work w, below --corpus")
    p.add_argument("--copies", default="1,2,4,8", help="duplicate counts (default 1,2,4,8)")
    p.add_argument("-c", "--config", help="mdlbench config (YAML)")
    p.add_argument("--set", action="append", default=[], help="KEY=VALUE, passed to mdlbench")
    p.add_argument("--threads", type=int, default=0, help="mdlbench --threads (0: all cores)")
    p.add_argument("-o", "--out", default="attribute", help="output directory (default attribute)")
    p.add_argument("--binary", default=default_binary(), help="the mdlbench binary")
    a = p.parse_args(argv)
    try:
        a.copies = [int(k) for k in a.copies.split(",")]
    except ValueError:
        raise Fail(f"--copies {a.copies}: expected counts separated by commas, e.g. 1,2,4,8")
    if not a.copies or min(a.copies) < 1:
        raise Fail("--copies: every count must be 1 or more")
    return a


def documents(corpus):
    """The corpus's files, relative to it, in mdlbench's order (bytewise, recursively)."""
    if not os.path.isdir(corpus):
        raise Fail(f"--corpus {corpus}: not a directory")
    out = []
    for root, dirs, files in os.walk(corpus):
        dirs.sort(key=os.fsencode)
        for f in sorted(files, key=os.fsencode):
            path = os.path.join(root, f)
            if os.path.isfile(path):
                out.append(os.path.relpath(path, corpus))
    return out


def make_corpus(a, docs, work, k, where):
    """where/: the other documents as links, and k copies of the work (real files, so that
    mdlbench, which keeps each resolved file once, sees k documents)."""
    shutil.rmtree(where, ignore_errors=True)
    os.makedirs(where)
    for d in docs:
        if d == work:
            continue
        dst = os.path.join(where, d)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        os.symlink(os.path.realpath(os.path.join(a.corpus, d)), dst)
    names = []
    for j in range(k):
        name = f"{work}.copy{j + 1}"
        shutil.copyfile(os.path.join(a.corpus, work), os.path.join(where, name))
        names.append(name)
    return names


def read_run(path):
    import h5py
    with h5py.File(path, "r") as f:
        d = f["documents"]
        names = [os.path.basename(str(x)) for x in d["name"].asstr()[()]]
        rows = {n: {"bytes": int(b), "preq_bits": float(p), "final_bits": float(q), "held_out": int(h)}
                for n, b, p, q, h in zip(names, d["bytes"][()], d["preq_bits"][()],
                                         d["final_bits"][()], d["held_out"][()])}
        if "document_bits" in f["passes"]:  # each document's bits after each pass
            table = f["passes/document_bits"][()]
            for i, n in enumerate(names):
                rows[n]["pass_bits"] = [float(x) for x in table[:, i]]
        if "extract_samples" in d and "extract_exact" in d:  # analysis.extract_samples > 0
            for n, m, e in zip(names, d["extract_samples"][()], d["extract_exact"][()]):
                rows[n]["extract_samples"], rows[n]["extract_exact"] = int(m), int(e)
        s = f["summary"].attrs
        gap = float(s["memorization_gap_bpb"]) if "memorization_gap_bpb" in s else float("nan")
    return rows, gap


def train(a, corpus, out, holdout=None):
    return train_run(a.binary, corpus, out, a.config, a.set, a.threads,
                     ["--holdout", holdout] if holdout else [])


def measure(a):
    docs = documents(a.corpus)
    if a.work not in docs:
        raise Fail(f"--work {a.work}: not a document of {a.corpus} (give its path below it)")
    if len(docs) < 2:
        raise Fail(f"--corpus {a.corpus}: needs documents besides the work")
    os.makedirs(a.out, exist_ok=True)
    base = os.path.basename(a.work)
    # without w: w held out, coded by the final weights only
    names = make_corpus(a, docs, a.work, 1, os.path.join(a.out, "without", "corpus"))
    without_h5 = os.path.join(a.out, "without.h5")
    glob = "".join(f"[{ch}]" if ch in "[]*?" else ch for ch in os.path.basename(names[0]))
    commands = [train(a, os.path.join(a.out, "without", "corpus"), without_h5, holdout=glob)]
    rows, without_gap = read_run(without_h5)
    ref = rows[os.path.basename(names[0])]
    if not ref["held_out"]:
        raise Fail(f"{without_h5}: the work was not held out")
    table = []
    for k in a.copies:
        where = os.path.join(a.out, f"copies-{k}", "corpus")
        names = make_corpus(a, docs, a.work, k, where)
        h5 = os.path.join(a.out, f"copies-{k}.h5")
        commands.append(train(a, where, h5))
        rows, gap = read_run(h5)
        copies = [rows[os.path.basename(n)] for n in names]
        with_bits = sum(c["final_bits"] for c in copies) / k
        mem = ref["final_bits"] - with_bits
        per_pass = []
        if "pass_bits" in ref and all("pass_bits" in c for c in copies):
            per_pass = [w - sum(c["pass_bits"][e] for c in copies) / k
                        for e, w in enumerate(ref["pass_bits"])]
        sampled = sum(c.get("extract_samples", 0) for c in copies)
        exact = sum(c.get("extract_exact", 0) for c in copies)
        table.append({"work": base, "copies": k, "bytes": ref["bytes"],
                      "without_bits": ref["final_bits"], "with_bits": with_bits,
                      "memorised_bits": mem, "memorised_bpb": mem / ref["bytes"],
                      "first_copy_preq_bits": copies[0]["preq_bits"],
                      "last_copy_preq_bits": copies[-1]["preq_bits"],
                      "extract_rate": exact / sampled if sampled else float("nan"),
                      "without_gap_bpb": without_gap,
                      "memorised_bits_per_pass": per_pass,
                      "results": h5})
    return table, commands


COLUMNS = ("copies", "bytes", "without_bits", "with_bits", "memorised_bits", "memorised_bpb",
           "first_copy_preq_bits", "last_copy_preq_bits", "extract_rate", "without_gap_bpb")
PER_BYTE = ("memorised_bpb", "extract_rate", "without_gap_bpb")  # four decimals


def write_summary(a, table, commands):
    def cells(r):
        fmt = lambda c: "-" if r[c] != r[c] else f"{r[c]:.4f}" if c in PER_BYTE else f"{r[c]:.1f}"
        return [str(r["copies"]), str(r["bytes"])] + [fmt(c) for c in COLUMNS[2:]]
    with open(os.path.join(a.out, "summary.txt"), "w") as f:
        f.write(f"work {table[0]['work']}: L(w | theta_without) {table[0]['without_bits']:.1f} bits\n")
        f.write("".join(f"{c:>22}" for c in COLUMNS) + "\n")
        for r in table:
            f.write("".join(f"{v:>22}" for v in cells(r)) + "\n")
    with open(os.path.join(a.out, "summary.md"), "w") as f:
        f.write(f"Memorised bits of {table[0]['work']} (counterfactual: trained without it, then "
                f"with k copies; same configuration and seed)\n\n")
        f.write("| " + " | ".join(COLUMNS) + " |\n|" + "---:|" * len(COLUMNS) + "\n")
        for r in table:
            f.write("| " + " | ".join(cells(r)) + " |\n")
        passes = len(table[0]["memorised_bits_per_pass"])
        if passes > 1:
            f.write(f"\nMemorised bits after each pass (w's bits under the weights at the end "
                    f"of the pass, without w minus with its copies)\n\n| copies | " +
                    " | ".join(f"pass {e + 1}" for e in range(passes)) + " |\n|" +
                    "---:|" * (passes + 1) + "\n")
            for r in table:
                f.write(f"| {r['copies']} | " +
                        " | ".join(f"{v:.1f}" for v in r["memorised_bits_per_pass"]) + " |\n")
        f.write("\nCommands:\n\n" + "".join("    " + " ".join(c) + "\n" for c in commands))
    with open(os.path.join(a.out, "summary.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(("work",) + COLUMNS + ("results",))
        for r in table:
            w.writerow([r["work"]] + [r[c] for c in COLUMNS] + [r["results"]])
    with open(os.path.join(a.out, "summary.json"), "w") as f:
        clean = [{k: (None if v != v else v) for k, v in r.items()} for r in table]  # NaN: null
        json.dump({"rows": clean, "commands": commands}, f, indent=1)
        f.write("\n")


def plot(a, table):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4))
    ks = [r["copies"] for r in table]
    ax.plot(ks, [r["memorised_bits"] for r in table], "o-", label="memorised bits (final weights)")
    ax.plot(ks, [r["without_bits"] - r["last_copy_preq_bits"] for r in table], "s--",
            label="without - last copy's prequential bits")
    ax.set_xscale("log", base=2)
    ax.set_xticks(ks, [str(k) for k in ks])
    ax.set_xlabel("copies of the work in the corpus")
    ax.set_ylabel("bits")
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_title(f"Memorisation of {table[0]['work']} ({table[0]['bytes']:,} bytes)", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(a.out, "memorised.png"), dpi=120)
    plt.close(fig)


def main(argv):
    try:
        a = parse_args(argv)
        table, commands = measure(a)
        write_summary(a, table, commands)
        plot(a, table)
    except Fail as e:
        print(f"attribute.py: {e}", file=sys.stderr)
        return 1
    print(open(os.path.join(a.out, "summary.txt")).read(), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
