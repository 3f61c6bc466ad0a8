#!/usr/bin/python3
"""Checks an mdlbench results file against the schema (host/results/results.c,
host/results/results_analysis.c) and the accounting identities between its parts, including
/passes and the extraction test (/extraction, /documents/extract_*) when present; the
summary fields they added are optional (older files lack them).

Usage: check_results.py FILE.h5

Prints "ok" and exits 0 when every check passes; otherwise prints one line per
failed check ("FILE: message") on stderr and exits 1. Needs h5py (Debian's
/usr/bin/python3 has it: python3-h5py)."""

import math
import re
import sys

import h5py
import numpy as np

REL = 1e-9

ROOT_STR = ["format", "mdlbench_version", "git_commit", "command_line", "config",
            "device", "created", "status"]
ROOT_NUM = {"format_version": np.int64, "seed": np.uint64, "threads": np.int64}

DOC_COLUMNS = {"offset": np.uint64, "bytes": np.uint64,
               "preq_bits": np.float64, "final_bits": np.float64}

CURVE_COLUMNS = {"step": np.int64, "bytes": np.int64, "bits": np.float64,
                 "cum_bits": np.float64, "lr": np.float64, "grad_norm": np.float64,
                 "elapsed_s": np.float64}

SUMMARY_U64 = ["corpus_bytes", "n_documents", "n_params", "n_params_nonembedding",
               "streams", "steps", "header_bytes", "compressed_bytes", "heldout_documents",
               "heldout_bytes"]
SUMMARY_F64 = ["preq_bits", "preq_bpb", "ratio_percent", "first_step_bpb", "final_bits",
               "final_bpb", "info_absorbed_bits", "wall_s", "train_s", "bytes_per_s",
               "model_flops_per_byte", "achieved_flops", "peak_flops", "mfu", "heldout_bpb",
               "memorization_gap_bpb"]
# added after format_version 1 shipped (train.passes, the extraction test): all or none
SUMMARY_OPT_U64 = ["passes", "extract_prefix", "extract_suffix", "trained_extract_samples",
                   "heldout_extract_samples"]
SUMMARY_OPT_F64 = ["trained_exact_rate", "trained_mean_matched", "heldout_exact_rate",
                   "heldout_mean_matched"]
# added later still, each on its own (files with the group above may lack them):
# world_size, the ranks of a data-parallel run (mpirun, srun)
SUMMARY_OPT_LATER_U64 = ["world_size"]

PASS_COLUMNS = {"pass": np.int64, "train_bits": np.float64, "eval_bits": np.float64,
                "heldout_bits": np.float64}
EXTRACT_COLUMNS = {"document": np.uint64, "offset": np.int64, "held_out": np.uint8,
                   "matched": np.uint32}


