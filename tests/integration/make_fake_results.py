#!/usr/bin/python3
"""Writes a small but schema-faithful mdlbench results file (README "Results file",
host/results/results.c) for tests of the readers (scripts/plot.py): a complete run over three
documents, a 50-step curve whose bits per byte fall with the steps, the summary, a
baselines table (two codecs, an order-2 context model, the order-0 entropy), a /passes
group (one row per pass) and, with
  --two-part   a /two_part group (README: format, weight_bytes, raw_bytes, weight_bits,
               data_bits, total_bits, total_bpb, data_bpb for fp32, bf16, int8, int4),
  --passes E   E passes over the corpus instead of one,
  --holdout    the last document held out (never trained on, coded by the final weights),
  --extract K  the extraction test with K samples in the trained documents (and K in the
               held-out one with --holdout): /extraction, /documents/extract_samples and
               /documents/extract_exact,
  --legacy     a file from before train.passes and the extraction test: no /passes and
               none of the summary fields they added.
The numbers are invented but keep the accounting identities that
tests/integration/check_results.py checks.

Usage: make_fake_results.py OUT.h5 [--params N] [--two-part] [--passes E] [--holdout]
                            [--extract K] [--legacy]"""

import argparse
import math
import sys

import h5py
import numpy as np

STR = h5py.string_dtype("utf-8")

DOCS = [("/srv/corpus/fake/alpha.txt", 3000),
        ("/srv/corpus/fake/sub/beta.txt", 1500),
        ("/srv/corpus/fake/sub/gamma.md", 500)]
STEPS = 50
HEADER_BYTES = 240
# the extraction window of the defaults (model.context 128, train.segment 32)
EXTRACT_PREFIX, EXTRACT_SUFFIX = 96, 32

CURVE_DESCRIPTION = ("One row per step. step: 0-based step index; bytes: bytes coded in "
                     "the step (all streams); bits: prequential bits of the step; cum_bits: "
                     "bits of steps 0..step; lr: learning rate of the step's (first) update; "
                     "grad_norm: global gradient norm before clipping; elapsed_s: seconds "
                     "since the loop started, at the end of the step.")


def set_str(obj, name, value):
    obj.attrs.create(name, value, dtype=STR)


def set_num(obj, name, value, dtype):
    obj.attrs.create(name, np.array(value, dtype=dtype))


def str_column(g, name, values):
    g.create_dataset(name, data=np.array(values, dtype=object), dtype=STR)


