#!/usr/bin/python3
"""Plots mdlbench results files (README "Results file").

Writes into DIR, one file per format (PNG and SVG by default):
  curve       cumulative prequential bits per byte against bytes seen, one line per run,
              with the first file's baselines (codecs dashed, context models dotted)
  size        bits per byte against parameter count: prequential and final model per
              run, the best codec, and the two-part code per weight format if present
  documents   per-document prequential and final-model bits per byte of the first
              file (documents-STEM for each further file)
  two_part    weight bits and data bits per weight format per run (only when a file
              has /two_part)
  passes      bits per byte against the pass over the corpus: while training, after the
              pass, and on the held-out documents after it, per run (only when a file
              made more than one pass, train.passes)
  extraction  the extraction test's exact-match rate in trained and in held-out
              documents per run (only when a file has extraction samples)

Needs Debian's /usr/bin/python3 with python3-h5py and python3-matplotlib."""

import argparse
import math
import os
import sys

import numpy as np

from mdlresults import attr, stem_of  # scripts/mdlresults.py

PROG = "plot.py"
FIGSIZE = (8, 5)
DPI = 120
MAX_DOCS = 40
FORMATS = ("png", "svg", "pdf")


class PlotError(Exception):
    pass


def note(msg):
    print(f"{PROG}: note: {msg}")


# ---- reading -------------------------------------------------------------------------

def str_list(ds):
    import h5py
    if h5py.check_string_dtype(ds.dtype) is not None:
        return [str(x) for x in ds.asstr()[()]]
    return [x.decode("utf-8", "replace") if isinstance(x, bytes) else str(x) for x in ds[()]]




def fmt_count(n):
    """26304 -> '26.3k', 1930000 -> '1.93M'."""
    n = float(n)
    for div, unit in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= div:
            return f"{n / div:.3g}{unit}"
    return f"{n:.3g}"


