#!/usr/bin/env python3
"""What the monitoring costs the topology under load, from alternating rounds (./balance bench monitoring).

    monitoring-cost.py RUNS_TSV CLK_TCK

RUNS_TSV: bench.sh's runs.tsv, with rounds whose path is monitoring.on or monitoring.off, in the order they ran, on
and off taking turns. A machine's speed drifts by more than the effect over minutes (measured here: every hop's CPU per
request 15-25 % higher in one side of a sequential before/after pair, the monitoring's own 3 % of it), so the effect is
judged on neighbours: each "on" round against the "off" round next to it (the cost), and each round against the next
one in the same state (the noise: how much two rounds differ with nothing changed). The cost is within noise when the
median cost is no larger than the median noise, for the throughput and for the p99 alike.
"""
import statistics
import sys

from runs_tsv import load_runs


def rounds(path, hz):
    """The rounds in order: on, req/s, p99 (ms), and the monitoring's own CPU a request (us)."""
    return [{"on": r["path"] == "monitoring.on", "rps": r["rps"], "p99": r["p99"],
             "own_us": r["hops"].get("monitoring", 0) * 1e6 / hz / r["requests"]}
            for r in load_runs(path, ("monitoring.on", "monitoring.off"))]


def main():
    runs = rounds(sys.argv[1], int(sys.argv[2]))
    if len(runs) < 4:
        sys.exit("monitoring-cost: fewer than 4 rounds")
    for n, r in enumerate(runs, 1):
        print("round %2d  monitoring %-7s %6.0f req/s  p99 %6.1f ms%s" % (
            n, "running" if r["on"] else "paused", r["rps"], r["p99"],
            "  its own CPU %.1f us/request" % r["own_us"] if r["on"] else ""))
    # the cost: each on round against its neighbour off round (the one before, or after for the first)
    costs, p99s = [], []
    for i, r in enumerate(runs):
        if not r["on"]:
            continue
        neighbours = [runs[j] for j in (i - 1, i + 1) if 0 <= j < len(runs) and not runs[j]["on"]]
        off = statistics.mean(o["rps"] for o in neighbours)
        costs.append(1 - r["rps"] / off)
        p99s.append(r["p99"] / statistics.mean(o["p99"] for o in neighbours))
    # the noise: each round against the next one in the same state
    noise, p99_noise = [], []
    for state in (True, False):
        same = [r for r in runs if r["on"] == state]
        noise += [abs(1 - b["rps"] / a["rps"]) for a, b in zip(same, same[1:])]
        p99_noise += [abs(1 - b["p99"] / a["p99"]) for a, b in zip(same, same[1:])]
    cost, spread = statistics.median(costs), statistics.median(noise)
    p99_cost, p99_spread = statistics.median(p99s) - 1, statistics.median(p99_noise)
    print("throughput: %+.1f %% with the monitoring running (median of %d neighbours: %s); noise %.1f %% (median "
          "change between two rounds in the same state, %d of them; largest %.1f %%): %s" % (
              -cost * 100, len(costs), " ".join("%+.0f" % (-c * 100) for c in costs), spread * 100, len(noise),
              max(noise) * 100, "within noise" if cost <= spread else "ABOVE noise"))
    print("p99: %+.1f %% with the monitoring running (median of %d neighbours); noise %.1f %%: %s" % (
        p99_cost * 100, len(p99s), p99_spread * 100, "within noise" if p99_cost <= p99_spread else "ABOVE noise"))
    print("the monitoring's own CPU: %.1f us a request (Prometheus and the exporters)" % statistics.median(r["own_us"] for r in runs if r["on"]))
    print("verdict: %s" % ("within noise" if cost <= spread and p99_cost <= p99_spread else "ABOVE noise"))

if __name__ == "__main__":
    main()
