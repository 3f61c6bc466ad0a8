#!/usr/bin/env python3
"""Compares the per-document sizes measured by `mdlbench baselines` (the
/baselines/document_bits of the reference results files) with the sizes published in
../shared/corpora/README.md. Usage: compare_published.py RESULTS_DIR CORPORA_DIR"""
import os
import re
import sys

import h5py

# (corpus, file): {codec label prefix: published size}, from ../shared/corpora/README.md
PUBLISHED = {
    ("calgary", "book1"): {"gzip": 312275, "bzip2": 232598, "xz9e": 261376, "zstd19": 264376},
    ("canterbury", "alice29.txt"): {"gzip": 54179, "bzip2": 43202, "xz9e": 48528,
                                    "zstd19": 49215},
    ("canterbury_large", "bible.txt"): {"gzip": 1176635, "bzip2": 845635, "xz9e": 885680,
                                        "zstd19": 892469},
}
KEYS = {"gzip": ("gzip", "9"), "bzip2": ("bzip2", "9"), "xz9e": ("xz", "9e"),
        "zstd19": ("zstd", "19")}


def text(v):
    return v.decode() if isinstance(v, bytes) else v


def main(results_dir, corpora_dir):
    print("# Reference baselines against the published sizes\n")
    print("Per-file sizes in bytes: each file compressed on its own by `mdlbench baselines`")
    print("(`/baselines/document_bits` / 8 of the reference results files) beside the")
    print(f"figures in {corpora_dir}/README.md (gzip 1.12, bzip2 1.0.8, xz 5.4.1, zstd 1.5.4")
    print("command-line tools of Debian 12). Produced by `scripts/baselines_reference.sh`.\n")
    print("| file | codec | mdlbench | published | difference |")
    print("|---|---|---:|---:|---:|")
    for (corpus, name), figures in PUBLISHED.items():
        with h5py.File(os.path.join(results_dir, corpus + ".h5"), "r") as f:
            docs = [os.path.basename(text(n)) for n in f["documents/name"][:]]
            d = docs.index(name)
            g = f["baselines"]
            codecs = [text(c) for c in g["codec"][:]]
            levels = [text(c) for c in g["level"][:]]
            labels = [text(c) for c in g["name"][:]]
            bits = g["document_bits"][:]
            for key, published in figures.items():
                codec, level = KEYS[key]
                rows = [i for i in range(len(codecs)) if codecs[i] == codec and levels[i] == level]
                if not rows:
                    print(f"| {corpus}/{name} | {codec} -{level} | not measured | {published} | |")
                    continue
                size = int(round(bits[rows[0], d] / 8))
                diff = size - published
                print(f"| {corpus}/{name} | {labels[rows[0]]} | {size:,} | {published:,} | "
                      f"{diff:+,} ({100.0 * diff / published:+.3f}%) |")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1], sys.argv[2])
