#!/usr/bin/env python3
"""mutate.py - differential test of `kiln validate` against wabt's wasm-validate.

Takes seed modules (the valid modules of the spec suite when
--testsuite is given, else examples/*.wat assembled with wat2wasm),
mutates them deterministically (byte and bit flips, truncations,
insertions, deletions, section-size fields that lie, LEB128 padding,
duplicated and dropped sections), and checks for every mutant that:

  * kiln validate neither crashes (signal, or exit status > 2) nor hangs;
  * kiln and wasm-validate (wabt defaults = the WebAssembly 2.0 feature
    set) agree on accept/reject, except for the documented deviations
    in KNOWN_DEVIATIONS below.

Disagreements and crashes are saved under --out as .wasm files with a
.txt note and printed; the exit status is 1 if there was any.
"""
import argparse
import concurrent.futures
import json
import os
import random
import subprocess
import sys
import tempfile

# wast2json flags are not needed: only top-level (2.0) files are used.
# Converting every file takes a while on a small machine; an evenly spread
# subset gives the same variety of seeds.
SEED_WAST_FILES = 60


def leb_u32_read(data, pos):
    """Returns (value, length) of the unsigned LEB128 at pos, or None."""
    result, shift = 0, 0
    for i in range(5):
        if pos + i >= len(data):
            return None
        b = data[pos + i]
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return result, i + 1
    return None


def leb_u32_write(value, width=None):
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value or (width and len(out) + 1 < width):
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def sections(data):
    """(id, header_start, size_pos, size_len, payload_start, payload_end) of
    each section, as far as the framing can be read."""
    out, pos = [], 8
    while pos < len(data):
        leb = leb_u32_read(data, pos + 1)
        if leb is None:
            break
        size, n = leb
        start = pos + 1 + n
        if start + size > len(data):
            break
        out.append((data[pos], pos, pos + 1, n, start, start + size))
        pos = start + size
    return out


# ---- mutations: each takes (rng, bytearray) and returns the mutant -----------

def m_byte_set(rng, d):
    if len(d) > 8:
        d[rng.randrange(8, len(d))] = rng.randrange(256)
    return d


def m_bit_flip(rng, d):
    if len(d) > 8:
        i = rng.randrange(8, len(d))
        d[i] ^= 1 << rng.randrange(8)
    return d


def m_truncate(rng, d):
    return d[:rng.randrange(0, len(d) + 1)]


def m_insert(rng, d):
    i = rng.randrange(8, len(d) + 1) if len(d) >= 8 else len(d)
    junk = bytes(rng.choice([0x00, 0x0B, 0x7F, 0x80, 0xFF, rng.randrange(256)])
                 for _ in range(rng.randrange(1, 5)))
    return d[:i] + junk + d[i:]


def m_delete(rng, d):
    if len(d) <= 9:
        return d
    i = rng.randrange(8, len(d))
    return d[:i] + d[i + rng.randrange(1, 5):]


def m_size_lie(rng, d):
    """Rewrites one section's size field: a little off, or huge."""
    secs = sections(d)
    if not secs:
        return m_byte_set(rng, d)
    _, _, size_pos, size_len, start, end = rng.choice(secs)
    size = end - start
    new = rng.choice([size + 1, max(size - 1, 0), size + rng.randrange(2, 100),
                      0xFFFFFFFF, rng.randrange(0, 2 * size + 2)])
    return d[:size_pos] + leb_u32_write(new & 0xFFFFFFFF) + d[size_pos + size_len:]


def m_count_lie(rng, d):
    """Changes the vector count at the start of a non-custom section."""
    secs = [s for s in sections(d) if s[0] not in (0, 8) and s[5] > s[4]]
    if not secs:
        return m_bit_flip(rng, d)
    _, _, _, _, start, _ = rng.choice(secs)
    leb = leb_u32_read(d, start)
    if leb is None:
        return d
    count, n = leb
    new = max(0, count + rng.choice([-1, 1, 2, 1000, 0x7FFFFFFF]))
    return d[:start] + leb_u32_write(new) + d[start + n:]


def m_leb_pad(rng, d):
    """Pads a section size LEB to 5 bytes (valid) or 6 bytes (malformed)."""
    secs = sections(d)
    if not secs:
        return d
    _, _, size_pos, size_len, start, end = rng.choice(secs)
    width = rng.choice([5, 6])
    padded = leb_u32_write(end - start, 5)
    if width == 6:
        padded = padded[:4] + bytes([padded[4] | 0x80, 0x00])
    return d[:size_pos] + padded + d[size_pos + size_len:]


