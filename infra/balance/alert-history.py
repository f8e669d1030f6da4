#!/usr/bin/env python3
"""The alerts that were pending or firing between two moments, in the order they started, from Prometheus' ALERTS
series (issue #22: a failover demo says which alerts it set off, and when). Standard library only.

  alert-history.py --prometheus URL --start EPOCH_S --end EPOCH_S [--step SECONDS]

One line per stretch of an alert: when it became pending, when it fired (if it did), when it stopped (or "still
firing"), its name and labels. Exit 0 also when nothing fired (it says so); 1 when Prometheus does not answer.
"""
import argparse
import json
import sys
import time
import urllib.parse
import urllib.request

# labels that say nothing about which alert this is
NOISE = {"__name__", "alertstate", "severity", "job"}


def query_range(prometheus, query, start, end, step):
    url = prometheus.rstrip("/") + "/api/v1/query_range?" + urllib.parse.urlencode(
        {"query": query, "start": start, "end": end, "step": step})
    with urllib.request.urlopen(url, timeout=5) as answer:
        body = json.load(answer)
    if body.get("status") != "success":
        raise RuntimeError(f"Prometheus: {body}")
    return body["data"]["result"]


def stretches(samples, step):
    """Runs of consecutive sample times (a gap of more than two steps ends a run): [(first, last), ...]."""
    runs = []
    for t in sorted(float(t) for t, _ in samples):
        if runs and t - runs[-1][1] <= 2 * step:
            runs[-1][1] = t
        else:
            runs.append([t, t])
    return runs


def clock(t):
    return time.strftime("%H:%M:%S", time.localtime(t))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prometheus", required=True)
    parser.add_argument("--start", type=float, required=True)
    parser.add_argument("--end", type=float, required=True)
    parser.add_argument("--step", type=float, default=1.0)
    args = parser.parse_args()
    try:
        series = query_range(args.prometheus, "ALERTS", args.start, args.end, args.step)
    except Exception as e:  # noqa: BLE001 (any failure to ask is the same answer: no history)
        print(f"alerts: Prometheus at {args.prometheus} did not answer ({e})", file=sys.stderr)
        return 1
    # per alert (name and labels): its pending and firing stretches
    alerts = {}
    for s in series:
        metric = s["metric"]
        labels = ", ".join(f"{k}={v}" for k, v in sorted(metric.items()) if k not in NOISE and k != "alertname")
        key = (metric.get("alertname", "?"), labels)
        alerts.setdefault(key, {})[metric.get("alertstate", "?")] = stretches(s["values"], args.step)
    lines = []
    for (name, labels), states in alerts.items():
        firing = states.get("firing", [])
        for first, last in firing or states.get("pending", []):
            # the pending stretch that ends where this firing one starts (an alert with a "for:" waits first)
            pending = [p for p in states.get("pending", []) if p[0] <= first and p[1] >= first - 2 * args.step]
            since = pending[0][0] if pending else first
            ended = "still firing" if last >= args.end - 2 * args.step else "ended " + clock(last + args.step)
            if not firing:
                ended = "pending only, " + ("still" if last >= args.end - 2 * args.step else "until " + clock(last))
                lines.append((since, f"{clock(since)}  {name}{' (' + labels + ')' if labels else ''}: never fired, {ended}"))
            else:
                lines.append((since, f"{clock(since)}  {name}{' (' + labels + ')' if labels else ''}: pending,"
                                     f" firing {clock(first)} (+{first - args.start:.0f} s), {ended}"))
    if not lines:
        print(f"alerts: none pending or firing between {clock(args.start)} and {clock(args.end)}")
        return 0
    print(f"alerts between {clock(args.start)} and {clock(args.end)}, in the order they started:")
    for _, line in sorted(lines):
        print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