def fmt_bytes(n):
    n = float(n)
    for div, unit in ((1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
        if n >= div:
            return f"{n / div:.3g} {unit}"
    return f"{n:.0f} B"


def fmt_bits(n):
    return fmt_count(n) + " bits"


def load(path):
    """Everything the plots need from one results file, as plain numpy/python values."""
    import h5py
    if not os.path.exists(path):
        raise PlotError(f"{path}: no such file")
    try:
        f = h5py.File(path, "r")
    except (OSError, ValueError) as e:
        raise PlotError(f"{path}: cannot open as HDF5 ({str(e).splitlines()[0]})")
    try:
        with f:
            return read(f, path)
    except PlotError:
        raise
    except (KeyError, OSError, ValueError, TypeError) as e:
        raise PlotError(f"{path}: unreadable results file ({str(e).splitlines()[0]})")


def read(f, path):
    import h5py
    if "curve" not in f or not isinstance(f["curve"], h5py.Group):
        raise PlotError(f"{path}: no /curve group (not an mdlbench results file?)")
    r = {"path": path, "stem": stem_of(path), "status": attr(f, "status", "?")}
    g = f["curve"]
    for col in ("bytes", "cum_bits"):
        if col not in g:
            raise PlotError(f"{path}: /curve/{col} missing")
    nb, cb = g["bytes"][()].astype(np.float64), g["cum_bits"][()].astype(np.float64)
    k = min(len(nb), len(cb))
    r["curve_bytes"], r["curve_cum_bits"] = np.cumsum(nb[:k]), cb[:k]

    s = f["summary"] if "summary" in f else None
    r["summary"] = {k: attr(s, k) for k in s.attrs} if s is not None else {}

    c = f["corpus"] if "corpus" in f else None
    r["corpus_bytes"] = attr(c, "n_bytes")
    r["names"] = None
    if "documents" in f:
        d = f["documents"]
        cols = {}
        if "name" in d:
            cols["names"] = str_list(d["name"])
        for col in ("bytes", "preq_bits", "final_bits", "held_out"):
            if col in d:
                cols[col] = d[col][()].astype(np.float64)
        r.update({("doc_" + k if k != "names" else k): v for k, v in cols.items()})

    r["baselines"] = []
    if "baselines" in f and "name" in f["baselines"] and "bpb" in f["baselines"]:
        b = f["baselines"]
        names = str_list(b["name"])
        kinds = str_list(b["kind"]) if "kind" in b else ["codec"] * len(names)
        bpb = b["bpb"][()].astype(np.float64)
        bits = (b["compressed_bits"][()].astype(np.float64) if "compressed_bits" in b
                else np.full(len(names), np.nan))
        for i in range(min(len(names), len(kinds), len(bpb))):
            r["baselines"].append({"name": names[i], "kind": kinds[i], "bpb": float(bpb[i]),
                                   "bits": float(bits[i]) if i < len(bits) else math.nan})

    r["passes"] = None
    if "passes" in f and isinstance(f["passes"], h5py.Group):
        g = f["passes"]
        need = ("pass", "train_bits", "eval_bits", "heldout_bits")
        if all(n in g for n in need):
            cols = [g[n][()].astype(np.float64) for n in need]
            k = min(len(c) for c in cols)
            r["passes"] = {n: c[:k] for n, c in zip(need, cols)}
            r["passes"]["bytes"] = float(attr(g, "bytes", 0) or 0)
            r["passes"]["heldout_bytes"] = float(attr(g, "heldout_bytes", 0) or 0)
        else:
            note(f"{path}: /passes lacks one of {', '.join(need)}; not plotted")

    r["two_part"] = None
    if "two_part" in f and isinstance(f["two_part"], h5py.Group):
        t = f["two_part"]
        need = ("format", "weight_bits", "data_bits")
        if all(n in t for n in need):
            tp = {"format": str_list(t["format"])}
            for col in ("weight_bits", "data_bits", "total_bits", "total_bpb"):
                if col in t:
                    tp[col] = t[col][()].astype(np.float64)
            if "total_bits" not in tp:
                tp["total_bits"] = tp["weight_bits"] + tp["data_bits"]
            if "total_bpb" not in tp and corpus_bytes(r):
                tp["total_bpb"] = tp["total_bits"] / corpus_bytes(r)
            r["two_part"] = tp
        else:
            note(f"{path}: /two_part lacks one of {', '.join(need)}; not plotted")
    return r


def corpus_bytes(r):
    for v in (r["summary"].get("corpus_bytes"), r.get("corpus_bytes")):
        if v is not None and float(v) > 0:
            return float(v)
    if len(r["curve_bytes"]):
        return float(r["curve_bytes"][-1])
    return None


def n_params(r):
    v = r["summary"].get("n_params")
    return int(v) if v is not None and int(v) > 0 else None


def run_label(r):
    p = n_params(r)
    label = r["stem"] if p is None else f"{r['stem']} ({fmt_count(p)} params)"
    if r["status"] != "complete":
        label += " [partial]"
    return label


def corpus_name(r):
    names = r.get("names")
    n = corpus_bytes(r)
    size = f"{fmt_bytes(n)}" if n else "size unknown"
    if names:
        try:
            prefix = names[0] if len(names) == 1 else os.path.commonpath(names)
        except ValueError:
            prefix = ""
        prefix = prefix if prefix not in ("", "/") else "mixed paths"
        docs = f"{len(names)} document" + ("s" if len(names) != 1 else "")
        return f"{prefix} ({size}, {docs})"
    return f"corpus of {size}"


# ---- plotting ------------------------------------------------------------------------

def save(fig, outdir, name, formats, written):
    import matplotlib.pyplot as plt
    fig.tight_layout()
    for ext in formats:
        path = os.path.join(outdir, f"{name}.{ext}")
        fig.savefig(path, dpi=DPI, bbox_inches="tight")
        written.append(path)
    plt.close(fig)


def legend_outside(ax, **kw):
    return ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0,
                     fontsize=8, frameon=False, **kw)


def legend_below(ax, **kw):
    n = len(kw.get("handles") or ax.get_legend_handles_labels()[0])
    return ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), fontsize=8,
                     frameon=False, ncol=2 if n > 1 else 1, **kw)


