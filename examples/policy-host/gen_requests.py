#!/usr/bin/env python3
"""A deterministic stream of admission requests for policy_host, with the
verdict each should get, computed here independently of the policies.

  gen_requests.py [--count N] [--seed S] [--expected FILE]
                  [--policies images,resources,labels|hostile] [--memory-pages N]
      writes the requests (JSON, one per line) to stdout and the expected
      verdicts (one per line) to FILE

  gen_requests.py --check PATH/TO/policy_host
      the test: 200 requests through the default chain, then 60 through
      the hostile policy (its loops, traps and memory hogs must become
      "policy error" verdicts, and the host must carry on)
"""
import argparse
import json
import random
import subprocess
import sys

ALLOWED_REGISTRIES = ("registry.k8s.io/", "ghcr.io/acme/", "docker.io/library/", "quay.io/acme/")
# Near misses as well as plainly foreign registries.
OTHER_REGISTRIES = ("docker.io/randomuser/", "evil.example.com/", "registry.k8s.io.evil.com/",
                    "ghcr.io/acme-corp/", "quay.io/", "localhost:5000/")
NAMES = ("nginx", "redis", "postgres", "api-server", "worker", "pause", "coredns", "etcd")
TEAMS = ("payments", "search", "infra", "ml", "web")
ENVS_OK = ("prod", "staging", "dev")
ENVS_BAD = ("qa", "production", "test", "")
CPU_LIMIT, MEMORY_LIMIT = 4000, 8192
DEFAULT_CHAIN = "images,resources,labels"


def make_request(rng, i):
    """One request: mostly well-formed and allowed, with every way to fail mixed in."""
    registry = rng.choice(ALLOWED_REGISTRIES if rng.random() < 0.8 else OTHER_REGISTRIES)
    image = f"{registry}{rng.choice(NAMES)}:{rng.randint(1, 30)}.{rng.randint(0, 9)}"
    req = {"kind": "Pod", "namespace": f"ns-{rng.randint(1, 40)}", "name": f"pod-{i}",
           "image": image}
    if rng.random() < 0.95:
        req["cpu_millis"] = rng.choice((rng.randint(50, 2000),) * 8 + (rng.randint(4001, 16000), 0))
    if rng.random() < 0.95:
        req["memory_mb"] = rng.choice((rng.randint(64, 4096),) * 8 + (rng.randint(8193, 65536), 0))
    labels = {"app": rng.choice(NAMES)}
    if rng.random() < 0.9:
        labels["team"] = rng.choice(TEAMS) if rng.random() < 0.97 else ""
    if rng.random() < 0.9:
        labels["env"] = rng.choice(ENVS_OK if rng.random() < 0.85 else ENVS_BAD)
    if rng.random() < 0.3:
        labels["version"] = f"v{rng.randint(1, 9)}"
    items = list(labels.items())
    rng.shuffle(items)
    req["labels"] = dict(items)
    items = list(req.items())
    rng.shuffle(items)
    return dict(items)


def verdict_images(req):
    if req["image"].startswith(ALLOWED_REGISTRIES):
        return None
    return "image not from an allowed registry"


def verdict_resources(req):
    cpu, mem = req.get("cpu_millis", 0), req.get("memory_mb", 0)
    if cpu == 0 or mem == 0:
        return "resource requests missing"
    if cpu > CPU_LIMIT:
        return f"cpu_millis above the limit of {CPU_LIMIT}"
    if mem > MEMORY_LIMIT:
        return f"memory_mb above the limit of {MEMORY_LIMIT}"
    return None


def verdict_labels(req):
    labels = req["labels"]
    for key in ("team", "env"):
        if not labels.get(key):
            return f"missing required label: {key}"
    if labels["env"] not in ENVS_OK:
        return "label env must be prod, staging or dev"
    return None


def verdict_hostile(req, memory_pages):
    mode = req.get("cpu_millis", 0) % 5
    return [f"policy error: interrupted",
            f"policy error: out of bounds memory access",
            f"memory.grow refused at page {memory_pages}",
            f"policy error: call stack exhausted",
            None][mode]


def expected_verdict(req, chain, memory_pages):
    for name in chain.split(","):
        if name == "hostile":
            reason = verdict_hostile(req, memory_pages)
        else:
            reason = {"images": verdict_images, "resources": verdict_resources,
                      "labels": verdict_labels}[name](req)
        if reason is not None:
            return f"deny: {reason}"
    return "allow"


def generate(count, seed, chain, memory_pages):
    rng = random.Random(seed)
    reqs = [make_request(rng, i) for i in range(count)]
    lines = [json.dumps(r) for r in reqs]
    return lines, [expected_verdict(r, chain, memory_pages) for r in reqs]


def run_and_compare(host, count, seed, chain, extra=()):
    pages = 16
    lines, expected = generate(count, seed, chain, pages)
    proc = subprocess.run([host, "--policies", chain, "--memory-pages", str(pages), *extra],
                          input="\n".join(lines) + "\n", capture_output=True, text=True,
                          timeout=120)
    got = proc.stdout.splitlines()
    bad = [(i, e, g) for i, (e, g) in enumerate(zip(expected, got)) if e != g]
    for i, e, g in bad[:10]:
        print(f"request {i}: expected '{e}', got '{g}'\n  {lines[i]}")
    ok = proc.returncode == 0 and len(got) == len(expected) and not bad
    kinds = sorted(set(expected))
    print(f"{chain}: {len(got)}/{len(expected)} verdicts, {len(bad)} differ, exit status "
          f"{proc.returncode}; {len(kinds)} distinct verdicts, "
          f"{sum(v == 'allow' for v in expected)} allow")
    if proc.stderr:
        print(proc.stderr, end="")
    return ok, kinds


# The time limit is wall time.  On a loaded machine (CI shares two cores
# with other jobs) a request can be descheduled for tens of milliseconds,
# and a deep recursion that normally ends in a stack-exhaustion trap in
# well under a millisecond then hits the limit first.  The checks use
# limits far above any honest request's time, so only the spinning
# requests are interrupted; the per-request 10 ms default is for demos.
CHECK_TIMEOUT_MS = "300"


def check(host):
    ok1, kinds = run_and_compare(host, 200, 1, DEFAULT_CHAIN, ("--timeout-ms", CHECK_TIMEOUT_MS))
    # The stream must exercise every outcome of every policy.
    ok1 = ok1 and len(kinds) == 8
    ok2, kinds = run_and_compare(host, 60, 2, "hostile", ("--timeout-ms", CHECK_TIMEOUT_MS))
    ok2 = ok2 and len(kinds) == 5
    # A hostile policy after an honest one: only requests that pass reach it.
    ok3, _ = run_and_compare(host, 60, 3, "images,hostile", ("--timeout-ms", CHECK_TIMEOUT_MS))
    print("ok" if ok1 and ok2 and ok3 else "FAILED")
    return 0 if ok1 and ok2 and ok3 else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--policies", default=DEFAULT_CHAIN)
    ap.add_argument("--memory-pages", type=int, default=16)
    ap.add_argument("--expected", help="write the expected verdicts here")
    ap.add_argument("--check", metavar="HOST", help="run the test against this policy_host")
    args = ap.parse_args()
    if args.check:
        return check(args.check)
    lines, expected = generate(args.count, args.seed, args.policies, args.memory_pages)
    sys.stdout.write("\n".join(lines) + "\n")
    if args.expected:
        with open(args.expected, "w") as f:
            f.write("\n".join(expected) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