def m_section_dup(rng, d):
    secs = sections(d)
    if not secs:
        return d
    _, hs, _, _, _, end = rng.choice(secs)
    return d[:end] + d[hs:end] + d[end:]


def m_section_drop(rng, d):
    secs = sections(d)
    if not secs:
        return d
    _, hs, _, _, _, end = rng.choice(secs)
    return d[:hs] + d[end:]


def m_code_byte(rng, d):
    """A random byte inside the code section: mostly well-framed modules
    whose function bodies are wrong, to reach the validator."""
    secs = [s for s in sections(d) if s[0] == 10 and s[5] - s[4] > 2]
    if not secs:
        return m_byte_set(rng, d)
    _, _, _, _, start, end = rng.choice(secs)
    i = rng.randrange(start + 1, end)
    d[i] = rng.choice([rng.randrange(256), 0x0B, 0x1A, 0x41, 0x20, 0x6A, 0x05, 0x0C, 0xFC, 0xFD])
    return d


MUTATIONS = [m_byte_set, m_bit_flip, m_truncate, m_insert, m_delete, m_size_lie,
             m_count_lie, m_leb_pad, m_section_dup, m_section_drop, m_code_byte, m_code_byte]


# ---- wabt deviations ---------------------------------------------------------
#
# wabt is not a perfect oracle.  Each class below is a case where the spec
# (and its test suite) says kiln is right; a disagreement in such a class
# is counted separately and does not fail the run.
#
# 1. Custom sections.  The spec gives custom-section payloads no meaning
#    for validity (custom.wast:1-12 loads modules whose custom payloads are
#    arbitrary bytes), but wasm-validate by default parses the "name",
#    "linking", ... sections and rejects the module when they are
#    malformed.  We run it with --ignore-custom-section-errors, which
#    removes that class at the source (see WABT_FLAGS).  That flag goes
#    too far the other way: a custom section whose *name* cannot be read
#    (its length runs past the section) is malformed by the spec's
#    grammar (custom.wast:60-89 and 114-119: assert_malformed with
#    "unexpected end" / "length out of bounds" for custom-section names
#    that run past the section), yet wabt then still prints `error:` and
#    exits 0.
#    wabt_verdict() reads such a run as a rejection.  (Payload problems
#    it ignores are printed as `warning:`, and those modules are valid.)
#
# 2. Implementation limits.  kiln rejects modules beyond its documented
#    limits (module.h: KILN_MAX_LOCALS, KILN_MAX_TABLE_ELEMS, ...) and
#    says so in its message; the spec lets an implementation pick such
#    limits, so "kiln rejects, wabt accepts" with a limit message is
#    allowed.
WABT_FLAGS = ["--ignore-custom-section-errors"]


def wabt_verdict(rc, msg):
    """True if wabt accepts; see class 1 above for the `error:` case."""
    return rc == 0 and "error:" not in msg


def deviation(kiln_ok, wabt_ok, kiln_msg, wabt_msg):
    """Returns the name of a known-deviation class, or None."""
    if not kiln_ok and wabt_ok and ("limit" in kiln_msg or "too many" in kiln_msg):
        return "kiln implementation limit"
    return None


# ---- running the tools -------------------------------------------------------

def run(cmd, timeout):
    try:
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           timeout=timeout)
        return p.returncode, p.stderr.decode("utf-8", "replace").strip()
    except subprocess.TimeoutExpired:
        return "timeout", ""