BASELINE_STYLE = {"codec": "--", "context": ":", "entropy": "-."}


def plot_curve(runs, outdir, formats, written):
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=FIGSIZE)
    ymax, xmin, xmax = 8.0, None, None
    for i, r in enumerate(runs):
        x, cb = r["curve_bytes"], r["curve_cum_bits"]
        ok = x > 0
        if not ok.any():
            note(f"{r['path']}: /curve is empty; no line in curve")
            continue
        x, y = x[ok], cb[ok] / x[ok]
        ax.plot(x, y, lw=2, color=f"C{i % 10}", label=run_label(r) + f": {y[-1]:.3f}")
        ymax = max(ymax, float(np.nanmax(y)))
        xmin = x[0] if xmin is None else min(xmin, x[0])
        xmax = x[-1] if xmax is None else max(xmax, x[-1])
    base = runs[0]["baselines"]
    if not base:
        note(f"{runs[0]['path']}: no /baselines; curve without compressor lines")
    greys = plt.get_cmap("Dark2")
    for j, b in enumerate(bl for bl in base if bl["kind"] in BASELINE_STYLE):
        if not math.isfinite(b["bpb"]):
            continue
        ax.axhline(b["bpb"], ls=BASELINE_STYLE[b["kind"]], lw=1.4, color=greys(j % 8),
                   label=f"{b['name']}: {b['bpb']:.3f}")
    ax.set_xscale("log")
    if xmin is not None and xmax is not None and xmax > xmin:
        ax.set_xlim(xmin, xmax)
    ax.set_ylim(0, ymax * 1.05)
    ax.set_xlabel("bytes seen")
    ax.set_ylabel("bits per byte (cumulative prequential)")
    ax.set_title(f"Prequential code length\ncorpus: {corpus_name(runs[0])}", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.grid(True, which="minor", axis="x", alpha=0.1)
    legend_outside(ax, title="bits per byte at the end")
    save(fig, outdir, "curve", formats, written)


def best_codec(r):
    codecs = [b for b in r["baselines"] if b["kind"] == "codec" and math.isfinite(b["bpb"])]
    return min(codecs, key=lambda b: b["bpb"]) if codecs else None


def plot_size(runs, outdir, formats, written):
    import matplotlib.pyplot as plt
    sized = [r for r in runs if n_params(r) is not None]
    for r in runs:
        if n_params(r) is None:
            note(f"{r['path']}: no /summary n_params; left out of size")
    if not sized:
        note("no file has /summary n_params; size not written")
        return
    sized.sort(key=n_params)
    p = np.array([n_params(r) for r in sized], dtype=np.float64)
    pre = np.array([float(r["summary"].get("preq_bpb", math.nan)) for r in sized])
    fin = np.array([float(r["summary"].get("final_bpb", math.nan)) for r in sized])
    fig, ax = plt.subplots(figsize=FIGSIZE)
    values = []
    ok = np.isfinite(pre)
    if ok.any():
        ax.plot(p[ok], pre[ok], "o-", lw=2, ms=7, color="C0", label="prequential (online)")
        values += list(pre[ok])
        for x, y, r in zip(p[ok], pre[ok], [r for r, o in zip(sized, ok) if o]):
            ax.annotate(r["stem"], (x, y), textcoords="offset points", xytext=(6, 6),
                        fontsize=8, color="C0")
    ok = np.isfinite(fin)
    if ok.any():
        ax.plot(p[ok], fin[ok], "s--", lw=2, ms=7, color="C1",
                label="final model (weights not counted)")
        values += list(fin[ok])
    else:
        note("no final-model bits (run.eval_final off?); size shows prequential only")
    best = best_codec(sized[0]) or best_codec(runs[0])
    if best:
        ax.axhline(best["bpb"], ls="--", color="0.4", lw=1.4,
                   label=f"best codec: {best['name']} ({best['bpb']:.3f})")
        values.append(best["bpb"])
    tp_runs = [r for r in sized if r["two_part"] is not None]
    formats_seen = []
    for r in tp_runs:
        for fm in r["two_part"]["format"]:
            if fm not in formats_seen:
                formats_seen.append(fm)
    tp_values = []
    for k, fm in enumerate(formats_seen):
        xs, ys = [], []
        for r in tp_runs:
            tp = r["two_part"]
            if fm in tp["format"] and "total_bpb" in tp:
                v = float(tp["total_bpb"][tp["format"].index(fm)])
                if math.isfinite(v):
                    xs.append(n_params(r))
                    ys.append(v)
        if xs:
            ax.plot(xs, ys, "^:", lw=1.5, ms=6, color=f"C{(k + 2) % 10}",
                    label=f"two-part total, {fm} weights")
            tp_values += ys
    ax.set_xscale("log")
    if len(p) == 1:
        ax.set_xlim(p[0] / 3, p[0] * 3)
    else:
        ax.set_xlim(p[0] / 1.5, p[-1] * 1.5)
    allv = [v for v in values + tp_values if v > 0]
    if tp_values and values and max(tp_values) > 3 * max(max(values), 8.0):
        ax.set_yscale("log")
        ax.set_ylabel("bits per byte (log scale)")
    else:
        ax.set_ylim(0, max(allv + [1.0]) * 1.1)
        ax.set_ylabel("bits per byte")
    ax.set_xlabel("parameters")
    ax.set_title(f"Code length against model size\ncorpus: {corpus_name(sized[0])}",
                 fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.grid(True, which="minor", alpha=0.08)
    legend_below(ax)
    save(fig, outdir, "size", formats, written)


def doc_labels(names):
    base = [os.path.basename(n) or n for n in names]
    if len(set(base)) == len(base):
        return base
    try:
        root = os.path.commonpath(names) if len(names) > 1 else os.path.dirname(names[0])
    except ValueError:
        root = ""
    return [os.path.relpath(n, root) if root else n for n in names]


def plot_documents(r, outdir, name, formats, written):
    import matplotlib.pyplot as plt
    need = ("names", "doc_bytes", "doc_preq_bits")
    if any(r.get(k) is None for k in need):
        note(f"{r['path']}: no /documents table; {name} not written")
        return
    names, size, preq = r["names"], r["doc_bytes"], r["doc_preq_bits"]
    final = r.get("doc_final_bits")
    n = min(len(names), len(size), len(preq))
    if n == 0:
        note(f"{r['path']}: no documents; {name} not written")
        return
    order = sorted(range(n), key=lambda i: -size[i])
    shown = [i for i in order if size[i] > 0][:MAX_DOCS]
    labels = doc_labels(names[:n])
    pre_bpb = np.array([preq[i] / size[i] for i in shown])
    has_final = final is not None and len(final) >= n and np.isfinite(final[shown]).any()
    fin_bpb = (np.array([final[i] / size[i] for i in shown]) if has_final else None)
    if not has_final:
        note(f"{r['path']}: no final-model bits per document; {name} shows prequential only")
    held = r.get("doc_held_out")
    tick = [f"{labels[i]} ({fmt_bytes(size[i])})"
            + (" [held out]" if held is not None and i < len(held) and held[i] else "")
            for i in shown]
    m = len(shown)
    horizontal = m > 8
    height = FIGSIZE[1] if not horizontal else max(FIGSIZE[1], 0.22 * m + 1.5)
    fig, ax = plt.subplots(figsize=(FIGSIZE[0], height))
    pos = np.arange(m)
    w = 0.4 if has_final else 0.7
    off = w / 2 if has_final else 0.0
    bar = ax.barh if horizontal else ax.bar
    kw = "height" if horizontal else "width"
    bar(pos - off, pre_bpb, **{kw: w}, color="C0", label="prequential")
    if has_final:
        bar(pos + off, np.nan_to_num(fin_bpb, nan=0.0), **{kw: w}, color="C1",
            label="final model")
    best = best_codec(r)
    if best:
        line = ax.axvline if horizontal else ax.axhline
        line(best["bpb"], ls="--", color="0.4", lw=1.2,
             label=f"best codec, whole corpus: {best['name']} ({best['bpb']:.3f})")
    if horizontal:
        ax.set_yticks(pos)
        ax.set_yticklabels(tick, fontsize=8)
        ax.set_ylim(m - 0.5, -0.5)
        ax.set_xlabel("bits per byte")
        ax.grid(True, axis="x", alpha=0.3)
    else:
        ax.set_xticks(pos)
        ax.set_xticklabels(tick, fontsize=8, rotation=20 if m > 3 else 0,
                           ha="right" if m > 3 else "center")
        ax.set_ylabel("bits per byte")
        ax.grid(True, axis="y", alpha=0.3)
    title = f"Per-document code length: {run_label(r)}\ncorpus: {corpus_name(r)}"
    ax.set_title(title, fontsize=10)
    if n > len(shown):
        fig.text(0.01, 0.0, f"showing the {len(shown)} largest of {n} documents",
                 fontsize=8, style="italic", va="top")
    if horizontal:
        legend_outside(ax)
    else:
        legend_below(ax)
    save(fig, outdir, name, formats, written)


def plot_two_part(runs, outdir, formats, written):
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch
    tp_runs = [r for r in runs if r["two_part"] is not None]
    tp_runs.sort(key=lambda r: n_params(r) or 0)
    fig, ax = plt.subplots(figsize=FIGSIZE)
    x, ticks, labels, centres, top = 0.0, [], [], [], 0.0
    for r in tp_runs:
        tp = r["two_part"]
        start = x
        for k, fm in enumerate(tp["format"]):
            wb, db = float(tp["weight_bits"][k]), float(tp["data_bits"][k])
            ax.bar(x, wb, 0.8, color="C3", edgecolor="white")
            ax.bar(x, db, 0.8, bottom=wb, color="C0", edgecolor="white")
            tot = wb + db
            bpb = (f"\n{fmt_count(float(tp['total_bpb'][k]))} bpb" if "total_bpb" in tp else "")
            ax.annotate(f"{fmt_count(tot)}{bpb}", (x, tot), xytext=(0, 3),
                        textcoords="offset points", ha="center", va="bottom", fontsize=7)
            top = max(top, tot)
            ticks.append(x)
            labels.append(fm)
            x += 1
        preq = r["summary"].get("preq_bits")
        if preq is not None and math.isfinite(float(preq)):
            ax.hlines(float(preq), start - 0.45, x - 0.55, colors="k", lw=2)
        centres.append(((start + x - 1) / 2, run_label(r)))
        x += 1
    ax.set_xticks(ticks)
    ax.set_xticklabels(labels, fontsize=8)
    for c, lab in centres:
        ax.annotate(lab, (c, 0), xycoords=("data", "axes fraction"), xytext=(0, -22),
                    textcoords="offset points", ha="center", va="top", fontsize=9)
    best = best_codec(tp_runs[0])
    handles = [Patch(color="C3", label="weight bits"),
               Patch(color="C0", label="data bits (given the weights)"),
               plt.Line2D([], [], color="k", lw=2, label="prequential bits of the run")]
    if best and math.isfinite(best["bits"]):
        handles.append(ax.axhline(best["bits"], ls="--", color="0.4", lw=1.2,
                                  label=f"best codec: {best['name']} "
                                        f"({fmt_bits(best['bits'])})"))
    ax.set_ylim(0, top * 1.15 if top > 0 else 1)
    ax.set_ylabel("bits")
    ax.set_xlabel("weight format, runs in order of model size", labelpad=22)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: fmt_count(v)))
    ax.set_title(f"Two-part code: weights + data\ncorpus: {corpus_name(tp_runs[0])}",
                 fontsize=10)
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8,
              frameon=False, ncol=2)
    save(fig, outdir, "two_part", formats, written)