class Checker:
    def __init__(self, path):
        self.path = path
        self.errors = []

    def fail(self, msg):
        self.errors.append(f"{self.path}: {msg}")

    def expect(self, cond, msg):
        if not cond:
            self.fail(msg)
        return bool(cond)

    def close(self, got, want, what):
        """got == want to a relative 1e-9 (exactly when both are 0); what says "A vs B"."""
        got, want = float(got), float(want)
        ok = got == want or abs(got - want) <= REL * max(abs(got), abs(want))
        return self.expect(ok, f"{what}: {got!r} vs {want!r} (relative 1e-9)")

    def is_str_type(self, dtype):
        info = h5py.check_string_dtype(dtype)
        return info is not None and info.encoding == "utf-8" and info.length is None

    def attr_str(self, obj, name, where):
        if not self.expect(name in obj.attrs, f"{where}: attribute {name} missing"):
            return None
        value = obj.attrs[name]
        ok = self.is_str_type(obj.attrs.get_id(name).dtype) and isinstance(value, str)
        self.expect(ok, f"{where}: attribute {name} is not a variable-length UTF-8 string")
        return value if isinstance(value, str) else None

    def attr_num(self, obj, name, dtype, where):
        if not self.expect(name in obj.attrs, f"{where}: attribute {name} missing"):
            return None
        stored = obj.attrs.get_id(name).dtype
        self.expect(stored == np.dtype(dtype) and obj.attrs.get_id(name).shape == (),
                    f"{where}: attribute {name} is {stored}, want scalar {np.dtype(dtype)}")
        return obj.attrs[name]

    def group(self, f, name):
        ok = name in f and isinstance(f[name], h5py.Group)
        return f[name] if self.expect(ok, f"group /{name} missing") else None

    def column(self, g, name, dtype, n=None):
        where = f"{g.name}/{name}"
        if not self.expect(name in g and isinstance(g[name], h5py.Dataset),
                           f"dataset {where} missing"):
            return None
        ds = g[name]
        self.expect(ds.ndim == 1, f"{where} is not 1-D")
        self.expect(ds.dtype == np.dtype(dtype), f"{where} is {ds.dtype}, want {np.dtype(dtype)}")
        if n is not None:
            self.expect(ds.shape == (n,), f"{where} has shape {ds.shape}, want ({n},)")
        return ds[()]

    # ---- parts of the file --------------------------------------------------------

    def root(self, f):
        attrs = {name: self.attr_str(f, name, "/") for name in ROOT_STR}
        for name, dtype in ROOT_NUM.items():
            attrs[name] = self.attr_num(f, name, dtype, "/")
        self.expect(attrs["format"] == "mdlbench-results",
                    f"format = {attrs['format']!r}, want 'mdlbench-results'")
        self.expect(attrs["format_version"] == 1,
                    f"format_version = {attrs['format_version']!r}, want 1")
        self.expect(attrs["status"] == "complete",
                    f"status = {attrs['status']!r}, want 'complete'")
        created = attrs["created"] or ""
        self.expect(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", created),
                    f"created = {created!r} is not ISO 8601 UTC (YYYY-MM-DDTHH:MM:SSZ)")
        return attrs

    def documents(self, f):
        corpus, docs = self.group(f, "corpus"), self.group(f, "documents")
        if corpus is None or docs is None:
            return None
        n_bytes = self.attr_num(corpus, "n_bytes", np.uint64, "/corpus")
        n_docs = self.attr_num(corpus, "n_documents", np.uint64, "/corpus")
        if n_bytes is None or n_docs is None:
            return None
        n_docs = int(n_docs)
        if self.expect("name" in docs, "dataset /documents/name missing"):
            names = docs["name"]
            self.expect(self.is_str_type(names.dtype),
                        "/documents/name is not variable-length UTF-8 strings")
            self.expect(names.shape == (n_docs,),
                        f"/documents/name has shape {names.shape}, want ({n_docs},)")
        cols = {name: self.column(docs, name, dtype, n_docs)
                for name, dtype in DOC_COLUMNS.items()}
        if any(c is None or c.shape != (n_docs,) for c in cols.values()):
            return None
        offset, size = cols["offset"].astype(np.int64), cols["bytes"].astype(np.int64)
        want_offset = np.concatenate(([0], np.cumsum(size)[:-1])) if n_docs else offset
        self.expect(np.array_equal(offset, want_offset),
                    "/documents/offset is not the running sum of /documents/bytes")
        self.expect(int(size.sum()) == int(n_bytes), f"/documents/bytes sums to "
                    f"{int(size.sum())}, /corpus n_bytes is {int(n_bytes)}")
        self.expect(np.all(np.isfinite(cols["preq_bits"])),
                    "/documents/preq_bits has NaN (never written)")
        # held-out documents: never trained on, no prequential bits; the model's stream is
        # the trained documents only
        held = docs["held_out"][()].astype(bool) if "held_out" in docs else np.zeros(n_docs, bool)
        self.expect(held.shape == (n_docs,), "/documents/held_out has the wrong shape")
        self.expect(np.all(cols["preq_bits"][held] == 0),
                    "held-out documents have prequential bits")
        trained = int(size[~held].sum())
        return {"n_bytes": trained, "all_bytes": int(n_bytes), "n_documents": n_docs,
                "held": held, **cols}

    def curve(self, f, n_bytes):
        g = self.group(f, "curve")
        if g is None:
            return None
        self.attr_str(g, "description", "/curve")
        cols = {name: self.column(g, name, dtype) for name, dtype in CURVE_COLUMNS.items()}
        if any(c is None for c in cols.values()):
            return None
        for name in CURVE_COLUMNS:
            self.expect(g[name].maxshape == (None,), f"/curve/{name} is not extendable")
        lengths = {name: len(c) for name, c in cols.items()}
        if not self.expect(len(set(lengths.values())) == 1,
                           f"/curve datasets have different lengths: {lengths}"):
            return None
        n = lengths["step"]
        self.expect(np.array_equal(cols["step"], np.arange(n)), "/curve/step is not 0, 1, 2, ...")
        bits = cols["bits"]
        self.expect(np.all(np.isfinite(bits)) and np.all(bits >= 0),
                    "/curve/bits has negative or non-finite values")
        cum = np.cumsum(bits)
        bad = np.abs(cols["cum_bits"] - cum) > REL * np.maximum(np.abs(cum), 1e-300)
        if bad.any():
            i = int(np.argmax(bad))
            self.fail(f"/curve/cum_bits[{i}] = {cols['cum_bits'][i]!r}, "
                      f"cumsum(bits) = {cum[i]!r} (relative 1e-9)")
        if n_bytes is not None:
            self.expect(int(cols["bytes"].sum()) == n_bytes,
                        f"/curve/bytes sums to {int(cols['bytes'].sum())}, corpus has {n_bytes}")
        return cols

    def summary(self, f, root, docs, curve):
        """The /summary checks; returns the summary as a dict (None when unreadable), the
        optional fields present only when the file has them."""
        g = self.group(f, "summary")
        if g is None:
            return None
        s = {name: self.attr_num(g, name, np.uint64, "/summary") for name in SUMMARY_U64}
        s.update({name: self.attr_num(g, name, np.float64, "/summary") for name in SUMMARY_F64})
        s["threads"] = self.attr_num(g, "threads", np.int64, "/summary")
        s["device"] = self.attr_str(g, "device", "/summary")
        if any(v is None for v in s.values()):
            return None
        optional = SUMMARY_OPT_U64 + SUMMARY_OPT_F64
        present = [name for name in optional if name in g.attrs]
        if present and self.expect(len(present) == len(optional),
                                   f"/summary has {', '.join(present)} but not "
                                   f"{', '.join(n for n in optional if n not in present)}"):
            for name in SUMMARY_OPT_U64:
                s[name] = self.attr_num(g, name, np.uint64, "/summary")
            for name in SUMMARY_OPT_F64:
                s[name] = self.attr_num(g, name, np.float64, "/summary")
        for name in SUMMARY_OPT_LATER_U64:
            if name in g.attrs:
                s[name] = self.attr_num(g, name, np.uint64, "/summary")
        if s.get("world_size") is not None:
            self.expect(int(s["world_size"]) >= 1,
                        f"/summary world_size = {int(s['world_size'])}, want at least 1")
        self.summary_identities(s, root, docs, curve)
        return s

    def summary_identities(self, s, root, docs, curve):
        n = int(s["corpus_bytes"])
        if root["threads"] is not None:
            self.expect(s["threads"] == root["threads"],
                        f"/summary threads = {s['threads']}, root threads = {root['threads']}")
        if docs is not None:
            self.expect(n == docs["n_bytes"],
                        f"/summary corpus_bytes = {n}, trained bytes = {docs['n_bytes']}")
            self.expect(int(s["n_documents"]) == docs["n_documents"],
                        f"/summary n_documents = {int(s['n_documents'])}, "
                        f"/corpus n_documents = {docs['n_documents']}")
            self.close(docs["preq_bits"].sum(), s["preq_bits"],
                       "sum of /documents/preq_bits vs /summary preq_bits")
        preq = float(s["preq_bits"])
        if curve is not None:
            steps = len(curve["step"])
            self.expect(int(s["steps"]) == steps,
                        f"/summary steps = {int(s['steps'])}, /curve has {steps} rows")
            if steps:
                self.close(curve["cum_bits"][-1], preq,
                           "/curve/cum_bits[-1] vs /summary preq_bits")
                if curve["bytes"][0] > 0:
                    self.close(s["first_step_bpb"], curve["bits"][0] / curve["bytes"][0],
                               "/summary first_step_bpb vs /curve bits[0] / bytes[0]")
        if n > 0:
            self.close(s["preq_bpb"], preq / n,
                       "/summary preq_bpb vs preq_bits / corpus_bytes")
            self.close(s["ratio_percent"], preq / (8 * n) * 100,
                       "/summary ratio_percent vs preq_bits / (8 corpus_bytes) * 100")
        want_size = math.ceil(preq / 8) + int(s["header_bytes"])
        self.expect(int(s["compressed_bytes"]) == want_size,
                    f"/summary compressed_bytes = {int(s['compressed_bytes'])}, "
                    f"want ceil(preq_bits / 8) + header_bytes = {want_size}")
        final = float(s["final_bits"])
        if math.isnan(final):
            self.expect(math.isnan(s["final_bpb"]) and math.isnan(s["info_absorbed_bits"]),
                        "/summary final_bits is NaN but final_bpb or info_absorbed_bits is not")
            return
        if docs is not None:
            self.close(docs["final_bits"][~docs["held"]].sum(), final,
                       "sum of trained /documents/final_bits vs /summary final_bits")
            if docs["held"].any():
                held_bits = docs["final_bits"][docs["held"]].sum()
                self.close(s["heldout_bpb"], held_bits / int(s["heldout_bytes"]),
                           "/summary heldout_bpb vs held-out documents' final bits")
                self.close(s["memorization_gap_bpb"], s["heldout_bpb"] - s["final_bpb"],
                           "/summary memorization_gap_bpb vs heldout_bpb - final_bpb")
        if n > 0:
            self.close(s["final_bpb"], final / n,
                       "/summary final_bpb vs final_bits / corpus_bytes")
        self.close(s["info_absorbed_bits"], preq - final,
                   "/summary info_absorbed_bits vs preq_bits - final_bits")

    def passes(self, f, s):
        """/passes: one row per pass (summary passes); pass 1's training bits are L_preq
        and the last pass's evaluation is L_final."""
        have = "passes" in f
        if s is None or "passes" not in s:
            self.expect(not have, "/passes present but /summary has no passes field")
            return
        if not self.expect(have, "/summary has passes but the group /passes is missing"):
            return
        g = f["passes"]
        if not self.expect(isinstance(g, h5py.Group), "/passes is not a group"):
            return
        n = int(s["passes"])
        self.expect(n >= 1, f"/summary passes = {n}, want at least 1")
        cols = {name: self.column(g, name, dtype, n) for name, dtype in PASS_COLUMNS.items()}
        bytes_ = self.attr_num(g, "bytes", np.uint64, "/passes")
        held_bytes = self.attr_num(g, "heldout_bytes", np.uint64, "/passes")
        if bytes_ is not None:
            self.expect(int(bytes_) == int(s["corpus_bytes"]),
                        f"/passes bytes = {int(bytes_)}, /summary corpus_bytes = "
                        f"{int(s['corpus_bytes'])}")
        if held_bytes is not None:
            self.expect(int(held_bytes) == int(s["heldout_bytes"]),
                        f"/passes heldout_bytes = {int(held_bytes)}, /summary heldout_bytes = "
                        f"{int(s['heldout_bytes'])}")
        if any(c is None or c.shape != (n,) for c in cols.values()) or n < 1:
            return
        self.expect(np.array_equal(cols["pass"], np.arange(1, n + 1)),
                    "/passes/pass is not 1, 2, 3, ...")
        train = cols["train_bits"]
        self.expect(np.all(np.isfinite(train)) and np.all(train >= 0),
                    "/passes/train_bits has negative or non-finite values")
        self.close(train[0], s["preq_bits"], "/passes/train_bits[0] vs /summary preq_bits")
        final, last = float(s["final_bits"]), float(cols["eval_bits"][-1])
        if math.isfinite(final):
            self.close(last, final, "/passes/eval_bits[-1] vs /summary final_bits")
        else:
            self.expect(math.isnan(last), f"/passes/eval_bits[-1] = {last!r} but /summary "
                        "final_bits is NaN")
        held_bpb, held_last = float(s["heldout_bpb"]), float(cols["heldout_bits"][-1])
        if math.isfinite(held_bpb) and held_bytes is not None and int(held_bytes) > 0:
            self.close(held_last / int(held_bytes), held_bpb,
                       "/passes/heldout_bits[-1] / heldout_bytes vs /summary heldout_bpb")
        elif int(s["heldout_bytes"]) == 0:
            self.expect(np.all(np.isnan(cols["heldout_bits"])),
                        "/passes/heldout_bits is not NaN without held-out documents")
        if "document_bits" in g:  # files before it have none
            self.pass_documents(f, g["document_bits"][()], cols, n)

    def pass_documents(self, f, table, cols, n):
        """/passes/document_bits [passes][documents]: each evaluated row's trained columns
        add up to that pass's eval_bits and its held-out columns to heldout_bits; the last
        row is /documents/final_bits."""
        held = f["documents/held_out"][()].astype(bool)
        if not self.expect(table.shape == (n, len(held)),
                           f"/passes/document_bits has shape {table.shape}, want "
                           f"({n}, {len(held)})"):
            return
        for e in range(n):
            for mask, key in ((~held, "eval_bits"), (held, "heldout_bits")):
                want = float(cols[key][e])
                if math.isfinite(want) and mask.any():
                    self.close(table[e][mask].sum(), want,
                               f"/passes/document_bits[{e}] summed over the {key} documents "
                               f"vs /passes/{key}[{e}]")
        final = f["documents/final_bits"][()]
        self.expect(np.array_equal(table[-1], final, equal_nan=True),
                    "/passes/document_bits[-1] is not /documents/final_bits")

    def extraction(self, f, s, docs):
        """/extraction and /documents/extract_*: the rows agree with the summary's counts
        and rates and with the per-document counts."""
        have = "extraction" in f
        if s is None or "trained_extract_samples" not in s:
            self.expect(not have, "/extraction present but /summary has no extraction fields")
            return
        n_tr, n_ho = int(s["trained_extract_samples"]), int(s["heldout_extract_samples"])
        in_docs = docs is not None and "extract_samples" in f["documents"]
        if not have:
            self.expect(n_tr + n_ho == 0, f"/summary has {n_tr} + {n_ho} extraction samples "
                        "but /extraction is missing")
            for key in ("trained", "heldout"):
                self.expect(math.isnan(s[f"{key}_exact_rate"]) and
                            math.isnan(s[f"{key}_mean_matched"]),
                            f"/summary {key}_exact_rate or {key}_mean_matched is not NaN "
                            "without samples")
            self.expect(not in_docs, "/documents/extract_samples present without /extraction")
            return
        g = f["extraction"]
        if not self.expect(isinstance(g, h5py.Group), "/extraction is not a group"):
            return
        prefix = self.attr_num(g, "prefix", np.uint64, "/extraction")
        suffix = self.attr_num(g, "suffix", np.uint64, "/extraction")
        if prefix is None or suffix is None:
            return
        for name, value in (("prefix", prefix), ("suffix", suffix)):
            self.expect(int(value) == int(s[f"extract_{name}"]),
                        f"/extraction {name} = {int(value)}, /summary extract_{name} = "
                        f"{int(s['extract_' + name])}")
        n = n_tr + n_ho
        cols = {name: self.column(g, name, dtype, n) for name, dtype in EXTRACT_COLUMNS.items()}
        if any(c is None or c.shape != (n,) for c in cols.values()):
            return
        suffix, prefix = int(suffix), int(prefix)
        doc, held, matched = cols["document"], cols["held_out"], cols["matched"]
        self.expect(np.all(held <= 1), "/extraction/held_out is not 0 or 1")
        self.expect(int(np.sum(held == 0)) == n_tr,
                    f"/extraction has {int(np.sum(held == 0))} trained rows, /summary "
                    f"trained_extract_samples = {n_tr}")
        self.expect(np.all(matched <= suffix),
                    f"/extraction/matched exceeds the suffix ({suffix} bytes)")
        for key, rows in (("trained", held == 0), ("heldout", held == 1)):
            m = matched[rows]
            rate = float(np.mean(m == suffix)) if len(m) else math.nan
            mean = float(np.mean(m)) if len(m) else math.nan
            for name, want in ((f"{key}_exact_rate", rate), (f"{key}_mean_matched", mean)):
                got = float(s[name])
                if math.isnan(want):
                    self.expect(math.isnan(got), f"/summary {name} = {got!r}, want NaN (no "
                                "samples)")
                else:
                    self.close(got, want, f"/summary {name} vs the /extraction rows")
        if docs is None:
            return
        n_docs = docs["n_documents"]
        if not self.expect(np.all(doc < n_docs),
                           f"/extraction/document has indices past {n_docs} documents"):
            return
        d = doc.astype(np.int64)
        self.expect(np.array_equal(docs["held"][d], held.astype(bool)),
                    "/extraction/held_out disagrees with /documents/held_out")
        first = cols["offset"] + prefix  # the first decoded byte, inside its document
        self.expect(np.all((first >= 0) & (first < docs["bytes"][d].astype(np.int64))),
                    "/extraction/offset + prefix falls outside the sample's document")
        gd = f["documents"]
        count = self.column(gd, "extract_samples", np.uint32, n_docs)
        exact = self.column(gd, "extract_exact", np.uint32, n_docs)
        if count is None or exact is None or count.shape != (n_docs,) or \
                exact.shape != (n_docs,):
            return
        self.expect(np.array_equal(count, np.bincount(d, minlength=n_docs)),
                    "/documents/extract_samples disagrees with /extraction/document")
        self.expect(np.array_equal(exact, np.bincount(d[matched == suffix], minlength=n_docs)),
                    "/documents/extract_exact disagrees with the exact rows of /extraction")
        self.expect(int(count[~docs["held"]].sum()) == n_tr and
                    int(count[docs["held"]].sum()) == n_ho,
                    "/documents/extract_samples does not sum to the summary's sample counts")

    def baselines(self, f, docs):
        """The /baselines table, when the run measured baselines."""
        if "baselines" not in f:
            return
        g = f["baselines"]
        if not self.expect("name" in g, "dataset /baselines/name missing"):
            return
        n = len(g["name"])
        orig = self.column(g, "original_bytes", np.uint64, n)
        size = self.column(g, "compressed_bytes", np.uint64, n)
        bits = self.column(g, "compressed_bits", np.float64, n)
        bpb = self.column(g, "bpb", np.float64, n)
        kind = [k.decode() if isinstance(k, bytes) else k for k in g["kind"][:]]
        for i in range(n):
            self.expect(docs is None or orig[i] == docs["n_bytes"], f"baselines row {i}: original_bytes")
            self.close(bpb[i], bits[i] / orig[i], f"baselines row {i}: bpb")
            if kind[i] == "codec":
                self.expect(bits[i] == 8 * size[i], f"baselines row {i}: bits != 8 x bytes")
        if "document_bits" in g and docs is not None:
            d = g["document_bits"]
            self.expect(d.shape == (n, int(docs["n_documents"])),
                        f"/baselines/document_bits shape {d.shape}")

    def two_part(self, f):
        """/two_part, when the run measured it: fp32 codes the data exactly as L_final."""
        if "two_part" not in f:
            return
        g = f["two_part"]
        formats = [x.decode() if isinstance(x, bytes) else x for x in g["format"][:]]
        self.expect(formats == ["fp32", "bf16", "int8", "int4"], f"/two_part formats {formats}")
        wbytes = self.column(g, "weight_bytes", np.uint64, len(formats))
        wbits = self.column(g, "weight_bits", np.float64, len(formats))
        dbits = self.column(g, "data_bits", np.float64, len(formats))
        tbits = self.column(g, "total_bits", np.float64, len(formats))
        if wbytes is None or wbits is None or dbits is None or tbits is None:
            return
        final = f["summary"].attrs.get("final_bits") if "summary" in f else None
        if final is not None and formats and formats[0] == "fp32":
            self.expect(dbits[0] == final, f"/two_part fp32 data_bits {dbits[0]} != final_bits {final}")
        for i in range(len(formats)):
            self.expect(wbits[i] == 8 * wbytes[i], f"/two_part row {i}: weight_bits != 8 x bytes")
            self.close(tbits[i], wbits[i] + dbits[i], f"/two_part row {i}: total_bits")

    def run(self):
        try:
            f = h5py.File(self.path, "r")
        except OSError as e:
            self.fail(f"cannot open as HDF5 ({e})")
            return
        with f:
            root = self.root(f)
            docs = self.documents(f)
            curve = self.curve(f, docs["n_bytes"] if docs else None)
            s = self.summary(f, root, docs, curve)
            self.passes(f, s)
            self.extraction(f, s, docs)
            self.baselines(f, docs)
            self.two_part(f)


def main(argv):
    if len(argv) != 2:
        print("usage: check_results.py FILE.h5", file=sys.stderr)
        return 2
    checker = Checker(argv[1])
    checker.run()
    for line in checker.errors:
        print(line, file=sys.stderr)
    if checker.errors:
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
