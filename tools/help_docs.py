#!/usr/bin/env python3
"""The programs are the source of the usage sections in docs/ and of the
README's table of system.conf keys.

Each document below holds a block between
    <!-- generated from `PROGRAM ARGS`: ./build.sh docs -->
and
    <!-- end of generated text -->
with what that command prints: --help texts in a code fence, the table of
system.conf keys (`corral-sysconf keys`, from lib/sysconf_keys.c) as it is,
Markdown.  `./build.sh docs` rewrites the blocks from the built programs
(out/bin); `--check` (run by `./build.sh test`) fails when a document no
longer says what its program prints, naming the document and the first
differing line.
"""

import difflib
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "out", "bin")
DOCS = [  # (document, command); a --help text goes in a code fence
    ("docs/cli.md", "corral --help"),
    ("docs/corral-vmm.md", "corral-vmm --help"),
    ("docs/cli.md", "corrald --help"),
    ("docs/install.md", "corral-install --help"),
    ("docs/corral-nettest.md", "corral-nettest --help"),
    ("docs/web-api.md", "corral-web --help"),
    ("README.md", "corral-sysconf --help"),
    ("README.md", "corral-sysconf keys"),
]
BEGIN = "<!-- generated from `%s`: ./build.sh docs -->"
END = "<!-- end of generated text -->"


def command_output(command):
    program, *args = command.split()
    path = os.path.join(BIN, program)
    if not os.access(path, os.X_OK):
        sys.exit("help_docs: %s is not built: run ./build.sh first" % path)
    run = subprocess.run([path] + args, capture_output=True, text=True, timeout=30)
    if run.returncode != 0:
        sys.exit("help_docs: `%s` exited with status %d" % (command, run.returncode))
    text = run.stdout + run.stderr
    return text if text.endswith("\n") else text + "\n"


def block(command, text):
    if command.endswith(" --help"):
        text = "```\n%s```\n" % text
    return "%s\n%s%s" % (BEGIN % command, text, END)


def regenerate(doc, command):
    """Returns (current document, document with the block rewritten)."""
    path = os.path.join(ROOT, doc)
    with open(path) as f:
        current = f.read()
    pattern = re.compile(re.escape(BEGIN % command) + r".*?" + re.escape(END), re.S)
    if not pattern.search(current):
        sys.exit("help_docs: %s has no block for `%s` (add the two marker lines)"
                 % (doc, command))
    wanted = block(command, command_output(command))
    return current, pattern.sub(lambda _: wanted, current, count=1)


def main(argv):
    check = argv[1:] == ["--check"]
    stale = 0
    for doc, command in DOCS:
        current, wanted = regenerate(doc, command)
        if current == wanted:
            continue
        if check:
            stale += 1
            diff = list(difflib.unified_diff(current.splitlines(), wanted.splitlines(),
                                             doc, command, lineterm="", n=0))
            print("help_docs: %s differs from `%s`:\n  %s"
                  % (doc, command, "\n  ".join(diff[2:8])))
        else:
            with open(os.path.join(ROOT, doc), "w") as f:
                f.write(wanted)
            print("help_docs: rewrote the `%s` block in %s" % (command, doc))
    if stale:
        print("help_docs: %d document(s) out of date: run ./build.sh docs" % stale)
        return 1
    if check:
        print("help_docs: %d blocks match what their programs print" % len(DOCS))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