def extraction_samples(rng, docs, sizes, k, held):
    """k samples among the documents docs (indices): document, offset of the first prefix
    byte relative to the document (the first decoded byte inside it), matched bytes."""
    weights = sizes[docs].astype(np.float64)
    doc = rng.choice(docs, size=k, p=weights / weights.sum())
    first = np.array([rng.integers(0, int(sizes[d])) for d in doc], dtype=np.int64)
    exact = rng.random(k) < (0.05 if held else 0.4)
    partial = rng.integers(0, EXTRACT_SUFFIX // (4 if held else 1), size=k)
    matched = np.where(exact, EXTRACT_SUFFIX, partial).astype(np.uint32)
    return doc.astype(np.uint64), first - EXTRACT_PREFIX, matched


def write(path, n_params, two_part, passes=1, holdout=False, extract=0, legacy=False):
    names = [n for n, _ in DOCS]
    sizes = np.array([s for _, s in DOCS], dtype=np.uint64)
    all_bytes = int(sizes.sum())
    offsets = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.uint64)
    held = np.zeros(len(DOCS), dtype=np.uint8)
    if holdout:
        held[-1] = 1
    trained = np.flatnonzero(held == 0)
    # the model's stream: the trained documents only
    n_bytes = int(sizes[trained].sum())
    stream_offsets = np.concatenate(([0], np.cumsum(sizes[trained])[:-1]))

    # Larger models learn faster and further: bpb falls from 8 towards `floor`.
    scale = math.log10(max(n_params, 10))
    floor = max(1.2, 4.5 - 0.45 * scale)
    per_step = n_bytes // STEPS
    step_bytes = np.full(STEPS, per_step, dtype=np.int64)
    step_bytes[-1] += n_bytes - int(step_bytes.sum())
    t = np.arange(STEPS, dtype=np.float64)
    step_bpb = floor + (8.0 - floor) * np.exp(-t / (4.0 + scale))
    step_bpb[0] = 8.0
    bits = step_bpb * step_bytes

    # Bits per byte of the corpus, then per document by the byte ranges.
    byte_bpb = np.repeat(step_bpb, step_bytes)
    doc_preq = np.zeros(len(DOCS))
    for d, o in zip(trained, stream_offsets):
        doc_preq[d] = byte_bpb[int(o):int(o) + int(sizes[d])].sum()
    doc_final = doc_preq * np.array([0.62, 0.70, 0.85])
    # a held-out document: never trained on, coded by the final weights a little worse
    heldout_bytes = int(sizes[held == 1].sum())
    doc_final[held == 1] = (floor + 1.0) * sizes[held == 1].astype(np.float64)
    preq_bits = float(doc_preq.sum())
    final_bits = float(doc_final[trained].sum())
    heldout_bits = float(doc_final[held == 1].sum()) if heldout_bytes else math.nan
    heldout_bpb = heldout_bits / heldout_bytes if heldout_bytes else math.nan

    with h5py.File(path, "w") as f:
        for k, v in [("format", "mdlbench-results"), ("mdlbench_version", "0.1.0"),
                     ("git_commit", "0000000fake"),
                     ("command_line", f"mdlbench run --fake --params {n_params}"),
                     ("config", "model:\n  n_layer: 1\n"), ("device", "cpu: fake (2 threads)"),
                     ("created", "2024-01-01T00:00:00Z"), ("status", "complete")]:
            set_str(f, k, v)
        set_num(f, "format_version", 1, np.int64)
        set_num(f, "seed", 1234, np.uint64)
        set_num(f, "threads", 2, np.int64)

        c = f.create_group("corpus")
        set_num(c, "n_bytes", all_bytes, np.uint64)
        set_num(c, "n_documents", len(DOCS), np.uint64)

        d = f.create_group("documents")
        str_column(d, "name", names)
        d.create_dataset("offset", data=offsets, dtype=np.uint64)
        d.create_dataset("bytes", data=sizes, dtype=np.uint64)
        d.create_dataset("held_out", data=held, dtype=np.uint8)
        d.create_dataset("preq_bits", data=doc_preq, dtype=np.float64)
        d.create_dataset("final_bits", data=doc_final, dtype=np.float64)

        g = f.create_group("curve")
        set_str(g, "description", CURVE_DESCRIPTION)
        cols = {"step": (np.arange(STEPS), np.int64), "bytes": (step_bytes, np.int64),
                "bits": (bits, np.float64), "cum_bits": (np.cumsum(bits), np.float64),
                "lr": (np.full(STEPS, 1e-3), np.float64),
                "grad_norm": (1.0 / (1.0 + t), np.float64),
                "elapsed_s": (0.01 * (t + 1), np.float64)}
        for name, (data, dtype) in cols.items():
            g.create_dataset(name, data=np.asarray(data, dtype=dtype), maxshape=(None,),
                             chunks=(1024,))

        s = f.create_group("summary")
        wall, train = 0.6, 0.5
        u64 = {"corpus_bytes": n_bytes, "n_documents": len(DOCS), "n_params": n_params,
               "n_params_nonembedding": max(n_params - 256 * 32, n_params // 2),
               "streams": 4, "steps": STEPS, "header_bytes": HEADER_BYTES,
               "compressed_bytes": math.ceil(preq_bits / 8) + HEADER_BYTES,
               "heldout_documents": int(held.sum()), "heldout_bytes": heldout_bytes}
        flops_per_byte = 6.0 * n_params
        f64 = {"preq_bits": preq_bits, "preq_bpb": preq_bits / n_bytes,
               "ratio_percent": preq_bits / (8 * n_bytes) * 100,
               "first_step_bpb": float(bits[0] / step_bytes[0]),
               "final_bits": final_bits, "final_bpb": final_bits / n_bytes,
               "info_absorbed_bits": preq_bits - final_bits, "wall_s": wall,
               "train_s": train, "bytes_per_s": n_bytes / train,
               "model_flops_per_byte": flops_per_byte,
               "achieved_flops": flops_per_byte * n_bytes / train,
               "peak_flops": 2.4e11,
               "mfu": flops_per_byte * n_bytes / train / 2.4e11,
               "heldout_bpb": heldout_bpb,
               "memorization_gap_bpb": heldout_bpb - final_bits / n_bytes}

        # the passes: pass 1's training bits are L_preq, the last pass's evaluation L_final;
        # later passes code the trained documents better and the held-out one worse
        e = np.arange(passes, dtype=np.float64)
        eval_bits = final_bits * (1.0 + 0.25 * (passes - 1 - e) / passes)
        train_bits = np.concatenate(([preq_bits], 1.02 * eval_bits[:-1]))
        held_bits = (heldout_bits * (1.0 - 0.03 * (passes - 1 - e)) if heldout_bytes
                     else np.full(passes, math.nan))
        eval_bits[-1], held_bits[-1] = final_bits, heldout_bits

        # the extraction test
        groups = [trained] + ([np.flatnonzero(held == 1)] if holdout else [])
        rng = np.random.default_rng(n_params)
        samples = ([extraction_samples(rng, g, sizes, extract, i == 1)
                    for i, g in enumerate(groups)] if extract else [])
        for i, key in enumerate(("trained", "heldout")):
            m = samples[i][2] if i < len(samples) else np.zeros(0, np.uint32)
            u64[f"{key}_extract_samples"] = len(m)
            f64[f"{key}_exact_rate"] = (float(np.mean(m == EXTRACT_SUFFIX)) if len(m)
                                        else math.nan)
            f64[f"{key}_mean_matched"] = float(np.mean(m)) if len(m) else math.nan
        u64.update(passes=passes, extract_prefix=EXTRACT_PREFIX, extract_suffix=EXTRACT_SUFFIX)
        if legacy:
            for k in ("passes", "extract_prefix", "extract_suffix", "trained_extract_samples",
                      "heldout_extract_samples"):
                del u64[k]
            for k in ("trained_exact_rate", "trained_mean_matched", "heldout_exact_rate",
                      "heldout_mean_matched"):
                del f64[k]
        else:
            pg = f.create_group("passes")
            set_num(pg, "bytes", n_bytes, np.uint64)
            set_num(pg, "heldout_bytes", heldout_bytes, np.uint64)
            pg.create_dataset("pass", data=np.arange(1, passes + 1, dtype=np.int64))
            pg.create_dataset("train_bits", data=train_bits, dtype=np.float64)
            pg.create_dataset("eval_bits", data=eval_bits, dtype=np.float64)
            pg.create_dataset("heldout_bits", data=held_bits, dtype=np.float64)
        if samples:
            x = f.create_group("extraction")
            set_num(x, "prefix", EXTRACT_PREFIX, np.uint64)
            set_num(x, "suffix", EXTRACT_SUFFIX, np.uint64)
            doc = np.concatenate([r[0] for r in samples])
            matched = np.concatenate([r[2] for r in samples])
            x.create_dataset("document", data=doc, dtype=np.uint64)
            x.create_dataset("offset", data=np.concatenate([r[1] for r in samples]),
                             dtype=np.int64)
            x.create_dataset("held_out", data=np.concatenate(
                [np.full(len(r[0]), i, dtype=np.uint8) for i, r in enumerate(samples)]))
            x.create_dataset("matched", data=matched, dtype=np.uint32)
            nd = len(DOCS)
            d.create_dataset("extract_samples", dtype=np.uint32,
                             data=np.bincount(doc.astype(np.int64), minlength=nd))
            d.create_dataset("extract_exact", dtype=np.uint32,
                             data=np.bincount(doc[matched == EXTRACT_SUFFIX].astype(np.int64),
                                              minlength=nd))
        for k, v in u64.items():
            set_num(s, k, v, np.uint64)
        for k, v in f64.items():
            set_num(s, k, v, np.float64)
        set_num(s, "threads", 2, np.int64)
        set_str(s, "device", "cpu: fake (2 threads)")

        b = f.create_group("baselines")
        set_num(b, "iterations", 1, np.int64)
        set_num(b, "min_seconds", 0.0, np.float64)
        nan = float("nan")
        # name, kind, codec, version, level, compressed size (bytes; bits for models),
        # speeds, per-document bpb
        rows = [("gzip (zlib 1.2.13) -9", "codec", "gzip", "1.2.13", "9", 2.9, 30.0, 400.0),
                ("xz 5.4.1 -9", "codec", "xz", "5.4.1", "9", 2.3, 2.0, 110.0),
                ("order-2 context model (KT)", "context", "kt", "", "2", 3.6, 5.0, nan),
                ("order-0 empirical entropy", "entropy", "entropy", "", "0", 4.7, nan, nan)]
        comp_bytes, comp_bits, doc_bits = [], [], []
        for _, kind, _, _, _, bpb, _, _ in rows:
            if kind == "codec":
                nb = int(round(bpb * n_bytes / 8))
                comp_bytes.append(nb)
                comp_bits.append(8.0 * nb)
                # each document compressed alone costs a little more
                doc_bits.append([8.0 * math.ceil(bpb * 1.1 * int(sz) / 8) for sz in sizes])
            else:
                bt = bpb * n_bytes
                comp_bytes.append(math.ceil(bt / 8))
                comp_bits.append(bt)
                doc_bits.append([bpb * int(sz) for sz in sizes] if kind == "context"
                                else [nan] * len(sizes))
        comp_bits = np.array(comp_bits)
        for i, col in enumerate(["name", "kind", "codec", "version", "level"]):
            str_column(b, col, [r[i] for r in rows])
        b.create_dataset("original_bytes", data=np.full(len(rows), n_bytes, dtype=np.uint64))
        b.create_dataset("compressed_bytes", data=np.array(comp_bytes, dtype=np.uint64))
        b.create_dataset("compressed_bits", data=comp_bits)
        b.create_dataset("bpb", data=comp_bits / n_bytes)
        b.create_dataset("ratio_percent", data=comp_bits / (8 * n_bytes) * 100)
        b.create_dataset("compress_mb_s", data=np.array([r[6] for r in rows], dtype=np.float64))
        b.create_dataset("decompress_mb_s",
                         data=np.array([r[7] for r in rows], dtype=np.float64))
        if not holdout:  # with held-out documents the baselines skip the per-work table
            b.create_dataset("document_bits", data=np.array(doc_bits, dtype=np.float64))

        if two_part:
            tp = f.create_group("two_part")
            formats = ["fp32", "bf16", "int8", "int4"]
            raw_bytes = np.array([n_params * w for w in (4, 2, 1.02, 0.53)]).astype(np.uint64)
            # zstd -19 of the serialized weights: a little smaller than raw
            weight_bytes = (raw_bytes * 0.93).astype(np.uint64)
            weight_bits = 8.0 * weight_bytes.astype(np.float64)
            # coarser weights code the data a little worse
            data_bits = final_bits * np.array([1.0, 1.001, 1.02, 1.08])
            total = weight_bits + data_bits
            str_column(tp, "format", formats)
            tp.create_dataset("weight_bytes", data=weight_bytes, dtype=np.uint64)
            tp.create_dataset("raw_bytes", data=raw_bytes, dtype=np.uint64)
            tp.create_dataset("weight_bits", data=weight_bits, dtype=np.float64)
            tp.create_dataset("data_bits", data=data_bits, dtype=np.float64)
            tp.create_dataset("total_bits", data=total, dtype=np.float64)
            tp.create_dataset("total_bpb", data=total / n_bytes, dtype=np.float64)
            tp.create_dataset("data_bpb", data=data_bits / n_bytes, dtype=np.float64)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", metavar="OUT.h5")
    ap.add_argument("--params", type=int, default=26304, help="n_params (default 26304)")
    ap.add_argument("--two-part", action="store_true", help="also write /two_part")
    ap.add_argument("--passes", type=int, default=1, metavar="E",
                    help="passes over the corpus (default 1)")
    ap.add_argument("--holdout", action="store_true", help="hold out the last document")
    ap.add_argument("--extract", type=int, default=0, metavar="K",
                    help="extraction samples per group (default 0: no extraction test)")
    ap.add_argument("--legacy", action="store_true",
                    help="a file from before train.passes and the extraction test")
    args = ap.parse_args()
    if args.params <= 0:
        ap.error("--params must be positive")
    if args.passes < 1:
        ap.error("--passes must be at least 1")
    if args.extract < 0:
        ap.error("--extract must not be negative")
    if args.legacy and (args.passes != 1 or args.extract):
        ap.error("--legacy files have neither --passes nor --extract")
    write(args.out, args.params, args.two_part, args.passes, args.holdout, args.extract,
          args.legacy)
    return 0


if __name__ == "__main__":
    sys.exit(main())
