#!/usr/bin/env python3
"""The start-latency table of Scripts/bench-oci.sh and Scripts/vm-bench-v2.sh.

    bench-table.py RESULTS HEADER

RESULTS has one line per run, `<case> <runtime> <run number> <microseconds>`, with case `run` or
`lifecycle` and runtime berth, crun, runc, wrap (the benchmark's wrapper alone) or base (a
baseline berth build, bench-oci.sh --baseline). Prints HEADER, then medians and the paired median
ratios (median over runs i of berth_i / crun_i) as a Markdown table, in milliseconds.
"""
import statistics
import sys
from collections import defaultdict


def main(path, header):
    t = defaultdict(dict)
    for line in open(path):
        case, rt, i, us = line.split()
        t[(case, rt)][int(i)] = int(us) / 1000.0
    med = lambda d: statistics.median(d.values())
    ratio = lambda x, y: statistics.median(x[i] / y[i] for i in x if i in y)
    print(header)
    print()
    print("| case | berth median | crun median | runc median | paired median berth/crun | paired median berth/runc |")
    print("|---|---|---|---|---|---|")
    for case, label in (("run", "`run` /bin/true"), ("lifecycle", "create + start + delete -f")):
        b, c, r = t[(case, "berth")], t[(case, "crun")], t[(case, "runc")]
        print(f"| {label} | {med(b):.1f} | {med(c):.1f} | {med(r):.1f} | {ratio(b, c):.2f} | {ratio(b, r):.2f} |")
    # A baseline build in the same alternation: the A/B of two berth builds.
    if (("run", "base")) in t:
        print("\n| case | berth median | baseline median | paired median berth/baseline | paired median baseline/crun |")
        print("|---|---|---|---|---|")
        for case, label in (("run", "`run` /bin/true"), ("lifecycle", "create + start + delete -f")):
            b, a, c = t[(case, "berth")], t[(case, "base")], t[(case, "crun")]
            print(f"| {label} | {med(b):.1f} | {med(a):.1f} | {ratio(b, a):.2f} | {ratio(a, c):.2f} |")
    # bench-oci.sh also times its mount-namespace wrapper alone (runtime `wrap`, running /bin/true).
    for case, label in (("run", "`run`"), ("lifecycle", "create + start + delete -f")):
        w = t.get((case, "wrap"))
        if w:
            print(f"\nWrapper alone ({label}: the namespace helper running /bin/true instead of the runtime): median {med(w):.1f} ms")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: bench-table.py RESULTS HEADER")
    main(sys.argv[1], sys.argv[2])
