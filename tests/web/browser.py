"""A headless Chromium for the web client's tests: browser.mjs (playwright-
core, pinned in web/package-lock.json) run under node, one JSON command a
line.  The npm modules are the ones build.sh installed (out/node_modules,
a link into its cache)."""

import json
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NODE_MODULES = os.environ.get("CORRAL_NODE_MODULES", os.path.join(ROOT, "out", "node_modules"))
CHROMIUM = os.environ.get("CORRAL_CHROMIUM", "/usr/bin/chromium")


class BrowserError(AssertionError):
    pass


def missing():
    """Why the browser tests cannot run here, or None."""
    if not os.path.isdir(os.path.join(NODE_MODULES, "playwright-core")):
        return "no playwright-core in %s (./build.sh installs it)" % NODE_MODULES
    if not os.access(CHROMIUM, os.X_OK):
        return "no Chromium at %s (./build.sh deps installs Debian's chromium)" % CHROMIUM
    return None


class Browser:
    def __init__(self, log_path):
        env = dict(os.environ, NODE_PATH=NODE_MODULES, CORRAL_CHROMIUM=CHROMIUM)
        self.log = open(log_path, "a")
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "browser.mjs")
        # browser.mjs resolves playwright-core from NODE_MODULES' parent.
        self.proc = subprocess.Popen(["node", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.log, env=env, cwd=os.path.dirname(NODE_MODULES),
                                     text=True, bufsize=1)

    def do(self, op, **args):
        args["op"] = op
        line = json.dumps(args)
        self.log.write("> %s\n" % line)
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline()
        self.log.write("< %s" % reply)
        self.log.flush()
        if not reply:
            raise BrowserError("the browser driver exited (see %s)" % self.log.name)
        reply = json.loads(reply)
        if not reply["ok"]:
            raise BrowserError("%s %s: %s" % (op, args.get("selector", args.get("url", "")), reply["error"]))
        return reply["value"]

    def close(self):
        try:
            self.proc.stdin.write('{"op":"quit"}\n')
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
        self.log.close()
