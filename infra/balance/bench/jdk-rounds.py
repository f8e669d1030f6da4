#!/usr/bin/env python3
"""JDK 25 against JDK 17 at steady state, from alternating rounds (./balance bench jdks; issue #21's target 3).

    jdk-rounds.py RUNS_TSV CLK_TCK

RUNS_TSV: bench.sh's runs.tsv with rounds whose path is jdks.17 or jdks.25, in the order they ran, the two JDKs taking
turns on two instances that run side by side (the idle one waits). The machine's speed drifts by more than the
difference over minutes, so each JDK 25 round is judged against its JDK 17 neighbours (the ratio), and each round
against the next one of the same JDK (the noise). Target 3 is met when the median ratio of requests/s is at least 1,
and JDK 25 is called slower only when its shortfall is larger than the noise.
"""
import statistics
import sys

from runs_tsv import load_runs


def rounds(path, hz):
    """The rounds in order: jdk, req/s, p99 (ms), the instance's CPU a request (ms)."""
    return [{"jdk": r["path"][5:], "rps": r["rps"], "p99": r["p99"],
             "cpu_ms": r["hops"].get("bench-instances", 0) * 1000 / hz / r["requests"] if r["requests"] else 0}
            for r in load_runs(path, ("jdks.17", "jdks.25"))]


def main():
    runs = rounds(sys.argv[1], int(sys.argv[2]))
    if sum(r["jdk"] == "25" for r in runs) < 2 or sum(r["jdk"] == "17" for r in runs) < 2:
        sys.exit("jdk-rounds: fewer than 2 rounds of each JDK")
    for n, r in enumerate(runs, 1):
        print("round %2d  JDK %s  %6.0f req/s  p99 %6.1f ms  the instance's CPU %.3f ms/request" % (
            n, r["jdk"], r["rps"], r["p99"], r["cpu_ms"]))
    ratios, p99s, cpus = [], [], []
    for i, r in enumerate(runs):
        if r["jdk"] != "25":
            continue
        neighbours = [runs[j] for j in (i - 1, i + 1) if 0 <= j < len(runs) and runs[j]["jdk"] == "17"]
        if not neighbours:
            continue
        ratios.append(r["rps"] / statistics.mean(o["rps"] for o in neighbours))
        p99s.append(r["p99"] / statistics.mean(o["p99"] for o in neighbours))
        cpus.append(r["cpu_ms"] / statistics.mean(o["cpu_ms"] for o in neighbours))
    noise = []
    for jdk in ("17", "25"):
        same = [r for r in runs if r["jdk"] == jdk]
        noise += [abs(1 - b["rps"] / a["rps"]) for a, b in zip(same, same[1:])]
    ratio, spread = statistics.median(ratios), statistics.median(noise)
    print("JDK 25 / JDK 17: requests/s %.2f (each JDK 25 round against its neighbours: %s), p99 %.2f, the instance's "
          "CPU a request %.2f; noise %.1f %% (median change between two rounds of the same JDK)" % (
              ratio, " ".join("%.2f" % x for x in ratios), statistics.median(p99s), statistics.median(cpus),
              spread * 100))
    if ratio >= 1:
        verdict = "met: JDK 25 at least as fast as JDK 17"
    elif 1 - ratio <= spread:
        verdict = "not met, within noise: JDK 25 %.1f %% slower, rounds differ by %.1f %%" % ((1 - ratio) * 100, spread * 100)
    else:
        verdict = "not met: JDK 25 %.1f %% slower, beyond the noise (%.1f %%)" % ((1 - ratio) * 100, spread * 100)
    print("target 3: " + verdict)


if __name__ == "__main__":
    main()
