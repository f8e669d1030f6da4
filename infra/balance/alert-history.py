#!/usr/bin/env python3
"""The alerts that were pending or firing between two moments, in the order they started, from Prometheus' ALERTS
series (issue #22: a failover demo says which alerts it set off, and when). Standard library only.

  alert-history.py --prometheus URL --start EPOCH_S --end EPOCH_S [--step SECONDS] [--record FILE]
  alert-history.py --replay FILE

One line per stretch of an alert: when it became pending, when it fired (if it did), when it stopped (or "still
firing"), its name and labels. Exit 0 also when nothing fired (it says so); 1 when Prometheus does not answer.
--record keeps Prometheus' answer (and the moments asked) in FILE; --replay prints the history from such a file, with no
Prometheus (the check of monitoring/testdata/alerts-*.json, ./balance monitoring-check).
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
    return body


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
    parser.add_argument("--prometheus")
    parser.add_argument("--start", type=float)
    parser.add_argument("--end", type=float)
    parser.add_argument("--step", type=float, default=1.0)
    parser.add_argument("--record", metavar="FILE")
    parser.add_argument("--replay", metavar="FILE")
    args = parser.parse_args()
    if args.replay:
        with open(args.replay) as f:
            recorded = json.load(f)
        args.start, args.end, args.step = recorded["start"], recorded["end"], recorded["step"]
        body = recorded["answer"]
    else:
        if not args.prometheus or args.start is None or args.end is None:
            parser.error("--prometheus, --start and --end (or --replay FILE)")
        try:
            body = query_range(args.prometheus, "ALERTS", args.start, args.end, args.step)
        except Exception as e:  # noqa: BLE001 (any failure to ask is the same answer: no history)
            print(f"alerts: Prometheus at {args.prometheus} did not answer ({e})", file=sys.stderr)
            return 1
        if args.record:
            with open(args.record, "w") as f:
                json.dump({"start": args.start, "end": args.end, "step": args.step, "answer": body}, f, indent=1)
    series = body["data"]["result"]
    # per alert (name and labels): its pending and firing stretches
    alerts = {}
    for s in series:
        metric = s["metric"]
        labels = ", ".join(f"{k}={v}" for k, v in sorted(metric.items()) if k not in NOISE and k != "alertname")
        key = (metric.get("alertname", "?"), labels)
        runs = alerts.setdefault(key, {}).setdefault(metric.get("alertstate", "?"), [])
        runs.extend(stretches(s["values"], args.step))
        runs.sort()
    lines = []
    for (name, labels), states in alerts.items():
        firing = states.get("firing", [])
        for first, last in firing or states.get("pending", []):
            # the pending stretch that ends where this firing one starts (an alert with a "for:" waits first)
            pending = [p for p in states.get("pending", []) if p[0] <= first and p[1] >= first - 2 * args.step]
            since = pending[0][0] if pending else first
            # (an alert without "for:", or pending before the window, fires with no pending stretch of its own)
            waited = "pending, firing" if pending else "firing"
            ended = "still firing" if last >= args.end - 2 * args.step else "ended " + clock(last + args.step)
            if not firing:
                ended = "pending only, " + ("still" if last >= args.end - 2 * args.step else "until " + clock(last))
                lines.append((since, f"{clock(since)}  {name}{' (' + labels + ')' if labels else ''}: never fired, {ended}"))
            else:
                lines.append((since, f"{clock(since)}  {name}{' (' + labels + ')' if labels else ''}: {waited}"
                                     f" {clock(first)} (+{first - args.start:.0f} s), {ended}"))
    if not lines:
        print(f"alerts: none pending or firing between {clock(args.start)} and {clock(args.end)}")
        return 0
    print(f"alerts between {clock(args.start)} and {clock(args.end)}, in the order they started:")
    for _, line in sorted(lines):
        print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
