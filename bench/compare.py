#!/usr/bin/env python3
"""Compare `usbsim bench ring|e2e|scale --json` results with the baseline kept in the repository.

Usage:
  bench/compare.py BASELINE.json ring.json e2e.json scale.json          compare; exit 1 if worse
  bench/compare.py --write BASELINE.json ring.json e2e.json scale.json  record a new baseline
  bench/compare.py --self-test                                          check this script

Only ratios are compared, never absolute times: each is a pair measured side by side in one
invocation, so it travels between machines better than a time does. A ratio got worse when the
whole range of this invocation's runs (min..max) lies on the bad side of the baseline's range:
worse by more than the runs' own spread. A figure measured once (no spread) is compared with a
margin of SINGLE_MARGIN of the baseline. Losses at the fixed points of `bench scale` must be 0.
Python 3 standard library only.
"""
import json
import sys

SINGLE_MARGIN = 0.25

# (bench, key, better): key is a top-level number in that bench's JSON; its spread, when the
# bench records one, is spread[key] = {median, min, max}.
RATIOS = [
    ("ring", "ratio_vs_rte_ring", "higher"),
    ("ring", "ratio_vs_ck_ring_batch1", "higher"),
    ("ring", "ratio_vs_socket", "higher"),
    ("ring", "ratio_ns_vs_copy_limit", "lower"),
    ("ring", "ratio_wake_p99_vs_floor", "lower"),
    ("e2e", "ratio_period_p99_timer_vs_precise", "higher"),
    ("e2e", "ratio_period_p99_timer_vs_floor", "lower"),
    ("e2e", "ratio_cpu_total_vs_always", "lower"),
    ("scale", "ratio_cpu_per_packet_10000_vs_100", "lower"),
]
BENCHES = ("ring", "e2e", "scale")


def figure(result, key):
    """(median, min, max) of key in one bench's JSON; min = max = median without a spread."""
    med = float(result[key])
    spread = result.get("spread", {}).get(key)
    if spread:
        return med, float(spread["min"]), float(spread["max"]), True
    return med, med, med, False


def load(paths):
    out = {}
    for name, path in zip(BENCHES, paths):
        with open(path) as f:
            out[name] = json.load(f)
    return out


def write_baseline(path, results):
    base = {"format": "usbsim-bench-baseline", "version": 1, "ratios": {}}
    for bench, key, better in RATIOS:
        med, lo, hi, has = figure(results[bench], key)
        base["ratios"][bench + "." + key] = {"median": med, "min": lo, "max": hi,
                                             "spread": has, "better": better}
    with open(path, "w") as f:
        json.dump(base, f, indent=2, sort_keys=True)
        f.write("\n")
    print("bench: baseline written to %s (%d ratios)" % (path, len(RATIOS)))
    return 0


def compare(path, results):
    with open(path) as f:
        base = json.load(f)["ratios"]
    worse = 0
    print("%-48s %-26s %-26s %s" % ("ratio (better)", "baseline median (min..max)",
                                      "now median (min..max)", "verdict"))
    for bench, key, better in RATIOS:
        name = bench + "." + key
        if name not in base or key not in results[bench]:
            print("%-48s missing from the %s" % (name, "baseline" if name not in base else "run"))
            continue
        b = base[name]
        med, lo, hi, has = figure(results[bench], key)
        if has and b.get("spread"):
            bad = hi < b["min"] if better == "higher" else lo > b["max"]
            how = "beyond both spreads"
        else:
            limit = b["median"] * (1 - SINGLE_MARGIN if better == "higher" else 1 + SINGLE_MARGIN)
            bad = med < limit if better == "higher" else med > limit
            how = "beyond %d%% (measured once)" % int(SINGLE_MARGIN * 100)
        worse += bad
        print("%-48s %-26s %-26s %s" % (
            "%s (%s)" % (name, better),
            "%.3f (%.3f..%.3f)" % (b["median"], b["min"], b["max"]),
            "%.3f (%.3f..%.3f)" % (med, lo, hi),
            ("WORSE, " + how) if bad else "ok"))
    lost = int(results["scale"].get("fixed_points_lost_or_failed", 0))
    if lost:
        worse += 1
        print("scale: %d fixed point(s) lost packets or failed (must be 0)" % lost)
    for bench in ("ring",):
        fails = int(results[bench].get("failures", 0))
        if fails:
            worse += 1
            print("%s: %d run(s) lost or corrupted packets" % (bench, fails))
    print("bench: %s" % ("%d figure(s) got worse" % worse if worse else "nothing got worse"))
    return 1 if worse else 0


def self_test():
    """The rule on made-up results: the same figures pass, one clearly worse ratio fails."""
    import copy
    import os
    import tempfile

    def result(bench):
        r = {"spread": {}, "failures": 0, "fixed_points_lost_or_failed": 0}
        for b, key, _ in RATIOS:
            if b == bench:
                r[key] = 2.0
                if bench != "scale":
                    r["spread"][key] = {"median": 2.0, "min": 1.8, "max": 2.2}
        return r
    res = {b: result(b) for b in BENCHES}
    fd, path = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    devnull = open(os.devnull, "w")
    out, sys.stdout = sys.stdout, devnull
    try:
        ok = write_baseline(path, res) == 0 and compare(path, res) == 0
        for bench, key, better in RATIOS:
            bad = copy.deepcopy(res)
            f = 0.5 if better == "higher" else 2.0
            bad[bench][key] *= f
            if key in bad[bench]["spread"]:
                bad[bench]["spread"][key] = {k: v * f for k, v in bad[bench]["spread"][key].items()}
            ok = ok and compare(path, bad) == 1
            near = copy.deepcopy(res)  # inside the spread: not worse
            near[bench][key] *= 0.95 if better == "higher" else 1.05
            ok = ok and compare(path, near) == 0
        lost = copy.deepcopy(res)
        lost["scale"]["fixed_points_lost_or_failed"] = 1
        ok = ok and compare(path, lost) == 1
    finally:
        sys.stdout = out
        devnull.close()
        os.unlink(path)
    print("bench/compare.py self-test: %s" % ("ok" if ok else "FAILED"))
    return 0 if ok else 1


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    write = len(argv) > 1 and argv[1] == "--write"
    args = argv[2:] if write else argv[1:]
    if len(args) != 4:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    results = load(args[1:])
    return write_baseline(args[0], results) if write else compare(args[0], results)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
