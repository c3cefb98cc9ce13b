#!/usr/bin/env python3
"""The --help texts are the source of the usage sections in docs/.

Each document below holds a block between
    <!-- generated from `PROGRAM --help`: ./build.sh docs -->
and
    <!-- end of generated text -->
with the program's --help output in a code fence.  `./build.sh docs`
rewrites the blocks from the built programs (out/bin); `--check` (run by
`./build.sh test`) fails when a document no longer says what its program
prints, naming the document and the first differing line.
"""

import difflib
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "out", "bin")
DOCS = [  # (document, program)
    ("docs/cli.md", "corral"),
    ("docs/corral-vmm.md", "corral-vmm"),
    ("docs/cli.md", "corrald"),
    ("docs/install.md", "corral-install"),
    ("docs/corral-nettest.md", "corral-nettest"),
]
BEGIN = "<!-- generated from `%s --help`: ./build.sh docs -->"
END = "<!-- end of generated text -->"


def help_text(program):
    path = os.path.join(BIN, program)
    if not os.access(path, os.X_OK):
        sys.exit("help_docs: %s is not built: run ./build.sh first" % path)
    run = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=30)
    if run.returncode != 0:
        sys.exit("help_docs: %s --help exited with status %d" % (path, run.returncode))
    return run.stdout + run.stderr


def block(program, text):
    return "%s\n```\n%s```\n%s" % (BEGIN % program, text if text.endswith("\n") else text + "\n", END)


def regenerate(doc, program):
    """Returns (current document, document with the block rewritten)."""
    path = os.path.join(ROOT, doc)
    with open(path) as f:
        current = f.read()
    pattern = re.compile(re.escape(BEGIN % program) + r".*?" + re.escape(END), re.S)
    if not pattern.search(current):
        sys.exit("help_docs: %s has no block for `%s --help` (add the two marker lines)"
                 % (doc, program))
    wanted = block(program, help_text(program))
    return current, pattern.sub(lambda _: wanted, current, count=1)


def main(argv):
    check = argv[1:] == ["--check"]
    stale = 0
    for doc, program in DOCS:
        current, wanted = regenerate(doc, program)
        if current == wanted:
            continue
        if check:
            stale += 1
            diff = list(difflib.unified_diff(current.splitlines(), wanted.splitlines(),
                                             doc, "%s --help" % program, lineterm="", n=0))
            print("help_docs: %s differs from `%s --help`:\n  %s"
                  % (doc, program, "\n  ".join(diff[2:8])))
        else:
            with open(os.path.join(ROOT, doc), "w") as f:
                f.write(wanted)
            print("help_docs: rewrote the `%s --help` block in %s" % (program, doc))
    if stale:
        print("help_docs: %d document(s) out of date: run ./build.sh docs" % stale)
        return 1
    if check:
        print("help_docs: %d documents match their programs' --help" % len(DOCS))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
