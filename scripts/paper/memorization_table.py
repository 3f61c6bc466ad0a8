#!/usr/bin/env python3
"""One Markdown table from the attribute.py outputs under DIR/SETTING/WORK/summary.json (as
scripts/paper/memorization_reference.sh lays them out): per setting and work, w's size,
L(w | theta without w), L(w | theta with w), the memorised bits and bits per byte, what
the online learner paid for w (its prequential bits), the held-out gap of the run without
w, and with several passes the memorised bits after each pass.

Usage: scripts/paper/memorization_table.py DIR
"""
import json
import os
import sys


def rows(top):
    for setting in sorted(os.listdir(top)):
        sdir = os.path.join(top, setting)
        if not os.path.isdir(sdir):
            continue
        for work in sorted(os.listdir(sdir)):
            path = os.path.join(sdir, work, "summary.json")
            if os.path.exists(path):
                for r in json.load(open(path))["rows"]:
                    if r["copies"] == 1:
                        yield setting, r


def main(argv):
    if len(argv) != 1 or not os.path.isdir(argv[0]):
        print("usage: memorization_table.py DIR (a directory of SETTING/WORK/summary.json)",
              file=sys.stderr)
        return 1
    print("| setting | work | bytes | L(w given without) bits | L(w given with) bits | "
          "memorised bits | memorised bpb | w online bits | held-out gap bpb | memorised after each pass |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for setting, r in rows(argv[0]):
        per_pass = r.get("memorised_bits_per_pass") or []
        passes = ", ".join(f"{v:.0f}" for v in per_pass) if len(per_pass) > 1 else "-"
        gap = r["without_gap_bpb"]
        print(f"| {setting} | {r['work']} | {r['bytes']} | {r['without_bits']:.1f} | "
              f"{r['with_bits']:.1f} | {r['memorised_bits']:.1f} | {r['memorised_bpb']:.4f} | "
              f"{r['first_copy_preq_bits']:.1f} | {'-' if gap is None else f'{gap:.4f}'} | {passes} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