def pass_count(r):
    return len(r["passes"]["pass"]) if r["passes"] is not None else 0


def per_byte(bits, n):
    return bits / n if n > 0 else np.full(len(bits), np.nan)


PASS_STYLE = [("train_bits", "bytes", "o-", "while training (pass 1: prequential)"),
              ("eval_bits", "bytes", "s--", "after the pass (final weights: L_final)"),
              ("heldout_bits", "heldout_bytes", "^:", "held-out documents after the pass")]


def plot_passes(runs, outdir, formats, written):
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator
    fig, ax = plt.subplots(figsize=FIGSIZE)
    run_handles, kinds_used, top = [], set(), 0.0
    for i, r in enumerate(runs):
        p = r["passes"]
        if p is None:
            note(f"{r['path']}: no /passes; left out of passes")
            continue
        color = f"C{i % 10}"
        drawn = False
        for col, nbytes, style, kind in PASS_STYLE:
            y = per_byte(p[col], p[nbytes])
            ok = np.isfinite(y)
            if not ok.any():
                continue
            ax.plot(p["pass"][ok], y[ok], style, lw=1.8, ms=6, color=color)
            kinds_used.add(kind)
            top = max(top, float(np.max(y[ok])))
            drawn = True
        if drawn:
            n = pass_count(r)
            run_handles.append(plt.Line2D([], [], color=color, lw=6,
                                          label=f"{run_label(r)}, {n} pass{'es' if n > 1 else ''}"))
    style_handles = [plt.Line2D([], [], color="0.3", ls=style[1:] or "-", marker=style[0],
                                label=kind)
                     for _, _, style, kind in PASS_STYLE if kind in kinds_used]
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(0, top * 1.1 if top > 0 else 8.0)
    ax.set_xlabel("pass over the trained documents")
    ax.set_ylabel("bits per byte")
    ax.set_title(f"Code length over passes\ncorpus: {corpus_name(runs[0])}", fontsize=10)
    ax.grid(True, alpha=0.3)
    legend_outside(ax, handles=run_handles + style_handles)
    save(fig, outdir, "passes", formats, written)


