#!/bin/sh
# run_example.sh PROGRAM NAME DIR EXPECTED_DIR - runs one wasm-c-api example
# in DIR (where its NAME.wasm is) and checks what it prints: the last line
# is "Done." (threads prints no such line: each of its 10 threads must have
# run 3 times), and when EXPECTED_DIR/NAME.out exists, the output is that
# file (lines beginning "> " that show pointers or addresses are compared
# with the pointer values masked).
prog=$1 name=$2 dir=$3 expected=$4
out=$dir/$name.actual
cd "$dir" || exit 1
"$prog" > "$out" 2>&1
status=$?
if [ $status -ne 0 ]; then
    cat "$out"
    echo "$name: exit status $status"
    exit 1
fi
if [ "$name" = threads ]; then
    runs=$(grep -c '^> Thread [0-9] running$' "$out")
    [ "$runs" -eq 30 ] || { cat "$out"; echo "threads: $runs runs, want 30"; exit 1; }
elif [ "$(tail -n 1 "$out")" != "Done." ]; then
    cat "$out"
    echo "$name: the output does not end with Done."
    exit 1
fi
if [ -f "$expected/$name.out" ]; then
    sed -e 's/0x[0-9a-f]\{6,\}/PTR/g' -e 's/(nil)/PTR/g' "$out" > "$out.masked"
    if ! diff -u "$expected/$name.out" "$out.masked"; then
        echo "$name: output differs from $expected/$name.out"
        exit 1
    fi
fi
exit 0
