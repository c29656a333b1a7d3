#!/bin/sh
# bench/policy/run.sh - the policy host (examples/policy-host) against the
# same policies under node: requests/s and per-request latency (p50/p99)
# over a generated stream, every verdict checked against the generator's.
#
#   bench/policy/run.sh [BUILD_DIR (default build)] [COUNT (default 20000)]
#
# Needs BUILD_DIR/kiln_policy_host (cmake --build BUILD_DIR --target
# kiln_policy_host) and node.  Each request goes through three policies
# (images, resources, labels), each in a fresh instance.
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build}
count=${2:-20000}
host=$build/kiln_policy_host
wasm=$build/examples/policy-host
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 "$here/examples/policy-host/gen_requests.py" --count "$count" --seed 7 \
  --expected "$tmp/expected" > "$tmp/requests"
check() { # name, verdict file
  if cmp -s "$2" "$tmp/expected"; then echo "  $1: all $count verdicts as expected"
  else echo "  $1: VERDICTS DIFFER" >&2; exit 1; fi
}
"$host" --stats < "$tmp/requests" > "$tmp/kiln" 2> "$tmp/kiln.err"
cat "$tmp/kiln.err"; check kiln "$tmp/kiln"
for mode in "" --sync; do
  node "$here/examples/policy-host/policy_node.mjs" --stats $mode \
    "$wasm/images.wasm" "$wasm/resources.wasm" "$wasm/labels.wasm" \
    < "$tmp/requests" > "$tmp/node" 2> "$tmp/node.err"
  cat "$tmp/node.err"; check "node $mode" "$tmp/node"
done
echo "(node $(node --version), $(nproc) cores; kiln: 10 ms time limit and 16-page memory limit per instance)"
