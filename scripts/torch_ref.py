#!/usr/bin/env python3
"""torch_ref.py: a PyTorch twin of mdlbench's model and prequential loop.

The comparison twin for GPU speed and correctness (docs/design.md §4): the same byte-level GPT,
the same stream layout, the same AdamW with the same schedule, computing the same
function step for step, so that its per-step bits can be set beside mdlbench's
(/curve/bits of a results file) and its bytes/s beside mdlbench's on the same GPU.

What it mirrors (file of mdlbench in brackets):
- config: configs/default.yaml, then -c FILE, then --set section.key=value, with the
  same strict value rules (host/config/config.c); the schema is the default file's keys.
- corpus: files and directories walked with names sorted bytewise, symlinks resolved,
  duplicates dropped, held-out documents (--holdout, corpus.holdout,
  corpus.holdout_fraction) left out of the streams (host/data/corpus.c).
- initial weights: --init FILE.h5 from `mdlbench init-weights` (/model/params, flat in
  tensor order); without it the counter-based RNG of host/util/rng.c is recomputed here in
  numpy (same values up to libm's last-ulp differences in log/cos, see rng_normal).
- model (host/model/model.c, host/cpu/*.c): token embedding plus, with model.position learned,
  the position table (rope: q and k rotated as host/cpu/rope.c; none: neither), plus with
  model.ngram_order K >= 2 the hashed n-gram rows (ngram_bucket: for k = 2..K the k input
  symbols ending at a position, FNV-1a seeded by k, newest first, then the multiply-xorshift
  finaliser, mod model.ngram_buckets H; order k's table is rows 257 + (k-2)H .. of wte, zero
  at the start; a k-gram that would start before the window adds nothing), added in order
  k = 2..K; the rows are hashed once for the whole padded streams (S x (steps T + 1) x (K-1)
  int32 on the device) and sliced per window; pre-LayerNorm blocks
  (LayerNorm with biased variance and eps 1e-5; qkv = x W^T + b with q, k, v side by side
  and head h at columns [h*hs, (h+1)*hs) of each; causal softmax attention with scale
  1/sqrt(hs); GELU, tanh approximation), final LayerNorm, head over 256 bytes. torch's
  F.layer_norm, F.gelu(approximate='tanh'), F.linear and
  F.scaled_dot_product_attention(is_causal=True, scale=1/sqrt(hs)) compute exactly these
  functions; --attention manual spells the attention out instead.
- bits: -log2 p from fp32 logits, as log2(sum exp(l - max)) - (l_t - max)/ln 2 (so a zero
  head gives exactly 8 bits), summed per step in fp64, computed BEFORE the update
  (host/cpu/crossentropy.c).
- loop (host/train/prequential.c): S streams of L = ceil(N/S) bytes; step k sees
  min(P, kT) earlier bytes of each stream plus its T-byte segment; the input is the
  previous byte (256 at a stream's start); only segment bytes inside the stream are coded;
  they are trained on, and with train.prefix_loss the window's prefix too; loss = mean over
  the trained positions in nats; R = train.repeats_per_step
  updates per step, `train.passes` passes (only the first is the prequential code).
- update (host/model/model.c model_update, host/cpu/adamw.c, host/config/lr_schedule.c): global
  gradient norm in fp64, clipping by grad_scale = clip/norm, AdamW with bias correction
  (1 - beta^t computed in double from the fp32 beta), eps outside the square root,
  decoupled decay on wte, wpe, qkvw, attprojw, fcw, fcprojw, headw only; the n-gram table's
  gradient is a scatter-add (index_add_), and only the rows the step looked up (in any
  stream) enter the norm and get AdamW, lazily (adamw_update_rows: the other rows keep their
  weights and moments, the bias correction is the global update count's); learning rate
  after linear warmup constant, cosine or inverse_sqrt, over steps * R * passes updates,
  times train.head_lr_scale for the head and train.embedding_lr_scale for the embeddings.
  The segment memory (model.memory) is not in the twin: it refuses it.
- bf16 (--dtype bf16): torch.autocast to bf16 around the model (matmuls and attention in
  bf16), fp32 master weights, AdamW, logits-to-bits and loss in fp32. mdlbench's bf16
  mode rounds the operands of every product to bf16 but keeps fp32 outputs; eager
  autocast also rounds the products' outputs (and GELU's input) to bf16, so bf16 bits
  agree to ~1e-4..1e-2 rather than fp32's ~1e-7 over the first steps.

Speed: bytes/s of the loop from --warmup-steps W steps after the first one run (default:
the steps whose window still grows, + 3, which also leaves torch.compile's compilations
out) to the end, and over all steps. Model FLOPs per byte are mdlbench's (host/model/flops.h):
per update 6 P_ne B n + 6 n_layer d_model B n^2 (P_ne: all but wte, the n-gram table
included, and wpe).

Exit codes: 0 done, 1 a run-time failure (device, memory), 2 bad arguments or inputs."""

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import yaml

PROG = "torch_ref"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CONFIG = os.path.join(REPO, "configs", "default.yaml")
DEFAULT_CORPUS = "/usr/share/common-licenses"
VOCAB_IN, VOCAB_OUT, BOS = 257, 256, 256
LOG2E = 1.4426950408889634
ENUMS = {("train", "schedule"): ("constant", "cosine", "inverse_sqrt"),
         ("model", "position"): ("learned", "rope", "none"),
         ("run", "precision"): ("fp32", "bf16")}
U64_KEYS = {("train", "seed"), ("corpus", "holdout_seed"), ("analysis", "extract_seed")}
STRING_MAX = 511
TENSORS = ("wte", "wpe", "ln1w", "ln1b", "qkvw", "qkvb", "attprojw", "attprojb", "ln2w", "ln2b",
           "fcw", "fcb", "fcprojw", "fcprojb", "lnfw", "lnfb", "headw", "headb")
PER_LAYER = set(TENSORS[2:14])
DECAYS = {"wte", "wpe", "qkvw", "attprojw", "fcw", "fcprojw", "headw"}
NGRAM_MAX_ORDER = 8  # host/config/config.h MDL_NGRAM_MAX_ORDER


class Fail(Exception):
    """One-line error; code 2 for bad input, 1 for run-time failures."""

    def __init__(self, msg, code=2):
        super().__init__(msg)
        self.code = code


# ---- configuration (host/config/config.c) -------------------------------------------------------

def _compose(text, where):
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise Fail(f"{where}{line}: YAML syntax error: {getattr(e, 'problem', e)}")