def extract_counts(r):
    """(samples, exact rate) of the trained and the held-out documents (0, NaN: none)."""
    out = []
    for key in ("trained", "heldout"):
        n = r["summary"].get(f"{key}_extract_samples")
        rate = r["summary"].get(f"{key}_exact_rate")
        n = int(n) if n is not None else 0
        rate = float(rate) if rate is not None and n > 0 else math.nan
        out.append((n, rate))
    return out


def has_extraction(r):
    return sum(n for n, _ in extract_counts(r)) > 0


def plot_extraction(runs, outdir, formats, written):
    import matplotlib.pyplot as plt
    shown = [r for r in runs if has_extraction(r)]
    fig, ax = plt.subplots(figsize=FIGSIZE)
    groups = (("trained documents", "C0"), ("held-out documents", "C1"))
    w = 0.38
    for i, r in enumerate(shown):
        for j, ((n, rate), (label, color)) in enumerate(zip(extract_counts(r), groups)):
            x = i + (j - 0.5) * w
            if n == 0:
                ax.annotate("no samples", (x, 0), xytext=(0, 3), textcoords="offset points",
                            ha="center", va="bottom", fontsize=7, rotation=90, color="0.4")
                continue
            ax.bar(x, 100.0 * rate, w, color=color, label=label if i == 0 or
                   label not in ax.get_legend_handles_labels()[1] else None)
            ax.annotate(f"{round(rate * n)}/{n}", (x, 100.0 * rate), xytext=(0, 3),
                        textcoords="offset points", ha="center", va="bottom", fontsize=7)
    def window(r):
        return (f"prefix {int(r['summary'].get('extract_prefix', 0))} B, "
                f"suffix {int(r['summary'].get('extract_suffix', 0))} B")
    ax.set_xticks(range(len(shown)))
    ax.set_xticklabels([f"{run_label(r)}\n{window(r)}" for r in shown], fontsize=8,
                       rotation=20 if len(shown) > 3 else 0,
                       ha="right" if len(shown) > 3 else "center")
    ax.set_xlim(-0.7, len(shown) - 0.3)
    ax.set_ylim(0, 110)
    ax.set_ylabel("exact-match rate (% of sampled positions)")
    ax.set_title("Extraction test: suffix decoded greedily after a prefix, all bytes equal"
                 f"\ncorpus: {corpus_name(shown[0])}", fontsize=10)
    ax.grid(True, axis="y", alpha=0.3)
    legend_below(ax)
    save(fig, outdir, "extraction", formats, written)


