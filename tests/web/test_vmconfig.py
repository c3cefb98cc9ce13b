"""The pages' pure JavaScript (the create/edit requests) under node's own
test runner: tests/web/vmconfig.test.mjs."""

import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))


def test_vmconfig_under_node():
    r = subprocess.run(["node", "--test", os.path.join(HERE, "vmconfig.test.mjs")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "# fail 0" in r.stdout and "# pass 8" in r.stdout, r.stdout
