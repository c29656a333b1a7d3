#!/bin/sh
# bench/actor/run.sh - the actor host (examples/actor-host): messages/s
# and resident memory per actor (VmRSS before and after creating the
# actors, and after the run), every actor's final counters checked
# against actor_expect.py.
#
#   bench/actor/run.sh [BUILD_DIR (default build)] [ACTORS (default 2000)] [ROUNDS (default 2)]
#
# Needs BUILD_DIR/kiln_actor_host (cmake --build BUILD_DIR --target
# kiln_actor_host).  As many tokens as actors circle the ring ROUNDS
# times: ACTORS^2 x ROUNDS messages, each a call into a pooled instance.
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build}
actors=${2:-2000}
rounds=${3:-2}
host=$build/kiln_actor_host
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for hostile in "" 7; do
  for threads in 1 2; do
    opts="--actors $actors --rounds $rounds"
    [ -n "$hostile" ] && opts="$opts --hostile $hostile"
    python3 "$here/examples/actor-host/actor_expect.py" $opts > "$tmp/expected"
    echo "== $threads thread(s)${hostile:+, actor $hostile hostile}"
    "$host" $opts --threads $threads --stats > "$tmp/got" 2> "$tmp/err"
    cat "$tmp/err"
    if cmp -s "$tmp/got" "$tmp/expected"; then
      echo "  all $actors actors' counters as expected; $(grep '^restarts' "$tmp/got")"
    else echo "  COUNTERS DIFFER" >&2; exit 1; fi
  done
done
echo "($(nproc) cores)"
