#!/usr/bin/python3
"""Merges mdlbench results files (a sweep's OUT/*.h5) into one table, one row per file,
in the order given: name (the file name without .h5), corpus bytes, parameters,
prequential bits per byte, final-model bits per byte, the best classical codec's bits per
byte, seconds (wall time of the run) and status ("complete"; an unfinished
FILE.h5.partial shows its status, e.g. "preempted", and only what it holds).

The numbers come from `mdlbench report --format json`. Writes the table as CSV (full
precision) and/or markdown; with neither option, prints the markdown. --plots DIR also
draws scripts/plot.py's plots of the files into DIR.

Needs Debian's /usr/bin/python3 with python3-h5py (and python3-matplotlib for --plots).
Exit codes: 0 done, 1 mdlbench report or plot.py failed, 2 bad arguments or input files."""

import argparse
import csv
import io
import json
import os
import subprocess
import sys

from mdlresults import stem_of  # scripts/mdlresults.py

PROG = "collect.py"
HERE = os.path.dirname(os.path.abspath(__file__))
COLUMNS = ("name", "corpus_bytes", "params", "preq_bpb", "final_bpb", "best_codec_bpb",
           "best_codec", "seconds", "status")


class CollectError(Exception):
    def __init__(self, msg, code=2):
        super().__init__(msg)
        self.code = code



def read_status(path):
    """(status, corpus bytes) from the file's attributes; checks it is a results file."""
    import h5py
    if not os.path.exists(path):
        raise CollectError(f"{path}: no such file")
    try:
        with h5py.File(path, "r") as f:
            if f.attrs.get("format") not in ("mdlbench-results", b"mdlbench-results"):
                raise CollectError(f"{path}: not an mdlbench results file (no format "
                                   "attribute 'mdlbench-results')")
            status = f.attrs.get("status", "?")
            n = f["corpus"].attrs.get("n_bytes") if "corpus" in f else None
    except (OSError, ValueError) as e:
        raise CollectError(f"{path}: cannot open as HDF5 ({str(e).splitlines()[0]})")
    if isinstance(status, bytes):
        status = status.decode("utf-8", "replace")
    return str(status), (int(n) if n is not None else None)


def report_json(mdlbench, files):
    if not files:
        return []
    try:
        r = subprocess.run([mdlbench, "report", "--format", "json", *files],
                           capture_output=True, text=True)
    except OSError as e:
        raise CollectError(f"cannot run {mdlbench} ({e.strerror}); give --mdlbench", 1)
    if r.returncode != 0:
        msg = (r.stderr.strip().splitlines() or [f"exit code {r.returncode}"])[-1]
        raise CollectError(f"mdlbench report failed: {msg}", 1)
    try:
        rows = json.loads(r.stdout)
    except ValueError as e:
        raise CollectError(f"mdlbench report printed no valid JSON ({e})", 1)
    if not isinstance(rows, list) or len(rows) != len(files):
        raise CollectError(f"mdlbench report gave {len(rows)} rows for {len(files)} files", 1)
    return rows


def best_codec(baselines):
    codecs = [b for b in baselines or [] if b.get("kind") == "codec" and b.get("bpb") is not None]
    if not codecs:
        return None, ""
    b = min(codecs, key=lambda x: x["bpb"])
    return b["bpb"], b.get("name", "")


def collect(files, mdlbench):
    statuses = [read_status(p) for p in files]
    done = [p for p, (s, _) in zip(files, statuses) if s == "complete"]
    reports = dict(zip(done, report_json(mdlbench, done)))
    rows = []
    for p, (status, nbytes) in zip(files, statuses):
        j = reports.get(p, {})
        bpb, codec = best_codec(j.get("baselines"))
        rows.append({"name": stem_of(p), "corpus_bytes": j.get("corpus_bytes", nbytes),
                     "params": j.get("n_params"), "preq_bpb": j.get("preq_bpb"),
                     "final_bpb": j.get("final_bpb"), "best_codec_bpb": bpb,
                     "best_codec": codec, "seconds": j.get("wall_s"), "status": status})
    return rows


def to_csv(rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in rows:
        w.writerow(["" if r[c] is None else (repr(r[c]) if isinstance(r[c], float) else r[c])
                    for c in COLUMNS])
    return buf.getvalue()


def to_markdown(rows):
    def cell(r, c):
        v = r[c]
        if v is None:
            return ""
        if c in ("preq_bpb", "final_bpb", "best_codec_bpb"):
            return f"{v:.4f}"
        if c == "seconds":
            return f"{v:.1f}"
        if c == "params":
            return f"{v / 1e6:.3f}M"
        return str(v).replace("|", "\\|")
    head = ("name", "corpus bytes", "params", "prequential bpb", "final bpb",
            "best codec bpb", "best codec", "seconds", "status")
    right = {"corpus_bytes", "params", "preq_bpb", "final_bpb", "best_codec_bpb", "seconds"}
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join("---:" if c in right else "---" for c in COLUMNS) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(cell(r, c) for c in COLUMNS) + " |")
    return "\n".join(lines) + "\n"


def write(path, text):
    if path == "-":
        sys.stdout.write(text)
        return
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise CollectError(f"{path}: {e.strerror}", 1)
    print(path)


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog=PROG, description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", metavar="RESULTS.h5", help="mdlbench results files")
    ap.add_argument("--csv", metavar="FILE", help="write the table as CSV ('-': stdout)")
    ap.add_argument("--markdown", metavar="FILE", help="write the table as markdown ('-': stdout)")
    ap.add_argument("--plots", metavar="DIR", help="also run scripts/plot.py FILES -o DIR")
    ap.add_argument("--mdlbench", metavar="BIN",
                    default=os.environ.get("MDLBENCH") or
                    os.path.join(os.path.dirname(HERE), "build", "mdlbench"),
                    help="the mdlbench binary (default: $MDLBENCH, else build/mdlbench "
                         "next to this script)")
    return ap.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    try:
        import h5py  # noqa: F401
    except ImportError:
        print(f"{PROG}: error: h5py is not installed (Debian: python3-h5py)", file=sys.stderr)
        return 2
    try:
        rows = collect(args.files, args.mdlbench)
        if args.csv:
            write(args.csv, to_csv(rows))
        if args.markdown:
            write(args.markdown, to_markdown(rows))
        if not args.csv and not args.markdown:
            sys.stdout.write(to_markdown(rows))
    except CollectError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return e.code
    if args.plots:
        r = subprocess.run([sys.executable, os.path.join(HERE, "plot.py"), *args.files,
                            "-o", args.plots])
        if r.returncode != 0:
            print(f"{PROG}: error: plot.py failed (exit {r.returncode})", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
