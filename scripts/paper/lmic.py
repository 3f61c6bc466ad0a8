#!/usr/bin/python3
"""The "Language Modeling Is Compression" protocol (Deletang et al., ICLR 2024, arXiv
2309.10668, Table 1) in one command.

Each model of configs/paper/lmic-*.yaml is trained offline (train.passes over the trained
documents) and the held-out documents are then coded by its final weights in independent
2048-byte chunks (analysis.chunk_bytes; no context crosses a chunk, the tail of fewer
bytes is left out). Raw rate = coded size / raw size; adjusted rate adds the weights at 2
bytes per parameter. The classical rows compress the same chunks one by one with their
code's compressors, Python's gzip.compress(compresslevel=9) and lzma.compress() (xz
container, preset 6), and subtract (chunks - 1) x the size of one compressed byte, as
their compress.py does for the classical compressors (a header counted once).

  scripts/paper/lmic.py --corpus DIR --holdout GLOB [--holdout GLOB ...]
                        [--models 200K,800K,3.2M] [--set KEY=VALUE ...] [-o OUTDIR]

writes OUTDIR/lmic-MODEL.h5 (one results file per model, its command in .h5.cmd),
OUTDIR/lmic.json and OUTDIR/lmic.md (the table beside the published figures); an
existing results file is reused with --reuse, and a run preempted by SIGTERM or SIGUSR1
continues from its checkpoint when the command is run again. Exit 1 with one line on any
failure.
"""
import argparse
import gzip
import json
import lzma
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), ".."))
import mdlresults  # noqa: E402  (scripts/mdlresults.py)

