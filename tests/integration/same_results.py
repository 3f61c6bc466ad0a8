"""Exit 0 when two results files hold the same code lengths and tables, bit for bit.

Usage: same_results.py A.h5 B.h5. Compares the curve, the per-document bits, the passes
and the summary's code lengths (a resumed run must equal the uninterrupted one).
"""
import sys

import h5py
import numpy as np

TABLES = ["curve/bits", "curve/cum_bits", "curve/lr", "curve/grad_norm", "curve/bytes",
          "documents/preq_bits", "documents/final_bits", "passes/train_bits",
          "passes/eval_bits", "passes/heldout_bits", "passes/document_bits"]
SUMMARY = ["preq_bits", "final_bits", "first_step_bpb", "info_absorbed_bits", "steps"]

a, b = h5py.File(sys.argv[1]), h5py.File(sys.argv[2])
for name in TABLES:
    x, y = a[name][:], b[name][:]
    assert x.shape == y.shape and np.array_equal(x, y, equal_nan=True), f"{name} differs"
for key in SUMMARY:
    assert a["summary"].attrs[key] == b["summary"].attrs[key], f"summary {key} differs"
print(f"identical: {len(a['curve/bits'])} steps, {a['summary'].attrs['preq_bits']:.6f} bits")
