"""How `bench disk` pairs its builds by round, and how runs are pooled.

A round runs every VMM back to back, so a ratio within a round is not moved
by the machine's load drifting over the benchmark, as a ratio of medians
over all rounds is.  On this nested machine one pair swings 0.6-2x, so a
claim needs more pairs than one run gives: each run writes its figures by
round to a record (bench-disk-*.json beside its serial log), and
tests/bench/pool_disk.py pools the pairs of several runs, build by build
(a build is its binary's sha256, whatever the run called it).

No I/O here beyond reading and writing a record: unit-tested in
tests/integration/test_harness.py.
"""

import json
import statistics

QEMU_RUN = "qemu q35 cache=none,aio=io_uring"
RECORD_VERSION = 1


def figure_of(value, rw):
    """MiB/s for the sequential jobs, IOPS for the random ones."""
    return value[0] if rw in ("read", "write") else value[1]


def paired_ratios(by_round, name, rw, depth, against=QEMU_RUN):
    """name's figure over against's in each round where both finished the job."""
    ours = by_round[name].get((rw, depth), {})
    theirs = by_round.get(against, {}).get((rw, depth), {})
    return [figure_of(ours[i], rw) / figure_of(theirs[i], rw)
            for i in sorted(ours) if i in theirs and figure_of(theirs[i], rw) > 0]


def ratio_cell(ratios):
    """Median, range, and in how many pairs the first build was ahead."""
    if not ratios:
        return "-"
    ahead = sum(1 for r in ratios if r > 1.0)
    return "%.2fx (%.2f-%.2fx over %d round%s, ahead in %d)" % (
        statistics.median(ratios), min(ratios), max(ratios), len(ratios),
        "" if len(ratios) == 1 else "s", ahead)


def record(by_round, builds, meta):
    """A run's figures by round as JSON-ready data.  builds: each run
    name's binary sha256 (None for QEMU); meta: how the run was made."""
    return {"version": RECORD_VERSION, "meta": meta,
            "builds": {name: {"sha256": builds.get(name),
                              "figures": {"%s %d" % job: {str(i): list(v)
                                                          for i, v in rounds.items()}
                                          for job, rounds in jobs.items()}}
                       for name, jobs in by_round.items()}}


def from_record(data):
    """(by_round, builds) back from record()'s data; ValueError when it is
    not such a record."""
    if not isinstance(data, dict) or data.get("version") != RECORD_VERSION:
        raise ValueError("not a bench-disk record of version %d" % RECORD_VERSION)
    by_round, builds = {}, {}
    try:
        for name, build in data["builds"].items():
            builds[name] = build["sha256"]
            jobs = by_round[name] = {}
            for job, rounds in build["figures"].items():
                rw, depth = job.rsplit(" ", 1)
                jobs[(rw, int(depth))] = {int(i): tuple(float(x) for x in v)
                                          for i, v in rounds.items()}
    except (KeyError, AttributeError, TypeError, ValueError) as e:
        raise ValueError("malformed bench-disk record: %s" % e) from None
    return by_round, builds


def load(path):
    """A record file's (by_round, builds); ValueError naming the file."""
    with open(path) as f:
        try:
            return from_record(json.load(f))
        except json.JSONDecodeError as e:
            raise ValueError("%s: not JSON: %s" % (path, e)) from None
        except ValueError as e:
            raise ValueError("%s: %s" % (path, e)) from None


def build_key(name, sha256):
    """QEMU by its name, a corral-vmm build by its binary."""
    return name if sha256 is None else "corral-vmm " + sha256[:12]


def pool(runs, jobs, against=None):
    """Pairs of every build with `against` (a build_key; QEMU when None),
    over all runs: {(build_key, rw, depth): [ratios]}, and the run names
    each build went by.  runs: (by_round, builds) pairs."""
    pooled, names = {}, {}
    for by_round, builds in runs:
        keys = {name: build_key(name, builds.get(name)) for name in by_round}
        other = next((n for n, k in keys.items() if k == (against or QEMU_RUN)), None)
        if other is None:
            continue
        for name, key in keys.items():
            if name == other or builds.get(name) is None:
                continue
            names.setdefault(key, set()).add(name)
            for rw, depth in jobs:
                pooled.setdefault((key, rw, depth), []).extend(
                    paired_ratios(by_round, name, rw, depth, against=other))
    return pooled, names
