#!/usr/bin/env python3
"""What actor_host must print, computed here by simulating the ring and
the hostile actor independently of the host and the actor modules.

  actor_expect.py [--actors N] [--tokens N] [--rounds N] [--hostile ID]
      writes the expected output of actor_host with the same options

  actor_expect.py --check PATH/TO/actor_host
      the test: 500 actors, 100 tokens, 3 rounds, on 2 threads, without
      and then with a hostile actor; every line must match
"""
import argparse
import subprocess
import sys

TRAP_EVERY = 5  # hostile.wat traps on the 5th message of each instance
# hostile.wat's trap for its "count" / 4 mod 4, as actor_host reports it
HOSTILE_TRAPS = (
    ("trap out of bounds memory access", None),
    ("trap unreachable", None),
    ("trap host trap", "host trap send: message outside the actor's memory or too long"),
    ("trap host trap", "host trap kv_put: key or value outside the actor's memory"),
)
MASK = 0xFFFFFFFF


def expected(actors, tokens, rounds, hostile):
    tokens = tokens or actors
    count = [0] * actors
    hops = [0] * actors
    ttl0 = rounds * actors - 1
    for t in range(tokens):
        at = t * actors // tokens
        for ttl in range(ttl0, -1, -1):  # one delivery per hop, ttl counting down
            count[at] += 1
            hops[at] = (hops[at] + ttl) & MASK
            at = (at + 1) % actors
    restarts = [0] * actors
    traps = {}
    if hostile is not None:
        # The hostile actor's messages, in any order (its trap depends only
        # on how many it has handled): each instance handles TRAP_EVERY - 1,
        # traps on the next one, which its successor then handles.
        handled, done = 0, 0
        while done < count[hostile]:
            handled += 1
            if handled == TRAP_EVERY:
                for line in HOSTILE_TRAPS[done // 4 % 4]:
                    if line:
                        traps[line] = traps.get(line, 0) + 1
                restarts[hostile] += 1
                handled = 1  # the fresh instance's first message: the same one
            done += 1
    out = [f"actor {i} count {count[i]} hops {hops[i]} restarts {restarts[i]}" for i in range(actors)]
    out.append(f"delivered {sum(count)}")
    out.append(f"restarts {sum(restarts)}")
    out.append("dropped 0")
    # actor_host prints trap kinds in kiln_trap_kind order, then host reasons
    order = ["trap unreachable", "trap out of bounds memory access", "trap host trap",
             "host trap kv_put: key or value outside the actor's memory",
             "host trap send: message outside the actor's memory or too long"]
    out += [f"{k}: {traps[k]}" for k in order if k in traps]
    return out


def run(host, actors, tokens, rounds, hostile, threads=2):
    cmd = [host, "--actors", str(actors), "--tokens", str(tokens), "--rounds", str(rounds),
           "--threads", str(threads)]
    if hostile is not None:
        cmd += ["--hostile", str(hostile)]
    got = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    want = expected(actors, tokens, rounds, hostile)
    lines = got.stdout.splitlines()
    bad = [(i, g, w) for i, (g, w) in enumerate(zip(lines, want)) if g != w]
    if got.returncode != 0 or len(lines) != len(want) or bad:
        print(f"FAIL: {' '.join(cmd)}: exit {got.returncode}, {len(lines)} lines "
              f"(expected {len(want)})\n{got.stderr}", file=sys.stderr)
        for i, g, w in bad[:10]:
            print(f"  line {i + 1}: got      {g}\n  {'':{len(str(i + 1))}}       expected {w}",
                  file=sys.stderr)
        return False
    summary = [line for line in lines if not line.startswith("actor ")]
    print(f"ok: {' '.join(cmd[1:])}: {actors} actors exact; " + "; ".join(summary))
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--actors", type=int, default=2000)
    ap.add_argument("--tokens", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--hostile", type=int)
    ap.add_argument("--check", metavar="ACTOR_HOST")
    args = ap.parse_args()
    if args.check:
        ok = run(args.check, 500, 100, 3, None)
        ok = run(args.check, 500, 100, 3, 123) and ok
        ok = run(args.check, 7, 7, 40, 0, threads=3) and ok  # most messages hostile
        sys.exit(0 if ok else 1)
    print("\n".join(expected(args.actors, args.tokens, args.rounds, args.hostile)))


if __name__ == "__main__":
    main()