def _scan(text, where):
    """[(section, key, scalar text or None if not a scalar, value kind, line)]."""
    root = _compose(text, where)
    if root is None:
        return []
    if not isinstance(root, yaml.MappingNode):
        raise Fail(f"{where}:{root.start_mark.line + 1}: expected a mapping of sections")
    out, seen = [], set()
    for knode, vnode in root.value:
        sec, line = knode.value, knode.start_mark.line + 1
        if sec in seen:
            raise Fail(f"{where}:{line}: duplicate section '{sec}'")
        seen.add(sec)
        if isinstance(vnode, yaml.ScalarNode) and vnode.tag.endswith(":null"):
            out.append((sec, None, None, "empty", line, line))
            continue
        if not isinstance(vnode, yaml.MappingNode):
            raise Fail(f"{where}:{line}: section '{sec}' must be a mapping")
        keys = set()
        for k2, v2 in vnode.value:
            if k2.value in keys:
                raise Fail(f"{where}:{k2.start_mark.line + 1}: duplicate key '{sec}.{k2.value}'")
            keys.add(k2.value)
            kind = ("scalar" if isinstance(v2, yaml.ScalarNode) else
                    "mapping" if isinstance(v2, yaml.MappingNode) else "list")
            out.append((sec, k2.value, v2.value if kind == "scalar" else None, kind,
                        k2.start_mark.line + 1, line))
    return out


def load_schema():
    """{section: {key: kind}} from configs/default.yaml, and its values."""
    try:
        text = open(DEFAULT_CONFIG, encoding="utf-8").read()
    except OSError as e:
        raise Fail(f"{DEFAULT_CONFIG}: cannot read the default config: {e.strerror}")
    values = yaml.safe_load(text)
    schema = {}
    for sec, keys in values.items():
        schema[sec] = {}
        for key, v in keys.items():
            kind = ("enum" if (sec, key) in ENUMS else "bool" if isinstance(v, bool) else
                    "uint" if isinstance(v, int) else "float" if isinstance(v, float) else
                    "string")
            schema[sec][key] = kind
    cfg = {}
    for sec, key, raw, kind, line, _ in _scan(text, DEFAULT_CONFIG):
        if key is not None:
            cfg.setdefault(sec, {})[key] = _value(schema, sec, key, raw, f"{DEFAULT_CONFIG}:{line}")
    return schema, cfg


