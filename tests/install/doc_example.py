#!/usr/bin/env python3
"""doc_example.py DOC OUT - writes the complete example of a Markdown
document (docs/embedding.md) into the directory OUT, for
tests/install/test_install.sh to build and run.

A fenced block whose first line names a file (`/* file: main.c */`,
`;; file: scorer.wat`, `# file: CMakeLists.txt`) is written, whole, to
OUT/<file>.  The block whose first line is `$ build/PROGRAM` holds what
running the example prints: PROGRAM goes to OUT/program, the rest to
OUT/expected.txt."""
import os
import re
import sys

FILE_LINE = re.compile(r"^(?:/\*|;;|#)\s*file:\s*(\S+?)\s*(?:\*/)?$")
RUN_LINE = re.compile(r"^\$ build/(\S+)$")


def fenced_blocks(text):
    """Yields the lines of each ``` block."""
    block = None
    for line in text.splitlines():
        if line.startswith("```"):
            if block is None:
                block = []
            else:
                yield block
                block = None
        elif block is not None:
            block.append(line)


def main():
    doc, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    files, program = [], None
    for block in fenced_blocks(open(doc, encoding="utf-8").read()):
        if not block:
            continue
        named, run = FILE_LINE.match(block[0]), RUN_LINE.match(block[0])
        if named:
            files.append(named.group(1))
            with open(os.path.join(out, named.group(1)), "w", encoding="utf-8") as f:
                f.write("\n".join(block) + "\n")
        elif run:
            program = run.group(1)
            with open(os.path.join(out, "expected.txt"), "w", encoding="utf-8") as f:
                f.write("\n".join(block[1:]) + "\n")
            with open(os.path.join(out, "program"), "w", encoding="utf-8") as f:
                f.write(program + "\n")
    if not files or program is None:
        sys.exit(f"{doc}: no example (blocks starting with 'file: NAME' and '$ build/PROGRAM')")
    print(f"{doc}: {', '.join(files)}; runs build/{program}")


if __name__ == "__main__":
    main()