MODELS = ("200K", "800K", "3.2M")
# Table 1 of arXiv 2309.10668: raw rates on enwik9 in 2048-byte chunks, percent
PUBLISHED = {"200K": 30.9, "800K": 21.7, "3.2M": 17.0, "gzip": 32.3, "lzma": 23.0}
CODECS = {
    "gzip": lambda b: gzip.compress(b, compresslevel=9),
    "lzma": lzma.compress,
}


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Deletang et al.'s chunked protocol: models of configs/paper/lmic-*.yaml "
        "and gzip/LZMA on the same 2048-byte chunks of the held-out documents.")
    p.add_argument("--corpus", action="append", required=True, help="file or directory "
                   "(repeatable), as for mdlbench train")
    p.add_argument("--holdout", action="append", required=True, help="glob of held-out "
                   "documents (repeatable): the chunks are theirs")
    p.add_argument("--models", default=",".join(MODELS), help="comma-separated, of "
                   f"{', '.join(MODELS)} (default all)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="passed to every mdlbench train (e.g. train.passes=1)")
    mdlresults.add_run_options(p, "lmic")
    p.add_argument("--reuse", action="store_true", help="keep existing results files")
    a = p.parse_args(argv)
    a.models = [m for m in a.models.split(",") if m]
    for m in a.models:
        if m not in MODELS:
            p.error(f"--models: unknown model {m!r} (known: {', '.join(MODELS)})")
    return a


def config_path(model):
    """configs/paper/lmic-MODEL.yaml of the source tree or installation this script is in
    (scripts/paper/ and configs/ are siblings' children in both)."""
    here = os.path.dirname(os.path.realpath(__file__))
    path = os.path.normpath(os.path.join(here, "..", "..", "configs", "paper",
                                         f"lmic-{model}.yaml"))
    if not os.path.exists(path):
        raise mdlresults.Fail(f"{path} not found")
    return path


def train(a, model):
    """The model's results file (trained unless reused) and the command that made it."""
    out = os.path.join(a.out, f"lmic-{model}.h5")
    extra = [x for c in a.corpus[1:] for x in ("--corpus", c)]
    extra += [x for g in a.holdout for x in ("--holdout", g)]
    if not (a.reuse and os.path.exists(out)):
        cmd = mdlresults.train_run(a.mdlbench, a.corpus[0], out, config_path(model), a.set,
                                   a.threads, extra, resume=True)
        with open(out + ".cmd", "w") as f:  # so that a reusing run reports it too
            f.write(" ".join(cmd))
    if not os.path.exists(out + ".cmd"):
        return out, None
    with open(out + ".cmd") as f:
        return out, f.read()


def model_row(path, model, cmd):
    import h5py
    with h5py.File(path, "r") as f:
        s = f["summary"].attrs
        chunks, size = int(s.get("heldout_chunks", 0)), int(s.get("chunk_bytes", 0))
        if chunks == 0:
            raise mdlresults.Fail(f"{path}: no held-out chunk was coded (analysis.chunk_bytes "
                                  f"{size}, held-out bytes {int(s['heldout_bytes'])})")
        bits = float(s["heldout_chunked_bpb"]) * chunks * size
        params = int(s["n_params"])
        raw = chunks * size
        return {"name": f"mdlbench {model}", "params": params, "chunks": chunks,
                "chunk_bytes": size, "raw_bytes": raw, "coded_bytes": bits / 8,
                "raw_percent": 100 * bits / 8 / raw,
                "adjusted_percent": 100 * (bits / 8 + 2 * params) / raw,
                "train_bpb": float(s["final_bpb"]), "heldout_bpb": float(s["heldout_bpb"]),
                "published_raw_percent": PUBLISHED[model],
                "command": cmd}


def held_out_bytes(path):
    """The held-out documents of a results file, concatenated in corpus order."""
    import h5py
    with h5py.File(path, "r") as f:
        d = f["documents"]
        names = [mdlresults.text(n) for n in d["resolved"][:]]
        held, sizes = d["held_out"][:], d["bytes"][:]
    data = bytearray()
    for name, h, n in zip(names, held, sizes):
        if h:
            with open(name, "rb") as fh:
                b = fh.read()
            if len(b) != n:
                raise mdlresults.Fail(f"{name}: {len(b)} bytes now, {n} when it was coded")
            data += b
    return bytes(data)


def classical_rows(data, size, chunks):
    """gzip -9 and LZMA on each chunk, the header counted once (their compress.py)."""
    rows = []
    for name, fn in CODECS.items():
        total = sum(len(fn(data[i * size:(i + 1) * size])) for i in range(chunks))
        header = len(fn(b"\x00"))
        coded = total - header * (chunks - 1)
        rows.append({"name": name, "params": 0, "chunks": chunks, "chunk_bytes": size,
                     "raw_bytes": chunks * size, "coded_bytes": coded,
                     "sum_of_chunks_bytes": total, "header_bytes": header,
                     "raw_percent": 100 * coded / (chunks * size),
                     "adjusted_percent": 100 * coded / (chunks * size),
                     "published_raw_percent": PUBLISHED[name]})
    return rows


def write_table(a, rows):
    lines = ["| compressor | parameters | raw rate % | adjusted rate % | published raw % "
             "(enwik9) |", "|---|---:|---:|---:|---:|"]
    for r in rows:
        params = f"{r['params']:,}" if r["params"] else "-"
        lines.append(f"| {r['name']} | {params} | {r['raw_percent']:.2f} | "
                     f"{r['adjusted_percent']:.2f} | {r['published_raw_percent']:.1f} |")
    r0 = rows[0]
    lines.append("")
    lines.append(f"{r0['chunks']} chunks of {r0['chunk_bytes']} bytes ({r0['raw_bytes']:,} "
                 f"bytes) of the held-out documents; published: arXiv 2309.10668 Table 1.")
    with open(os.path.join(a.out, "lmic.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(a.out, "lmic.json"), "w") as f:
        json.dump({"corpus": a.corpus, "holdout": a.holdout, "set": a.set, "rows": rows}, f,
                  indent=1)
    print("\n".join(lines))


def main(argv):
    a = parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    rows = []
    for model in a.models:
        path, cmd = train(a, model)
        rows.append(model_row(path, model, cmd))
        print(f"{model}: {rows[-1]['raw_percent']:.2f}% raw", file=sys.stderr)
    data = held_out_bytes(os.path.join(a.out, f"lmic-{a.models[0]}.h5"))
    size, chunks = rows[0]["chunk_bytes"], rows[0]["chunks"]
    if len(data) // size != chunks:
        raise mdlresults.Fail(f"{len(data) // size} chunks in the held-out documents, "
                              f"{chunks} in the results file")
    if any(r["chunks"] != chunks or r["chunk_bytes"] != size for r in rows):
        raise mdlresults.Fail("the models' results files hold different chunks (other "
                              "--holdout or analysis.chunk_bytes)")
    write_table(a, rows + classical_rows(data, size, chunks))


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except mdlresults.Fail as e:
        sys.exit(f"lmic.py: {e}")
