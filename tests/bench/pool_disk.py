#!/usr/bin/python3
"""Pool the pairs of several `./build.sh bench disk` runs.

    tests/bench/pool_disk.py
    tests/bench/pool_disk.py out/test-logs/bench-disk-*.json
    tests/bench/pool_disk.py --against 50048bacdfe3 FILE...
    tests/bench/pool_disk.py --as-one 76816f2cb7cd,50048bacdfe3 FILE...

Each run writes its figures by round to out/test-logs/bench-disk-<time>.json
(the benchmark prints the path); the runs the docs quote are kept in
tests/bench/records/ (out/ goes with the machine), which is what this pools
when no file is named.  This prints, for every corral-vmm build
in those files (a build is its binary's sha256, whatever a run called it:
the same binary as `corral-vmm` in one run and as `corral-vmm baseline` in
another is one build), its figure over QEMU's paired by round, all runs
together: per job, the median ratio, its range, the number of pairs, and
in how many the build was ahead.  --against pairs with another build
(the first hex digits of its sha256) instead of QEMU; --as-one A,B counts
build B's pairs as build A's (binaries that differ only in something the
benchmark does not measure).
"""

import argparse
import glob
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from disk_pairs import QEMU_RUN, load, pool, ratio_cell  # noqa: E402

# The records of the runs the docs quote.
KEPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "records")

# The jobs of tests/integration/guest/scenarios/bench-fio.sh, in its order.
JOBS = [("read", 1), ("read", 32), ("write", 1), ("write", 32),
        ("randread", 1), ("randread", 32), ("randwrite", 1), ("randwrite", 32)]


def sha_of(runs, prefix, option):
    """The one sha256 in the runs that starts with prefix."""
    found = {sha for _, builds in runs for sha in builds.values()
             if sha and sha.startswith(prefix.lower())}
    if len(found) != 1:
        raise ValueError("%s %s matches %d builds in these files" % (option, prefix, len(found)))
    return found.pop()


def against_key(runs, prefix):
    """The build key whose sha256 starts with prefix (None: QEMU)."""
    if prefix is None:
        return None
    return "corral-vmm " + sha_of(runs, prefix, "--against")[:12]


def as_one(runs, groups):
    """Runs where each group's builds (sha256 prefixes, comma-separated: two
    binaries that differ in nothing the benchmark measures, say a log line)
    count as the group's first."""
    alias = {}
    for group in groups:
        shas = [sha_of(runs, prefix, "--as-one") for prefix in group.split(",")]
        alias.update({sha: shas[0] for sha in shas[1:]})
    return [(by_round, {name: alias.get(sha, sha) for name, sha in builds.items()})
            for by_round, builds in runs]


def report(pooled, names, against):
    lines = []
    for key in sorted(names):
        lines.append("%s (called %s) against %s, paired by round:"
                     % (key, " / ".join(sorted(names[key])), against or QEMU_RUN))
        for rw, depth in JOBS:
            lines.append("  %-9s iodepth %-2d %s"
                         % (rw, depth, ratio_cell(pooled.get((key, rw, depth), []))))
    return "\n".join(lines) if lines else "no build was paired with %s" % (against or QEMU_RUN)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--against", help="the first hex digits of another build's sha256")
    p.add_argument("--as-one", action="append", default=[], metavar="SHA,SHA",
                   help="count these builds as one (the first), e.g. two binaries that "
                        "differ only in a diagnostic")
    p.add_argument("records", nargs="*", help="bench-disk-*.json files (default: %s/*.json)"
                   % os.path.relpath(KEPT))
    args = p.parse_args(argv)
    if not args.records:
        args.records = sorted(glob.glob(os.path.join(KEPT, "*.json")))
        if not args.records:
            print("pool_disk: no records named and none kept in %s" % KEPT, file=sys.stderr)
            return 1
    try:
        runs = as_one([load(path) for path in args.records], args.as_one)
        against = against_key(runs, args.against)
    except (OSError, ValueError) as e:
        print("pool_disk: %s" % e, file=sys.stderr)
        return 1
    pooled, names = pool(runs, JOBS, against)
    print(report(pooled, names, against))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