def _value(schema, sec, key, raw, where):
    """The typed value of raw text, with host/config/config.c's strict rules."""
    kind = schema[sec][key]
    name = f"{sec}.{key}"
    if kind == "uint":
        if not raw or not raw.isdigit() or not raw.isascii():
            raise Fail(f"{where}: {name} must be an unsigned integer, got '{raw}'")
        if len(raw) > 1 and raw[0] == "0":
            raise Fail(f"{where}: {name} must be written without leading zeros, got '{raw}'")
        limit = 2**64 - 1 if (sec, key) in U64_KEYS else 2**32 - 1
        if int(raw) > limit:
            raise Fail(f"{where}: {name} must be at most {limit}, got '{raw}'")
        return int(raw)
    if kind == "float":
        import re
        if not re.fullmatch(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?", raw or ""):
            raise Fail(f"{where}: {name} must be a number, got '{raw}'")
        v = float(raw)
        if not math.isfinite(v):
            raise Fail(f"{where}: {name} must be a finite number, got '{raw}'")
        return v
    if kind == "bool":
        if raw not in ("true", "True", "TRUE", "false", "False", "FALSE"):
            raise Fail(f"{where}: {name} must be true or false, got '{raw}'")
        return raw.lower() == "true"
    if kind == "enum":
        allowed = ENUMS[(sec, key)]
        if raw not in allowed:
            raise Fail(f"{where}: {name} must be one of {', '.join(allowed)}, got '{raw}'")
        return raw
    if len(raw.encode()) > STRING_MAX:
        raise Fail(f"{where}: {name} must be a string of at most {STRING_MAX} bytes")
    return raw


def _known(schema, sec, key, where, name=None):
    """Fails on an unknown section or key, naming the valid ones."""
    name = name or f"{sec}.{key}"
    if sec not in schema:
        what = "section" if key is None else "key"
        raise Fail(f"{where}: unknown config {what} '{name}' (sections: {', '.join(schema)})")
    if key is not None and key not in schema[sec]:
        raise Fail(f"{where}: unknown config key '{name}' (keys in '{sec}': "
                   f"{', '.join(schema[sec])})")


def _apply(schema, cfg, entries, where):
    for sec, key, raw, kind, line, sec_line in entries:
        at = f"{where}:{line}"
        _known(schema, sec, None, f"{where}:{sec_line}", sec)
        if key is None:
            continue
        _known(schema, sec, key, at)
        if kind != "scalar":
            raise Fail(f"{at}: {sec}.{key} must be a scalar, got a {kind}")
        cfg[sec][key] = _value(schema, sec, key, raw, at)


def load_config(config_path, sets):
    """The effective config: default, then the -c file, then each --set in order."""
    schema, cfg = load_schema()
    if config_path:
        try:
            text = open(config_path, encoding="utf-8").read()
        except OSError as e:
            raise Fail(f"{config_path}: cannot read config file: {e.strerror}")
        except UnicodeDecodeError:
            raise Fail(f"{config_path}: config file is not UTF-8 text")
        _apply(schema, cfg, _scan(text, config_path), config_path)
    for s in sets:
        eq = s.find("=")
        dot = s.find(".", 0, eq) if eq > 0 else -1
        if dot < 0:
            raise Fail(f"--set {s}: expected section.key=value")
        sec, key, raw = s[:dot], s[dot + 1:eq], s[eq + 1:]
        _known(schema, sec, key if sec in schema else "", f"--set {s}", s[:eq])
        try:
            cfg[sec][key] = _value(schema, sec, key, raw, "")
        except Fail as e:
            raise Fail(f"--set {s}: {str(e)[2:]}")
    validate(cfg)
    return cfg


def validate(cfg):
    m, t = cfg["model"], cfg["train"]
    for sec, k in [("model", k) for k in ("n_layer", "n_head", "d_model", "context", "d_ff")] + \
            [("train", k) for k in ("streams", "segment", "repeats_per_step", "passes")]:
        if cfg[sec].get(k, 1) < 1:
            raise Fail(f"{sec}.{k} must be at least 1")
    if m["d_model"] % m["n_head"]:
        raise Fail(f"model.n_head ({m['n_head']}) does not divide model.d_model ({m['d_model']})")
    if t["segment"] > m["context"]:
        raise Fail(f"train.segment ({t['segment']}) is longer than model.context ({m['context']})")
    if not t["lr"] > 0 or not t["eps"] > 0:
        raise Fail("train.lr and train.eps must be greater than 0")
    for k in ("beta1", "beta2"):
        if not 0 <= t[k] < 1:
            raise Fail(f"train.{k} must be in [0, 1), got {t[k]:g}")
    if not 0 <= t["min_lr_ratio"] <= 1:
        raise Fail(f"train.min_lr_ratio must be in [0, 1], got {t['min_lr_ratio']:g}")
    if t["weight_decay"] < 0 or t["grad_clip"] < 0:
        raise Fail("train.weight_decay and train.grad_clip must not be negative")
    if not 0 <= cfg.get("corpus", {}).get("holdout_fraction", 0.0) < 1:
        raise Fail("corpus.holdout_fraction must be in [0, 1)")
    if m.get("position", "learned") == "rope" and (m["d_model"] // m["n_head"]) % 2:
        raise Fail("model.position rope needs an even head size")
    order, nb = m.get("ngram_order", 0), m.get("ngram_buckets", 1)
    if order > NGRAM_MAX_ORDER:
        raise Fail(f"model.ngram_order must be at most {NGRAM_MAX_ORDER}, got {order}")
    if order >= 2 and nb == 0:
        raise Fail(f"model.ngram_buckets must be at least 1 with model.ngram_order {order}")
    if order >= 2 and (order - 1) * nb > (2**31 - 1) // m["d_model"]:
        raise Fail(f"model.ngram_buckets ({nb}) x (model.ngram_order - 1) x model.d_model is "
                   "too large a table")
    if m.get("memory", 0):
        raise Fail("model.memory > 0 (the segment memory) is not in the twin yet: compare "
                   "with model.memory=0", 2)
    for k in ("head_lr_scale", "embedding_lr_scale"):
        if not t.get(k, 1.0) > 0:
            raise Fail(f"train.{k} must be greater than 0")


# ---- the counter-based RNG (host/util/rng.c) ----------------------------------------------------

GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix64(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def rng_bits(seed, stream, counters):
    """splitmix64's finaliser twice, with uint64 wrap-around, for an array of counters."""
    with np.errstate(over="ignore"):
        s = np.array([seed], dtype=np.uint64)
        key = _mix64(s * GOLDEN + _mix64(np.array([stream], dtype=np.uint64) + GOLDEN))
        return _mix64(key + (counters.astype(np.uint64) + np.uint64(1)) * GOLDEN)


def rng_normal(seed, stream, counters):
    """Box-Muller on draws 2c and 2c+1. numpy's log and cos may differ from glibc's in the
    last bit of a double, which moves the fp32 weight in about one value in 2^29."""
    c = counters.astype(np.uint64) * np.uint64(2)
    u1 = ((rng_bits(seed, stream, c) >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53
    u2 = ((rng_bits(seed, stream, c + np.uint64(1)) >> np.uint64(11)).astype(np.float64)
          + 0.5) * 2.0**-53
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(6.283185307179586476925286766559 * u2)


# ---- parameters (host/model/model.c) -----------------------------------------------------------

def ngram_lookups(m):
    """Table rows looked up per position: orders 2..model.ngram_order (0 without a table)."""
    order = m.get("ngram_order", 0)
    return order - 1 if order >= 2 else 0


def ngram_rows(m):
    """Rows of the hashed n-gram table, after wte's 257 byte rows (model_ngram_rows)."""
    return ngram_lookups(m) * m.get("ngram_buckets", 0)


def tensor_shapes(m):
    """mdlbench's tensors in order, with their shapes (per-layer ones stacked [L, ...]);
    wte holds the 257 byte rows, then the n-gram table's rows."""
    L, C, F = m["n_layer"], m["d_model"], m["d_ff"]
    P = m["context"] if m.get("position", "learned") == "learned" else 0  # no table otherwise
    return [("wte", (VOCAB_IN + ngram_rows(m), C)), ("wpe", (P, C)), ("ln1w", (L, C)),
            ("ln1b", (L, C)), ("qkvw", (L, 3 * C, C)), ("qkvb", (L, 3 * C)),
            ("attprojw", (L, C, C)), ("attprojb", (L, C)), ("ln2w", (L, C)), ("ln2b", (L, C)),
            ("fcw", (L, F, C)), ("fcb", (L, F)), ("fcprojw", (L, C, F)), ("fcprojb", (L, C)),
            ("lnfw", (C,)), ("lnfb", (C,)), ("headw", (VOCAB_OUT, C)), ("headb", (VOCAB_OUT,))]


def init_weights(m, seed):
    """model_init_weights: N(0, 0.02) for matrices and embeddings, residual projections
    0.02/sqrt(2L), LayerNorm weights 1, biases 0, the head 0 with zero_init_head; the hashed
    n-gram rows of wte 0 (the byte rows' draws are counters 0..257 C - 1 as without them)."""
    std, proj = 0.02, 0.02 / math.sqrt(2.0 * m["n_layer"])
    parts = []
    for t, (name, shape) in enumerate(tensor_shapes(m)):
        n = int(np.prod(shape))
        s = {"wte": std, "wpe": std, "qkvw": std, "fcw": std, "attprojw": proj,
             "fcprojw": proj, "headw": 0.0 if m["zero_init_head"] else std}.get(name, 0.0)
        if name in ("ln1w", "ln2w", "lnfw"):
            parts.append(np.ones(n, np.float32))
        elif s == 0.0:
            parts.append(np.zeros(n, np.float32))
        else:
            out = np.zeros(n, np.float32)
            drawn = VOCAB_IN * m["d_model"] if name == "wte" else n
            for i0 in range(0, drawn, 1 << 22):
                idx = np.arange(i0, min(drawn, i0 + (1 << 22)), dtype=np.uint64)
                out[i0:i0 + len(idx)] = (s * rng_normal(seed, t, idx)).astype(np.float32)
            parts.append(out)
    return np.concatenate(parts)


def read_init(path, cfg):
    """/model/params of `mdlbench init-weights`, checked against this run's config."""
    try:
        import h5py
    except ImportError:
        raise Fail("--init needs h5py (python3-h5py)")
    sizes = [int(np.prod(s)) for _, s in tensor_shapes(cfg["model"])]
    try:
        with h5py.File(path, "r") as f:
            if "model/params" not in f:
                raise Fail(f"{path}: no /model/params dataset (not an init-weights file)")
            params = np.asarray(f["model/params"][...], dtype=np.float32).reshape(-1)
            fsizes = [int(x) for x in f.attrs.get("tensor_sizes", sizes)]
            text = f.attrs.get("config")
    except OSError as e:
        raise Fail(f"{path}: cannot read the initial weights: {e}")
    if text is not None:
        fcfg = yaml.safe_load(text.decode() if isinstance(text, bytes) else text) or {}
        for k, v in cfg["model"].items():
            if k in fcfg.get("model", {}) and fcfg["model"][k] != v:
                raise Fail(f"{path}: written for model.{k}={fcfg['model'][k]}, this run has {v}")
        fseed = fcfg.get("train", {}).get("seed")
        if fseed is not None and fseed != cfg["train"]["seed"]:
            raise Fail(f"{path}: written for train.seed={fseed}, this run has "
                       f"{cfg['train']['seed']}")
    if fsizes != sizes or params.size != sum(sizes):
        raise Fail(f"{path}: holds {params.size} parameters in {len(fsizes)} tensors, this "
                   f"config needs {sum(sizes)} in {len(sizes)} (sizes {fsizes} vs {sizes})")
    return params


# ---- corpus (host/data/corpus.c) --------------------------------------------------------------

def _walk(d, out, depth):
    if depth > 64:
        raise Fail(f"{d}: directory nesting deeper than 64 (a cycle?)")
    try:
        names = sorted(os.listdir(os.fsencode(d)))
    except OSError as e:
        raise Fail(f"{d}: cannot read corpus directory: {e.strerror}")
    for nm in names:
        p = os.fsencode(d) + b"/" + nm
        try:
            st = os.stat(p)
        except OSError as e:
            raise Fail(f"{os.fsdecode(p)}: cannot read corpus file: {e.strerror}")
        if os.path.stat.S_ISDIR(st.st_mode):
            _walk(os.fsdecode(p), out, depth + 1)
        elif os.path.stat.S_ISREG(st.st_mode):
            out.append(os.path.realpath(os.fsdecode(p)))


def load_corpus(paths, globs, fraction, seed):
    """(trained bytes as uint8, trained documents, all documents) in corpus order."""
    import fnmatch
    files = []
    for a in paths:
        try:
            st = os.stat(a)
        except OSError as e:
            raise Fail(f"{a}: corpus path does not exist: {e.strerror}")
        if os.path.stat.S_ISDIR(st.st_mode):
            before = len(files)
            _walk(os.path.realpath(a), files, 0)
            if len(files) == before:
                raise Fail(f"{a}: corpus directory has no files")
        elif not os.path.stat.S_ISREG(st.st_mode):
            raise Fail(f"{a}: corpus path is not a regular file")
        elif st.st_size == 0:
            raise Fail(f"{a}: corpus file is empty")
        else:
            files.append(os.path.realpath(a))
    docs, seen = [], set()
    for f in files:
        if f not in seen:
            seen.add(f)
            docs.append(f)
    held = [any(fnmatch.fnmatchcase(d, g) or fnmatch.fnmatchcase(os.path.basename(d), g)
                for g in globs) for d in docs]
    want = int(math.floor(fraction * len(docs) + 0.5))
    rest = [i for i in range(len(docs)) if not held[i]]
    if want and rest:
        keys = rng_bits(seed, 0x401D, np.array(rest, dtype=np.uint64))
        for j in np.argsort(keys, kind="stable")[:want]:
            held[rest[j]] = True
    parts = []
    for d, h in zip(docs, held):
        if not h:
            try:
                parts.append(np.fromfile(d, dtype=np.uint8))
            except OSError as e:
                raise Fail(f"{d}: cannot read corpus file: {e.strerror}")
    data = np.concatenate(parts) if parts else np.zeros(0, np.uint8)
    if data.size == 0:
        raise Fail(f"{paths[0]}: corpus has no bytes to train on (every file empty or held out)")
    return data, len(parts), len(docs)


# ---- layout and schedule (host/train/prequential.c, host/config/lr_schedule.c) ------------------------

class Layout:
    def __init__(self, n_bytes, cfg):
        S, T, ctx = cfg["train"]["streams"], cfg["train"]["segment"], cfg["model"]["context"]
        if S > n_bytes:
            raise Fail(f"train.streams ({S}) is larger than the corpus ({n_bytes} bytes)")
        self.N, self.S, self.T, self.P = n_bytes, S, T, ctx - T
        self.L = (n_bytes + S - 1) // S
        self.steps = (self.L + T - 1) // T
        self.lens = np.clip(n_bytes - np.arange(S, dtype=np.int64) * self.L, 0, self.L)

    def seq_len(self, k):
        return min(self.P, k * self.T) + self.T

    def coded(self, k):
        return int(np.clip(self.lens - k * self.T, 0, self.T).sum())

    def trained(self, k, prefix_loss):
        """Positions step k trains on: the coded ones, with the prefix the window's."""
        if not prefix_loss:
            return self.coded(k)
        n = self.seq_len(k)
        first = k * self.T - (n - self.T)
        return int(np.clip(self.lens - first, 0, n).sum())

    def padded_streams(self, data):
        """ext[s, j] = the input token at stream position j (256 at j = 0, the byte before
        it inside the stream), -1 past the stream's end: the targets at position j are
        ext[s, j + 1], and -1 there marks an uncoded position."""
        W = self.steps * self.T + 1
        ext = np.full((self.S, W), -1, dtype=np.int32)
        ext[:, 0] = BOS
        for s in range(self.S):
            n = int(self.lens[s])
            ext[s, 1:n + 1] = data[s * self.L:s * self.L + n]
        return ext


def lr_at(t, u, total):
    warm = t["warmup"]
    if u < warm:
        return t["lr"] * (u + 1) / warm
    if t["schedule"] == "cosine":
        span = total - warm - 1 if total > warm + 1 else 1
        progress = min((u - warm) / span, 1.0)
        floor = t["lr"] * t["min_lr_ratio"]
        return floor + (t["lr"] - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))
    if t["schedule"] == "inverse_sqrt":
        w = float(warm) if warm > 0 else 1.0
        return t["lr"] * math.sqrt(w / (u + (0 if warm > 0 else 1)))
    return t["lr"]


def schedule_table(t, total):
    """Per update u: (float)lr, (float)(1 - beta1^(u+1)), (float)(1 - beta2^(u+1)) as
    host/model/model.c and host/cpu/adamw.c compute them (the betas are fp32 first)."""
    b1, b2 = float(np.float32(t["beta1"])), float(np.float32(t["beta2"]))
    tab = np.empty((total, 3), np.float32)
    for u in range(total):
        tab[u] = (lr_at(t, u, total), 1.0 - b1 ** (u + 1), 1.0 - b2 ** (u + 1))
    return tab


# ---- the model in torch --------------------------------------------------------------------

def ngram_index_table(torch, tok, m):
    """host/model/model.c ngram_bucket over whole streams: tok [S, W] (input symbols, stream
    position j at column j) -> [S, W, K] int32, for k = 2..ngram_order at [:, j, k-2] the table
    row (k-2) H + bucket of the symbols at j-k+1 .. j; where j < k-1 a hash of zeros (a
    window never uses it: its own positions t < k-1 look nothing up). uint32 arithmetic in
    int64, masked to 32 bits: (h ^ s) 16777619 < 2^57 and h 0x7feb352d < 2^63."""
    order, H, K = m["ngram_order"], m["ngram_buckets"], ngram_lookups(m)
    S, W = tok.shape
    M32 = 0xFFFFFFFF
    pad = torch.cat((torch.zeros(S, order - 1, dtype=torch.int64, device=tok.device),
                     tok.long()), 1)  # column j of tok at j + order - 1
    out = torch.empty(S, W, K, dtype=torch.int32, device=tok.device)
    chunk = max(1, (1 << 22) // S)
    for c0 in range(0, W, chunk):
        w = min(W, c0 + chunk) - c0
        for k in range(2, order + 1):
            h = torch.full((S, w), 2166136261 ^ k, dtype=torch.int64, device=tok.device)
            for j in range(k):  # newest symbol first
                a = c0 + order - 1 - j
                h = ((h ^ pad[:, a:a + w]) * 16777619) & M32
            h = h ^ (h >> 16)
            h = (h * 0x7FEB352D) & M32
            h = h ^ (h >> 15)
            out[:, c0:c0 + w, k - 2] = (h % H + (k - 2) * H).to(torch.int32)
    return out


def build_model(torch, cfg, init, device, attention):
    """Parameters as views of one padded flat fp32 buffer (each tensor slice 256-byte
    aligned), with gradients as views of a second one, so that the norm and AdamW are a
    few kernels over the whole buffer. The autograd parameter ("wte", None) is wte's 257
    byte rows only; the n-gram table (the rest of wte's slice) is no autograd leaf: the
    loop gathers its rows into a leaf of their own and scatter-adds that leaf's gradient
    into the table's part of the gradient buffer (make_step_fns)."""
    import torch.nn.functional as F
    m = cfg["model"]
    L, C, NH = m["n_layer"], m["d_model"], m["n_head"]
    hs = C // NH
    slices, src, dst = [], 0, 0  # (name, layer or None, src offset, dst offset, shape)
    for name, shape in tensor_shapes(m):
        per = (name in PER_LAYER)
        for layer in (range(L) if per else [None]):
            sh = shape[1:] if per else shape
            n = int(np.prod(sh))
            slices.append((name, layer, src, dst, sh))
            src += n
            dst += (n + 63) // 64 * 64
    host = np.zeros(dst, np.float32)
    wd = np.zeros(dst, np.float32)
    lrs = np.ones(dst, np.float32)  # host/model/model.c tensor_lr: the head's and embeddings' scales
    t = cfg["train"]
    for name, layer, s, d, sh in slices:
        n = int(np.prod(sh))
        host[d:d + n] = init[s:s + n]
        if name in DECAYS:
            wd[d:d + n] = np.float32(t["weight_decay"])
        if name in ("headw", "headb"):
            lrs[d:d + n] = t.get("head_lr_scale", 1.0)
        elif name in ("wte", "wpe"):
            lrs[d:d + n] = t.get("embedding_lr_scale", 1.0)
    flat = torch.from_numpy(host).to(device)
    grad = torch.zeros_like(flat)
    params = {}
    for name, layer, s, d, sh in slices:
        if name == "wte":
            sh = (VOCAB_IN, C)  # the byte rows; the table follows (make_step_fns)
        n = int(np.prod(sh))
        p = flat[d:d + n].view(sh).detach().requires_grad_(True)
        p.grad = grad[d:d + n].view(sh)
        params[(name, layer)] = p
    scale = 1.0 / math.sqrt(hs)
    rope = m.get("position", "learned") == "rope"
    learned = m.get("position", "learned") == "learned"
    # host/ops/rope.h and host/cpu/rope.c: pairs (i, i + hs/2) rotated by t * 10000^(-2i/hs),
    # the angle, cosine and sine in double, then fp32
    half = hs // 2
    ang = np.arange(m["context"], dtype=np.float64)[:, None] * \
        10000.0 ** (-2.0 * np.arange(half, dtype=np.float64) / hs)[None, :]
    rope_cos = torch.from_numpy(np.cos(ang).astype(np.float32)).to(device)
    rope_sin = torch.from_numpy(np.sin(ang).astype(np.float32)).to(device)

    def rotate(x):  # [B, NH, n, hs]
        n = x.shape[2]
        c, s_ = rope_cos[:n], rope_sin[:n]
        a, b = x[..., :half], x[..., half:]
        return torch.cat((a * c - b * s_, a * s_ + b * c), dim=-1)

    def attend(q, k, v):  # [B, NH, n, hs]
        if attention == "sdpa":
            return F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=scale)
        n = q.shape[2]
        a = (q @ k.transpose(-2, -1)) * scale
        mask = torch.ones(n, n, dtype=torch.bool, device=q.device).tril()
        a = a.masked_fill(~mask, float("-inf")).softmax(-1)
        return a @ v

    def forward(tok, ng=None):  # tok [B, n] int64 -> logits [B, n, 256]
        """ng [B, n, K, C]: the position's n-gram rows (zero where it looks nothing up),
        added after the byte (and position) embedding in order k = 2..K (rows_gather_add)."""
        B, n = tok.shape
        p = params
        x = p[("wte", None)][tok]
        if learned:
            x = x + p[("wpe", None)][:n]
        if ng is not None:
            for j in range(ng.shape[2]):
                x = x + ng[:, :, j]
        for l in range(L):
            h = F.layer_norm(x, (C,), p[("ln1w", l)], p[("ln1b", l)], 1e-5)
            qkv = F.linear(h, p[("qkvw", l)], p[("qkvb", l)])
            q, k, v = (t.view(B, n, NH, hs).transpose(1, 2) for t in qkv.split(C, dim=-1))
            if rope:
                q, k = rotate(q), rotate(k)
            y = attend(q, k, v).transpose(1, 2).reshape(B, n, C)
            x = x + F.linear(y, p[("attprojw", l)], p[("attprojb", l)])
            h = F.layer_norm(x, (C,), p[("ln2w", l)], p[("ln2b", l)], 1e-5)
            h = F.gelu(F.linear(h, p[("fcw", l)], p[("fcb", l)]), approximate="tanh")
            x = x + F.linear(h, p[("fcprojw", l)], p[("fcprojb", l)])
        x = F.layer_norm(x, (C,), p[("lnfw", None)], p[("lnfb", None)], 1e-5)
        return F.linear(x, p[("headw", None)], p[("headb", None)])

    return (forward, flat, grad, torch.from_numpy(wd).to(device), torch.from_numpy(lrs).to(device),
            params, slices)


def make_step_fns(torch, cfg, forward, flat, grad, wdvec, lrvec, dtype, device, jit=None):
    """fwd_loss, update, zero_grad and the table's views (None without one). jit wraps the
    shape-static parts (fwd_loss and the dense update) for torch.compile; the lazy row update
    of the n-gram table, over a varying row count, stays eager."""
    import torch.nn.functional as F
    jit = jit or (lambda f: f)
    t = cfg["train"]
    T = t["segment"]
    b1 = float(np.float32(t["beta1"]))
    b2 = float(np.float32(t["beta2"]))
    omb1 = float(np.float32(1) - np.float32(b1))
    omb2 = float(np.float32(1) - np.float32(b2))
    eps = float(np.float32(t["eps"]))
    clip = float(t["grad_clip"])
    autocast = dtype == "bf16"

    def fwd_loss(tok, tgt, w, ng=None):
        """Sum of the step's bits over the segment (fp64, from fp32 logits, before any
        update) and the training loss: sum of w * (-ln p) over the window's positions,
        w = 1/trained where trained (the segment, and the prefix with train.prefix_loss)."""
        if autocast:
            with torch.autocast(device_type=device.type, dtype=torch.bfloat16):
                logits = forward(tok, ng)
        else:
            logits = forward(tok, ng)
        logits = logits.float()
        d = logits[:, -T:, :].detach()
        ts = tgt[:, -T:]
        mx = d.amax(-1, keepdim=True)
        lt = d.gather(-1, ts.unsqueeze(-1)).squeeze(-1)
        bits = torch.log2((d - mx).exp().sum(-1)) - (lt - mx.squeeze(-1)) * LOG2E
        bits_sum = torch.where(w[:, -T:] > 0, bits.double(), 0.0).sum()
        ce = F.cross_entropy(logits.reshape(-1, VOCAB_OUT), tgt.reshape(-1), reduction="none")
        return (ce * w.reshape(-1)).sum(), bits_sum

    # the n-gram table: rows [lo, hi) of the flat buffers (wte is the first slice, at 0);
    # the dense update covers the spans around it
    m = cfg["model"]
    C, NR = m["d_model"], ngram_rows(m)
    lo, hi = VOCAB_IN * C, (VOCAB_IN + NR) * C
    spans = [(0, lo), (hi, flat.numel())] if NR else [(0, flat.numel())]
    M = torch.zeros_like(flat)
    V = torch.zeros_like(flat)

    def dense(sched, ss_rows):
        """Global norm (fp64; ss_rows: the table's touched rows' sum of squares), clipping,
        AdamW (host/cpu/adamw.c) on the flat buffers outside the table."""
        with torch.no_grad():
            lr, c1, c2 = sched[0], sched[1], sched[2]
            ss = ss_rows
            for a, b in spans:
                ss = ss + grad[a:b].double().square().sum()
            norm = ss.sqrt()
            scale = torch.where((norm > clip) & (clip > 0), clip / norm, 1.0).float()
            for a, b in spans:
                g = grad[a:b] * scale
                Ms, Vs, P = M[a:b], V[a:b], flat[a:b]
                Ms.mul_(b1).add_(omb1 * g)
                Vs.mul_(b2).add_(omb2 * g * g)
                mhat, vhat = Ms / c1, Vs / c2
                P.sub_(lr * lrvec[a:b] * (mhat / (vhat.sqrt() + eps) + wdvec[a:b] * P))
            return norm, scale

    dense = jit(dense)
    fwd_loss = jit(fwd_loss)
    no_rows = torch.zeros((), dtype=torch.float64, device=device)
    table = None
    if NR:
        table = {"rows": NR, "K": ngram_lookups(m), "p": flat[lo:hi].view(NR, C),
                 "g": grad[lo:hi].view(NR, C)}
        Mt, Vt = M[lo:hi].view(NR, C), V[lo:hi].view(NR, C)
        lr_t, wd_t = lrvec[:1], wdvec[:1]  # wte's learning-rate scale and decay

    def update(sched, rows=None):
        """The dense update, then with the table the lazy AdamW of its touched rows (rows:
        ascending int64, the step's looked-up rows over all streams): host/model/model.c
        model_update, ngram_update; it clears those rows' gradient (adamw_update_rows)."""
        if table is None or rows is None:
            return dense(sched, no_rows)[0]
        with torch.no_grad():
            Pt, Gt = table["p"], table["g"]
            gr = Gt.index_select(0, rows)
            norm, scale = dense(sched, gr.double().square().sum())
            lr, c1, c2 = sched[0], sched[1], sched[2]
            g = gr * scale
            mt = Mt.index_select(0, rows).mul_(b1).add_(omb1 * g)
            vt = Vt.index_select(0, rows).mul_(b2).add_(omb2 * g * g)
            mhat, vhat = mt / c1, vt / c2
            p = Pt.index_select(0, rows)
            p.sub_(lr * lr_t * (mhat / (vhat.sqrt() + eps) + wd_t * p))
            Pt.index_copy_(0, rows, p)
            Mt.index_copy_(0, rows, mt)
            Vt.index_copy_(0, rows, vt)
            Gt.index_fill_(0, rows, 0.0)
            return norm

    def zero_grad():
        """All gradients but the table's, which the row update leaves zero (grads_zero)."""
        for a, b in spans:
            grad[a:b].zero_()

    return fwd_loss, update, zero_grad, table


# ---- the loop ------------------------------------------------------------------------------

def run(args, cfg, lay, data, n_docs, n_all):
    try:
        import torch
    except ImportError as e:
        raise Fail(f"cannot import torch: {e}", 1)
    if args.device == "cuda" and not torch.cuda.is_available():
        raise Fail("--device cuda: no CUDA device is available to torch", 1)
    device = torch.device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    tf32 = args.tf32 == "on"
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    torch.set_float32_matmul_precision("high" if tf32 else "highest")
    dtype = args.dtype or cfg.get("run", {}).get("precision", "fp32")

    t, m = cfg["train"], cfg["model"]
    R, E = t["repeats_per_step"], t["passes"]
    total_updates = lay.steps * R * E
    init = read_init(args.init, cfg) if args.init else init_weights(m, t["seed"])
    n_params = init.size
    n_ne = n_params - sum(int(np.prod(s)) for name, s in tensor_shapes(m)
                          if name in ("wte", "wpe"))

    forward, flat, grad, wdvec, lrvec, params, slices = build_model(torch, cfg, init, device,
                                                                    args.attention)
    jit = None
    if args.compile:
        import torch._dynamo
        for knob in ("cache_size_limit", "recompile_limit"):
            if hasattr(torch._dynamo.config, knob):
                setattr(torch._dynamo.config, knob, 64)
        kw = {"dynamic": False}
        if args.compile_mode:
            kw["mode"] = args.compile_mode
        jit = lambda f: torch.compile(f, **kw)
    fwd_loss, update, zero_grad, table = make_step_fns(torch, cfg, forward, flat, grad, wdvec,
                                                       lrvec, dtype, device, jit)

    ext = torch.from_numpy(lay.padded_streams(data)).to(device)
    if table is not None:  # every stream position's n-gram rows; a window slices them
        ng_all = ngram_index_table(torch, ext.clamp_min(0), m)
        K, C = table["K"], m["d_model"]
        # window position t looks up order k = j + 2 when t >= k - 1
        ng_valid = (torch.arange(m["context"], device=device)[:, None] >=
                    torch.arange(1, K + 1, device=device)[None, :])
    sched = torch.from_numpy(schedule_table(t, total_updates)).to(device)
    cur = torch.empty(3, dtype=torch.float32, device=device)
    end = lay.steps * E if args.steps is None else min(args.start_step + args.steps,
                                                          lay.steps * E)
    start = args.start_step
    if start >= end:
        raise Fail(f"--start-step {start}: the run has only {lay.steps * E} steps")
    step_bits = torch.zeros(end - start, dtype=torch.float64, device=device)
    step_norm = torch.zeros(end - start, dtype=torch.float64, device=device)
    warm = args.warmup_steps  # steps after `start` left out of the timed bytes/s
    if warm is None:
        warm = max(0, (lay.P + lay.T - 1) // lay.T - start) + 3
    T = lay.T
    prefix_loss = bool(t.get("prefix_loss", False))

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    # each parameter's gradient must accumulate in place in `grad` (checked every step)
    grad_views = [(p, grad.data_ptr() + 4 * d) for (name, layer, s, d, sh), p in
                  zip(slices, params.values()) if p.numel() > 0]  # no wpe without its table

    sync()
    t0 = time.perf_counter()
    tw, done, flops_timed, bytes_timed = None, start, 0.0, 0
    for gk in range(start, end):
        e, k = divmod(gk, lay.steps)
        i = gk - start
        if i == warm:
            sync()
            tw = time.perf_counter()
        n = lay.seq_len(k)
        first = k * T - (n - T)
        coded = lay.coded(k)
        tok = ext[:, first:first + n].clamp_min(0).long()
        twin = ext[:, first + 1:first + n + 1]  # the window's targets, -1 past a stream's end
        trained = lay.trained(k, prefix_loss)
        keep = twin >= 0
        if not prefix_loss:
            keep[:, :n - T] = False
        w = keep.float() * float(np.float32(1) / np.float32(trained))
        tgt = twin.clamp_min(0).long()
        rows = None
        if table is not None:
            ng_idx = ng_all[:, first:first + n].reshape(-1).long()  # [S n K], (s, t, j) order
            vmask = ng_valid[:n].expand(lay.S, n, K).reshape(-1)
            rows = torch.unique(ng_idx[vmask])  # ascending, the same for the R updates
            vmask = vmask[:, None]
        for r in range(R):
            zero_grad()
            ng = None
            if table is not None:
                ng = torch.where(vmask, table["p"].index_select(0, ng_idx), 0.0)
                ng = ng.view(lay.S, n, K, C).requires_grad_(True)
            loss, bits_sum = fwd_loss(tok, tgt, w, ng)
            loss.backward()
            if any(p.grad is None or p.grad.data_ptr() != ptr for p, ptr in grad_views):
                raise Fail("internal: a gradient did not accumulate in the flat buffer", 1)
            if ng is not None:  # rows_scatter_add: in (s, t, j) order on the CPU
                table["g"].index_add_(0, ng_idx,
                                      torch.where(vmask, ng.grad.view(-1, C), 0.0))
            cur.copy_(sched[(e * lay.steps + k) * R + r])
            norm = update(cur, rows)
            if r == 0:
                step_bits[i] = bits_sum
                step_norm[i] = norm
        done = gk + 1
        if i >= warm:
            bytes_timed += coded
            flops_timed += R * flops_fwd_bwd(m, n_ne, lay.S, n)
            if args.max_seconds and time.perf_counter() - tw > args.max_seconds:
                break
    sync()
    t1 = time.perf_counter()
    bits = step_bits[:done - start].cpu().numpy()
    norms = step_norm[:done - start].cpu().numpy()
    return summarize(args, cfg, lay, bits, norms, start, done, warm, t0, tw, t1, bytes_timed,
                     flops_timed, n_params, n_ne, n_docs, n_all, dtype, torch, device)


def flops_fwd_bwd(m, n_ne, B, n):
    """host/model/flops.c: 6 P_ne B n + 6 n_layer d_model B n^2 per forward + backward."""
    return 6.0 * n_ne * B * n + 6.0 * m["n_layer"] * m["d_model"] * B * n * n


def summarize(args, cfg, lay, bits, norms, start, done, warm, t0, tw, t1, bytes_timed,
              flops_timed, n_params, n_ne, n_docs, n_all, dtype, torch, device):
    """bits[i], norms[i] are of step start + i. The prequential figures cover the steps of
    the first pass that ran."""
    first_pass = bits[:max(0, min(done, lay.steps) - start)]
    coded = [lay.coded(start + i) for i in range(len(first_pass))]
    steps_run = range(start, done)
    coded_all = sum(lay.coded(k % lay.steps) for k in steps_run)
    flops_all = sum(cfg["train"]["repeats_per_step"] *
                    flops_fwd_bwd(cfg["model"], n_ne, lay.S, lay.seq_len(k % lay.steps))
                    for k in steps_run)
    timed = tw is not None and t1 > tw and bytes_timed > 0
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    out = {
        "tool": "torch_ref", "torch_version": torch.__version__, "device": args.device,
        "device_name": gpu, "dtype": dtype, "compile": bool(args.compile),
        "attention": args.attention, "tf32": args.tf32 == "on",
        "init": args.init or "rng", "corpus_bytes": lay.N, "n_documents": n_docs,
        "n_documents_total": n_all, "n_params": int(n_params),
        "n_params_nonembedding": int(n_ne), "streams": lay.S, "segment": lay.T,
        "context": cfg["model"]["context"], "steps": lay.steps, "start_step": start,
        "steps_run": done - start, "complete": start == 0 and done >= lay.steps,
        "bytes_coded": int(sum(coded)),
        "preq_bits": float(first_pass.sum()),
        "preq_bpb": float(first_pass.sum() / max(1, sum(coded))),
        "first_step_bpb": float(first_pass[0] / coded[0]) if coded and start == 0 else None,
        "warmup_steps": warm, "train_s": t1 - t0,
        "bytes_per_s_all": coded_all / (t1 - t0) if t1 > t0 else None,
        "achieved_flops_all": flops_all / (t1 - t0) if t1 > t0 else None,
        "timed_s": (t1 - tw) if timed else None,
        "bytes_per_s": bytes_timed / (t1 - tw) if timed else None,
        "achieved_flops": flops_timed / (t1 - tw) if timed else None,
        "model_flops_per_byte": flops_all / coded_all if coded_all else None,
        "peak_cuda_memory_bytes": (torch.cuda.max_memory_allocated(device)
                                   if device.type == "cuda" else None),
    }
    if args.compare:
        out.update(compare(args.compare, first_pass, norms[:len(first_pass)]))
    return out, first_pass, norms[:len(first_pass)]


def compare(path, bits, norms):
    """Per-step bits against an mdlbench results file's /curve/bits."""
    try:
        import h5py
        with h5py.File(path, "r") as f:
            ref = np.asarray(f["curve/bits"][...], dtype=np.float64)
            rnorm = np.asarray(f["curve/grad_norm"][...], dtype=np.float64)
    except (OSError, KeyError, ImportError) as e:
        raise Fail(f"{path}: cannot read /curve/bits: {e}")
    n = min(len(ref), len(bits))
    if n == 0:
        raise Fail(f"{path}: no steps to compare")
    rel = np.abs(bits[:n] - ref[:n]) / np.maximum(np.abs(ref[:n]), 1e-300)
    nrel = np.abs(norms[:n] - rnorm[:n]) / np.maximum(np.abs(rnorm[:n]), 1e-300)
    cum = abs(bits[:n].sum() - ref[:n].sum()) / ref[:n].sum()
    return {"compare_file": path, "compare_steps": int(n),
            "compare_max_rel_step_bits": float(rel.max()),
            "compare_mean_rel_step_bits": float(rel.mean()),
            "compare_rel_total_bits": float(cum),
            "compare_max_rel_grad_norm": float(nrel.max()),
            "compare_first_step_rel": float(rel[0])}


def report(o, cfg):
    m = cfg["model"]
    f = lambda v, fmt: "n/a" if v is None else format(v, fmt)
    print(f"{PROG}: torch {o['torch_version']} on {o['device']} ({o['device_name']}), "
          f"{o['dtype']}{', compiled' if o['compile'] else ', eager'}, attention {o['attention']}")
    print(f"  model         {m['n_layer']} layers, d_model {m['d_model']}, {m['n_head']} heads, "
          f"context {m['context']}: {o['n_params'] / 1e6:.3f}M parameters "
          f"({o['n_params_nonembedding'] / 1e6:.3f}M non-embedding); initial weights {o['init']}")
    ran = f"ran {o['steps_run']} steps"
    if o["start_step"]:
        ran += f" from step {o['start_step']} (benchmark: bits not comparable)"
    print(f"  layout        {o['streams']} streams x {o['steps']} steps of {o['segment']} bytes; "
          f"{ran}{'' if o['complete'] or o['start_step'] else ' (stopped early)'}")
    print(f"  first step    {f(o['first_step_bpb'], '.6f')} bits/byte")
    print(f"  prequential   {o['preq_bits']:.1f} bits = {o['preq_bpb']:.4f} bits/byte over "
          f"{o['bytes_coded']} of {o['corpus_bytes']} bytes")
    print(f"  speed         {f(o['bytes_per_s'], '.0f')} bytes/s from step "
          f"{o['start_step'] + o['warmup_steps']} ({f(o['achieved_flops'], '.3e')} FLOP/s), "
          f"{f(o['bytes_per_s_all'], '.0f')} bytes/s over all steps run; "
          f"{f(o['model_flops_per_byte'], '.3e')} FLOP/byte")
    print(f"  time          {o['train_s']:.2f} s in the loop, {f(o['timed_s'], '.2f')} s timed")
    if "compare_file" in o:
        print(f"  vs mdlbench   {o['compare_steps']} steps of {o['compare_file']}: per-step bits "
              f"max rel diff {o['compare_max_rel_step_bits']:.2e} (mean "
              f"{o['compare_mean_rel_step_bits']:.2e}), total {o['compare_rel_total_bits']:.2e}, "
              f"grad norm {o['compare_max_rel_grad_norm']:.2e}")


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="torch_ref.py",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="A PyTorch twin of mdlbench's model and prequential loop: same config "
                    "files, same corpus rules, same initial weights, same step-by-step "
                    "function; prints the prequential code length and the bytes/s of the "
                    "training loop.",
        epilog="examples:\n"
               "  mdlbench init-weights -c configs/models/gpt-2M.yaml -o init.h5\n"
               "  python3 scripts/torch_ref.py -c configs/models/gpt-2M.yaml --init init.h5 \\\n"
               "      --device cuda --dtype bf16 --compile --steps 200 --json out.json\n"
               "  python3 scripts/torch_ref.py --device cpu --steps 50 --compare run.h5\n"
               "Per-step bits agree with mdlbench's /curve/bits to ~1e-7 relative in fp32 "
               "over the first tens of steps (then rounding differences grow, as between "
               "two thread counts of mdlbench); bf16 (autocast) to ~1e-4..1e-2.")
    p.add_argument("--corpus", action="append", metavar="PATH",
                   help=f"file or directory, repeatable (default {DEFAULT_CORPUS})")
    p.add_argument("-c", "--config", metavar="FILE", help="YAML config applied over "
                   "configs/default.yaml")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override one config key (section.key=value), repeatable, after -c")
    p.add_argument("--holdout", action="append", default=[], metavar="GLOB",
                   help="hold out documents whose path or file name matches (repeatable)")
    p.add_argument("--init", metavar="FILE.h5", help="initial weights from `mdlbench "
                   "init-weights` (default: recompute host/util/rng.c's weights here)")
    p.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    p.add_argument("--dtype", choices=("fp32", "bf16"), default=None,
                   help="fp32, or bf16 autocast with fp32 master weights (default: the "
                        "config's run.precision if it has one, else fp32)")
    p.add_argument("--tf32", choices=("on", "off"), default="off",
                   help="TF32 matmuls for fp32 (default off, as mdlbench)")
    p.add_argument("--attention", choices=("sdpa", "manual"), default="sdpa",
                   help="F.scaled_dot_product_attention or the spelled-out softmax")
    p.add_argument("--compile", action="store_true", help="torch.compile the forward+loss "
                   "and the update (static shapes)")
    p.add_argument("--compile-mode", metavar="MODE", help="torch.compile mode, e.g. "
                   "max-autotune-no-cudagraphs")
    p.add_argument("--steps", type=int, metavar="N", help="stop after N steps (benchmarks)")
    p.add_argument("--start-step", default="0", metavar="K|full",
                   help="benchmarks only: begin at step K with the initial weights; 'full': "
                        "at the first step whose window is full (ceil(prefix/segment)), so "
                        "torch.compile sees one shape. The bits then differ from mdlbench's")
    p.add_argument("--max-seconds", type=float, metavar="S",
                   help="stop after S seconds of timed steps (benchmarks)")
    p.add_argument("--warmup-steps", type=int, metavar="W", help="steps left out of the "
                   "timed bytes/s (default: ceil(prefix/segment) + 3)")
    p.add_argument("--threads", type=int, metavar="N", help="torch CPU threads")
    p.add_argument("--json", metavar="FILE", help="write the results as JSON")
    p.add_argument("--bits-out", metavar="FILE.npy", help="per-step bits (first pass, fp64)")
    p.add_argument("--norms-out", metavar="FILE.npy", help="per-step gradient norms")
    p.add_argument("--compare", metavar="RESULTS.h5", help="compare the per-step bits with "
                   "an mdlbench results file's /curve/bits")
    p.add_argument("-q", "--quiet", action="store_true", help="no summary on stdout")
    a = p.parse_args(argv)
    if a.steps is not None and a.steps < 1:
        p.error("--steps must be at least 1")
    if a.max_seconds is not None and a.max_seconds <= 0:
        p.error("--max-seconds must be positive")
    if a.start_step != "full" and not a.start_step.isdigit():
        p.error("--start-step must be a step number or 'full'")
    if a.start_step != "0" and a.compare:
        p.error("--compare needs the whole run from step 0 (no --start-step)")
    if a.warmup_steps is not None and a.warmup_steps < 0:
        p.error("--warmup-steps must not be negative")
    return a


def main(argv):
    args = parse_args(argv)
    try:
        cfg = load_config(args.config, args.set)
        c = cfg.get("corpus", {})
        globs = list(args.holdout) + [g for g in c.get("holdout", "").split(",") if g]
        data, n_docs, n_all = load_corpus(args.corpus or [DEFAULT_CORPUS], globs,
                                          c.get("holdout_fraction", 0.0),
                                          c.get("holdout_seed", 1))
        lay = Layout(len(data), cfg)
        args.start_step = ((lay.P + lay.T - 1) // lay.T if args.start_step == "full"
                           else int(args.start_step))
        try:
            out, bits, norms = run(args, cfg, lay, data, n_docs, n_all)
        except Fail:
            raise
        except Exception as e:  # torch's errors: out of memory, driver, compiler
            name = type(e).__name__
            raise Fail(f"{name}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}", 1)
        if not args.quiet:
            report(out, cfg)
        for path, arr in ((args.bits_out, bits), (args.norms_out, norms)):
            if path:
                np.save(path, arr)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(out, f, indent=1)
                f.write("\n")
        return 0
    except Fail as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return e.code
    except OSError as e:
        print(f"{PROG}: {e.filename or ''}: {e.strerror}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
