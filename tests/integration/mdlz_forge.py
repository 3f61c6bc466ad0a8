#!/usr/bin/python3
"""Rewrites fields of an mdlbench .mdl file (format: docs/design.md section 9) with a
valid header checksum, so that tests can reach the checks behind it: another backend,
precision or thread count, a wrong data checksum, another format version.

Usage: mdlz_forge.py IN OUT FIELD=VALUE...
  fields: backend, precision, commit (strings); threads (integer); data_xxh64 (integer);
  version (the format version, integer)

The header checksum of IN is verified first with this file's own XXH64, which checks the
XXH64 below against the C library that wrote it."""

import struct
import sys

M = (1 << 64) - 1
P1, P2, P3, P4, P5 = (0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                      0x85EBCA77C2B2AE63, 0x27D4EB2F165667C5)


def rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & M


def rnd(acc, lane):
    return rotl((acc + lane * P2) & M, 31) * P1 & M


def xxh64(data, seed=0):
    n, i = len(data), 0
    if n >= 32:
        v = [(seed + P1 + P2) & M, (seed + P2) & M, seed, (seed - P1) & M]
        while i + 32 <= n:
            for k in range(4):
                v[k] = rnd(v[k], struct.unpack_from("<Q", data, i + 8 * k)[0])
            i += 32
        h = (rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18)) & M
        for k in range(4):
            h = ((h ^ rnd(0, v[k])) * P1 + P4) & M
    else:
        h = (seed + P5) & M
    h = (h + n) & M
    while i + 8 <= n:
        h = (rotl(h ^ rnd(0, struct.unpack_from("<Q", data, i)[0]), 27) * P1 + P4) & M
        i += 8
    if i + 4 <= n:
        h = (rotl(h ^ (struct.unpack_from("<I", data, i)[0] * P1 & M), 23) * P2 + P3) & M
        i += 4
    while i < n:
        h = rotl(h ^ (data[i] * P5 & M), 11) * P1 & M
        i += 1
    h = (h ^ (h >> 33)) * P2 & M
    h = (h ^ (h >> 29)) * P3 & M
    return h ^ (h >> 32)


def parse(body):
    """The header fields as a dict (bytes for strings, ints for integers, raw for the rest)."""
    pos = 0

    def take(n):
        nonlocal pos
        pos += n
        return body[pos - n:pos]

    def string():
        return take(struct.unpack("<I", take(4))[0])

    f = {}
    for name in ("mdlbench_version", "commit", "backend", "precision"):
        f[name] = string()
    f["threads"] = struct.unpack("<I", take(4))[0]
    f["device"] = string()
    f["config"] = string()  # a zstd frame, kept as it is
    n_docs = struct.unpack("<Q", take(8))[0]
    f["docs"] = [(string(), take(8)) for _ in range(n_docs)]
    f["n_bytes"] = take(8)
    f["data_xxh64"] = struct.unpack("<Q", take(8))[0]
    f["rest"] = body[pos:]  # preq bits, quantised bits, payload bytes and checksum
    return f


def build(f):
    def string(s):
        return struct.pack("<I", len(s)) + s

    out = b"".join(string(f[k]) for k in ("mdlbench_version", "commit", "backend", "precision"))
    out += struct.pack("<I", f["threads"]) + string(f["device"]) + string(f["config"])
    out += struct.pack("<Q", len(f["docs"]))
    out += b"".join(string(name) + size for name, size in f["docs"])
    return out + f["n_bytes"] + struct.pack("<Q", f["data_xxh64"]) + f["rest"]


def main():
    src, dst, edits = sys.argv[1], sys.argv[2], sys.argv[3:]
    data = open(src, "rb").read()
    version, hlen = struct.unpack_from("<II", data, 8)
    stored = struct.unpack_from("<Q", data, 16 + hlen)[0]
    if xxh64(data[:16 + hlen]) != stored:
        sys.exit(f"{src}: this XXH64 disagrees with the header checksum")
    f = parse(data[16:16 + hlen])
    for edit in edits:
        key, value = edit.split("=", 1)
        if key in ("threads", "data_xxh64"):
            f[key] = int(value, 0)
        elif key == "version":
            version = int(value)
        else:
            f[key] = value.encode()
    body = build(f)
    head = data[:8] + struct.pack("<II", version, len(body)) + body
    with open(dst, "wb") as out:
        out.write(head + struct.pack("<Q", xxh64(head)) + data[16 + hlen + 8:])


main()