# ---- main ----------------------------------------------------------------------------

def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog=PROG, description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", metavar="RESULTS.h5", help="mdlbench results files")
    ap.add_argument("-o", "--output", required=True, metavar="DIR",
                    help="directory for the plots (created if missing)")
    ap.add_argument("--format", default="png,svg",
                    help=f"comma-separated formats among {', '.join(FORMATS)} (default png,svg)")
    args = ap.parse_args(argv)
    fmts = [x.strip().lower() for x in args.format.split(",") if x.strip()]
    bad = [x for x in fmts if x not in FORMATS]
    if bad or not fmts:
        ap.error(f"--format: unknown format(s) {', '.join(bad) or '(none)'}; "
                 f"choose among {', '.join(FORMATS)}")
    args.formats = list(dict.fromkeys(fmts))
    return args


def main(argv):
    args = parse_args(argv)
    try:
        import h5py  # noqa: F401
    except ImportError:
        print(f"{PROG}: error: h5py is not installed (Debian: python3-h5py)", file=sys.stderr)
        return 1
    try:
        runs = [load(p) for p in args.files]
    except PlotError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot  # noqa: F401
    except ImportError:
        print(f"{PROG}: error: matplotlib is not installed (Debian: python3-matplotlib)",
              file=sys.stderr)
        return 1
    for r in runs:
        if r["status"] != "complete":
            note(f"{r['path']}: status is {r['status']!r} (interrupted run?); plotting "
                 "what it holds")
    names = {corpus_name(r) for r in runs}
    if len(names) > 1:
        note("the files are runs over different corpora; titles name the first")
    try:
        os.makedirs(args.output, exist_ok=True)
    except OSError as e:
        print(f"{PROG}: error: cannot create {args.output} ({e.strerror})", file=sys.stderr)
        return 1

    written = []
    plot_curve(runs, args.output, args.formats, written)
    plot_size(runs, args.output, args.formats, written)
    used = set()
    for i, r in enumerate(runs):
        name = "documents"
        if i > 0:
            name = f"documents-{r['stem']}"
            while name in used:
                name += f"-{i}"
        used.add(name)
        plot_documents(r, args.output, name, args.formats, written)
    if any(r["two_part"] is not None for r in runs):
        plot_two_part(runs, args.output, args.formats, written)
    else:
        note("no file has /two_part; two_part not written")
    if any(pass_count(r) > 1 for r in runs):
        plot_passes(runs, args.output, args.formats, written)
    else:
        note("no file made more than one pass; passes not written")
    if any(has_extraction(r) for r in runs):
        plot_extraction(runs, args.output, args.formats, written)
    else:
        note("no file has extraction samples; extraction not written")
    for p in written:
        print(p)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