def seeds_from_testsuite(suite, tmp):
    """Valid modules of the top-level .wast files (sorted, so deterministic)."""
    seeds = []
    names = sorted(n for n in os.listdir(suite) if n.endswith(".wast"))
    step = max(1, len(names) // SEED_WAST_FILES)
    for name in names[::step]:
        out = os.path.join(tmp, name[:-5])
        os.makedirs(out, exist_ok=True)
        json_path = os.path.join(out, "s.json")
        if subprocess.run(["wast2json", os.path.join(suite, name), "-o", json_path],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode:
            continue

        with open(json_path) as f:
            cmds = json.load(f)["commands"]
        for c in cmds:
            if c["type"] == "module" and c.get("filename", "").endswith(".wasm"):
                seeds.append(os.path.join(out, c["filename"]))
                break  # one module per file keeps the seed set varied
    return seeds


def seeds_from_examples(root, tmp):
    seeds = []
    ex = os.path.join(root, "examples")
    for name in sorted(os.listdir(ex)) if os.path.isdir(ex) else []:
        if name.endswith(".wat"):
            out = os.path.join(tmp, name[:-4] + ".wasm")
            if subprocess.run(["wat2wasm", os.path.join(ex, name), "-o", out]).returncode == 0:
                seeds.append(out)
    return seeds


def check_one(args, index, seed_bytes, rng_seed, tmp):
    rng = random.Random(rng_seed)
    data = bytearray(seed_bytes)
    applied = []
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        m = rng.choice(MUTATIONS)
        applied.append(m.__name__)
        data = bytearray(m(rng, data))
    path = os.path.join(tmp, "m%d.wasm" % index)
    with open(path, "wb") as f:
        f.write(data)
    k_rc, k_msg = run([args.kiln, "validate", path], args.timeout)
    w_rc, w_msg = run(["wasm-validate"] + WABT_FLAGS + [path], args.timeout)
    os.unlink(path)
    return index, bytes(data), applied, k_rc, k_msg, w_rc, w_msg


def save(args, index, data, note):
    os.makedirs(args.out, exist_ok=True)
    base = os.path.join(args.out, "case%05d" % index)
    with open(base + ".wasm", "wb") as f:
        f.write(data)
    with open(base + ".txt", "w") as f:
        f.write(note + "\n")
    return base + ".wasm"


def classify(args, result, stats):
    index, data, applied, k_rc, k_msg, w_rc, w_msg = result
    if k_rc == "timeout" or k_rc not in (0, 1):
        what = "hang" if k_rc == "timeout" else "crash (status %s)" % k_rc
        path = save(args, index, data, "kiln %s; mutations %s\n%s" % (what, applied, k_msg))
        print("CRASH %s: kiln validate %s" % (path, what))
        stats["crash"] += 1
        return
    if w_rc == "timeout" or w_rc not in (0, 1):
        stats["wabt_broken"] += 1
        return
    k_ok, w_ok = k_rc == 0, wabt_verdict(w_rc, w_msg)
    stats["accepted" if k_ok else "rejected"] += 1
    if k_ok == w_ok:
        stats["agree"] += 1
        return
    known = deviation(k_ok, w_ok, k_msg, w_msg)
    if known:
        stats["known deviation: " + known] = stats.get("known deviation: " + known, 0) + 1
        return
    note = "kiln %s, wasm-validate %s; mutations %s\nkiln: %s\nwabt: %s" % (
        "accepts" if k_ok else "rejects", "accepts" if w_ok else "rejects", applied,
        k_msg or "(no message)", w_msg or "(no message)")
    path = save(args, index, data, note)
    print("DISAGREE %s: %s" % (path, note.replace("\n", " | ")))
    stats["disagree"] += 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kiln", required=True)
    ap.add_argument("--count", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="validate-disagreements")
    ap.add_argument("--testsuite", help="spec suite directory (seeds)")
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with tempfile.TemporaryDirectory(prefix="kiln-mutate-") as tmp:
        if args.testsuite and os.path.isdir(args.testsuite):
            seeds = seeds_from_testsuite(args.testsuite, tmp)
        else:
            seeds = seeds_from_examples(root, tmp)
        if not seeds:
            print("mutate.py: no seed modules found")
            return 2
        seed_bytes = [open(p, "rb").read() for p in seeds]
        rng = random.Random(args.seed)
        jobs = [(i, seed_bytes[rng.randrange(len(seed_bytes))], rng.getrandbits(64))
                for i in range(args.count)]
        stats = {"agree": 0, "disagree": 0, "crash": 0, "accepted": 0, "rejected": 0,
                 "wabt_broken": 0}
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            futures = [pool.submit(check_one, args, i, b, s, tmp) for i, b, s in jobs]
            for fut in futures:
                classify(args, fut.result(), stats)
    print("mutate.py: %d seeds, %d mutants (seed %d): %s" % (
        len(seeds), args.count, args.seed,
        ", ".join("%s %d" % kv for kv in sorted(stats.items()))))
    return 1 if stats["disagree"] or stats["crash"] else 0


if __name__ == "__main__":
    sys.exit(main())
