# cli_test_lib.sh - sourced by the CLI test scripts (test_cli_*.sh), after
# they set KILN and DIR:
#   . "$DIR/cli_test_lib.sh"
#   cli_test_begin wat2wasm nm     # skip (status 77) unless these exist
#   ... fail "what went wrong" ...
#   cli_test_end                   # "ok" or the count; the script's status
# $tmp is a scratch directory removed on exit.

cli_test_begin() {
    for tool in "$@"; do
        command -v "$tool" >/dev/null || { echo "skipped: no $tool"; exit 77; }
    done
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    failures=0
}

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

cli_test_end() {
    [ "$failures" = 0 ] && echo "ok" || echo "$failures failure(s)"
    [ "$failures" = 0 ]
}
