#!/usr/bin/env python3
"""./balance top: the topology on one screen, from the runner's Prometheus (issue #22; docs/operations.md,
"Monitoring", "./balance top").

Every refresh asks Prometheus' HTTP API a dozen instant queries (/api/v1/query) and its alerts (/api/v1/alerts), and
draws: per hop (nginx, each instance, HAProxy's listeners, each PostgreSQL node) what it serves and how; the leader;
each member's role and lag; the replica's data age; the reads by route and reason; connections against the budget;
the alerts firing or pending. A series that is missing prints "-". Standard library only (python3 is on every machine
that runs Patroni).

  top.py [--prometheus URL] [--instances N] [--interval 2s] [--once] [--record FILE] [--replay FILE]

--once prints one frame and exits (non-zero when Prometheus does not answer); otherwise the frame is redrawn every
interval until Ctrl-C. --record FILE (with --once) also writes every answer to FILE; --replay FILE draws a frame from
such a file instead of asking Prometheus (monitoring/testdata/top-*.json: the monitoring check's fixtures).
"""
import argparse
import calendar
import concurrent.futures
import json
import math
import re
import shutil
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

MEMBERS = ("service-db-1", "service-db-2")
REPLICA = "service-db-replica"
# users_reads_total's reasons (org.acme.users.consistency.ReadRoute.Reason), by the node they send a read to
READ_REASONS = {"replica": ("fresh", "token-reached", "primary-down"), "primary": ("token", "stale", "replica-down")}


def queries(window):
    """The named instant queries of one frame. {w}: the rate window."""
    gauges = "|".join((
        "up", "nginx_up", "nginx_connections_active", "pg_up", "patroni_primary", "patroni_replica",
        "patroni_sync_standby", "pg_standbys_streaming", "pg_standbys_synchronous", "pg_standbys_replay_lag_bytes",
        "pg_replica_heartbeat_age_seconds", "pg_replica_subscription_enabled",
        "pg_replica_subscription_apply_worker_alive", "pg_connections_clients", "pg_connections_max_connections",
        "balance:connection_budget", "users_replica_lag_seconds", "users_replica_in_read_path",
        "haproxy_frontend_current_sessions"))
    api = 'job="users",uri!~"/q/.*"'  # the instances' API (the management interface's /q paths left out)
    q = {
        # one query for every gauge the frame shows: each series by its __name__ and node
        "gauges": '{__name__=~"%s"}' % gauges,
        "nginx_requests": 'sum by (status_class) (rate(nginx_access_requests_total[{w}]))',
        "nginx_p50": 'histogram_quantile(0.5, sum by (le) (rate(nginx_access_request_time_seconds_bucket[{w}])))',
        "nginx_p99": 'histogram_quantile(0.99, sum by (le) (rate(nginx_access_request_time_seconds_bucket[{w}])))',
        "nginx_mean": 'sum(rate(nginx_access_request_time_seconds_sum[{w}]))'
                      ' / sum(rate(nginx_access_request_time_seconds_count[{w}]))',
        "users_requests": 'sum by (node, status) (rate(http_server_requests_seconds_count{%s}[{w}]))' % api,
        "users_p50": 'histogram_quantile(0.5, sum by (node, le) (rate(http_server_requests_seconds_bucket{%s}[{w}])))'
                     % api,
        "users_p99": 'histogram_quantile(0.99, sum by (node, le) (rate(http_server_requests_seconds_bucket{%s}[{w}])))'
                     % api,
        "users_mean": 'sum by (node) (rate(http_server_requests_seconds_sum{%s}[{w}]))'
                      ' / sum by (node) (rate(http_server_requests_seconds_count{%s}[{w}]))' % (api, api),
        "users_max": 'max by (node) (http_server_requests_seconds_max{%s})' % api,
        "haproxy_sessions": 'sum by (proxy) (rate(haproxy_frontend_sessions_total{proxy=~"write|read"}[{w}]))',
        "haproxy_servers": 'haproxy_server_status{proxy=~"write|read"} == 1',
        "reads": 'sum by (route, reason) (rate(users_reads_total[{w}]))',
    }
    return {name: text.replace("{w}", window) for name, text in q.items()}


class Unreachable(Exception):
    pass


class Prometheus:
    def __init__(self, url, timeout=2.0):
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _get(self, path, params=None):
        url = self.url + path + ("?" + urllib.parse.urlencode(params) if params else "")
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:
                return json.load(response)
        except urllib.error.HTTPError as e:  # a query Prometheus refuses (400): its error, not a dead Prometheus
            try:
                return json.load(e)
            except ValueError:
                raise Unreachable("%s: HTTP %d" % (url, e.code))
        except (OSError, ValueError) as e:
            raise Unreachable(str(getattr(e, "reason", e)))

    def answers(self, named):
        """Every named query's answer and the alerts, asked at once (a slow Prometheus costs one timeout, not 12)."""
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(named) + 1) as pool:
            futures = {name: pool.submit(self._get, "/api/v1/query", {"query": text}) for name, text in named.items()}
            futures["alerts"] = pool.submit(self._get, "/api/v1/alerts")
            return {name: future.result() for name, future in futures.items()}


# ---- the answers, as numbers ----------------------------------------------------------------------------------
def number(value):
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) or math.isinf(v) else v


def series(answer):
    """[(labels, value)] of an instant query's answer; [] for an error or an empty answer."""
    if not isinstance(answer, dict) or answer.get("status") != "success":
        return []
    data = answer.get("data") or {}
    if data.get("resultType") == "scalar":
        return [({}, number(data["result"][1]))]
    return [(r.get("metric", {}), number((r.get("value") or [None, None])[1])) for r in data.get("result", [])]


class Gauges:
    def __init__(self, answer):
        self.by = {}
        for labels, value in series(answer):
            self.by.setdefault(labels.get("__name__"), []).append((labels, value))

    def get(self, name, **match):
        for labels, value in self.by.get(name, []):
            if all(labels.get(k) == v for k, v in match.items()):
                return value
        return None

    def nodes(self, name, **match):
        return sorted({labels.get("node") for labels, _ in self.by.get(name, [])
                       if labels.get("node") and all(labels.get(k) == v for k, v in match.items())})


def one(answer):
    s = series(answer)
    return s[0][1] if s else None


# ---- formatting ------------------------------------------------------------------------------------------------
def rate(v):
    return "-" if v is None else ("%.1f" % v if v < 1000 else "%.0f" % v)


def seconds(v):
    if v is None:
        return "-"
    if v < 0.01:
        return "%.1fms" % (v * 1000)
    if v < 1:
        return "%.0fms" % (v * 1000)
    return "%.2fs" % v


def size(v):
    if v is None:
        return "-"
    for unit in ("B", "kB", "MB", "GB"):
        if abs(v) < 1024 or unit == "GB":
            return ("%.0f %s" if unit == "B" else "%.1f %s") % (v, unit)
        v /= 1024.0


def duration(v):
    if v is None:
        return "-"
    v = max(0, int(v))
    if v < 60:
        return "%ds" % v
    if v < 3600:
        return "%dm%02ds" % (v // 60, v % 60)
    return "%dh%02dm" % (v // 3600, v % 3600 // 60)


def state(up):
    return "-" if up is None else ("up" if up == 1 else "DOWN")


def parse_interval(text):
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m)?", text.strip())
    if not m:
        raise argparse.ArgumentTypeError("an interval such as 2s, 500ms or 1m: %r" % text)
    return float(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, None: 1}[m.group(2)]


def rfc3339(text):
    """Prometheus' activeAt (2026-12-07T00:41:02.123456789Z) as epoch seconds."""
    m = re.match(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)", text or "")
    if not m:
        return None
    t = calendar.timegm(tuple(int(m.group(i)) for i in range(1, 7)) + (0, 0, 0)) + float(m.group(7) or 0)
    if m.group(8) != "Z":
        sign = 1 if m.group(8)[0] == "+" else -1
        t -= sign * (int(m.group(8)[1:3]) * 3600 + int(m.group(8)[4:6]) * 60)
    return t


# ---- the frame -------------------------------------------------------------------------------------------------
def frame(a, now, prometheus, window, interval, instances):
    g = Gauges(a.get("gauges"))
    lines = []
    add = lines.append
    up = lambda job, node: g.get("up", job=job, node=node)  # noqa: E731

    targets = [v for _, v in g.by.get("up", [])]
    leaders = [m for m in g.nodes("patroni_primary") if g.get("patroni_primary", node=m) == 1]
    alerts = [x for x in ((a.get("alerts") or {}).get("data") or {}).get("alerts", []) if x.get("state") != "inactive"]
    firing = sum(1 for x in alerts if x.get("state") == "firing")
    add("balance top  %s  Prometheus %s  rates over %s, refreshed every %gs" % (
        time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(now)), prometheus, window, interval))
    add("leader: %s   targets answering: %s   alerts: %d firing, %d pending" % (
        " and ".join(leaders) if leaders else "NONE",
        "%d of %d" % (sum(1 for v in targets if v == 1), len(targets)) if targets else "-",
        firing, len(alerts) - firing))
    add("")

    # the HTTP hops: nginx, then each instance (the last one is nginx's backup)
    add("%-24s %-5s %7s %7s %7s %7s %7s %6s %6s  %s" % (
        "HTTP", "UP", "REQ/S", "P50", "P99", "MEAN", "MAX", "4XX/S", "5XX/S", ""))
    classes = {labels.get("status_class"): v for labels, v in series(a.get("nginx_requests"))}
    total = sum(v for v in classes.values() if v is not None) if classes else None
    conns = g.get("nginx_connections_active", node="nginx")
    add("%-24s %-5s %7s %7s %7s %7s %7s %6s %6s  %s" % (
        "nginx", state(g.get("nginx_up", node="nginx")), rate(total), seconds(one(a.get("nginx_p50"))),
        seconds(one(a.get("nginx_p99"))), seconds(one(a.get("nginx_mean"))), "-",
        rate(classes.get("4xx", 0.0 if classes else None)), rate(classes.get("5xx", 0.0 if classes else None)),
        "conns %s, counts %s" % ("-" if conns is None else "%d" % conns, state(up("nginx_access", "nginx")))))
    per_node = {}
    for labels, v in series(a.get("users_requests")):
        node = per_node.setdefault(labels.get("node"), {"all": 0.0, "4": 0.0, "5": 0.0})
        if v is not None:
            node["all"] += v
            node[(labels.get("status") or "?")[:1]] = node.get((labels.get("status") or "?")[:1], 0.0) + v
    means = {labels.get("node"): v for labels, v in series(a.get("users_mean"))}
    maxes = {labels.get("node"): v for labels, v in series(a.get("users_max"))}
    p50s = {labels.get("node"): v for labels, v in series(a.get("users_p50"))}
    p99s = {labels.get("node"): v for labels, v in series(a.get("users_p99"))}
    names = ["users-backend-%d" % i for i in range(1, instances + 1)]
    names += [n for n in g.nodes("up", job="users") if n not in names]
    for n, node in enumerate(names):
        r = per_node.get(node, {})
        lag = g.get("users_replica_lag_seconds", node=node)
        path = g.get("users_replica_in_read_path", node=node)
        note = "reads %s, lag %s" % (
            "-" if path is None else ("replica" if path == 1 else "PRIMARY"), seconds(lag))
        add("%-24s %-5s %7s %7s %7s %7s %7s %6s %6s  %s" % (
            node + (" (backup)" if n == instances - 1 else ""), state(up("users", node)), rate(r.get("all")),
            seconds(p50s.get(node)), seconds(p99s.get(node)), seconds(means.get(node)), seconds(maxes.get(node)),
            rate(r.get("4")), rate(r.get("5")), note))
    add("")

    # HAProxy's listeners
    sessions = {labels.get("proxy"): v for labels, v in series(a.get("haproxy_sessions"))}
    servers = {}
    for labels, v in series(a.get("haproxy_servers")):
        servers.setdefault(labels.get("proxy"), {})[labels.get("server")] = labels.get("state")
    add("%-24s %-5s %7s %8s  %s" % ("HAPROXY", "UP", "SESS/S", "NOW", "SERVERS"))
    for proxy in ("write", "read"):
        current = g.get("haproxy_frontend_current_sessions", proxy=proxy)
        listed = servers.get(proxy)
        # (the read listener's members are its backups)
        shown = "; backups ".join(", ".join("%s %s" % (s, st) for s, st in sorted(part.items())) for part in (
            {s: st for s, st in listed.items() if proxy == "write" or s == REPLICA},
            {s: st for s, st in listed.items() if proxy == "read" and s != REPLICA}) if part) if listed else "-"
        add("%-24s %-5s %7s %8s  %s" % (proxy, state(up("haproxy", "haproxy")),
                                       rate(sessions.get(proxy)), "-" if current is None else "%d" % current, shown))
    add("")

    # PostgreSQL: each member's role from Patroni, its lag; the replica's data age; connections against the budget
    add("%-24s %-5s %-16s %-24s %s" % ("POSTGRESQL", "UP", "ROLE", "LAG / DATA AGE", "CONNECTIONS / BUDGET (MAX)"))
    leader = leaders[0] if len(leaders) == 1 else None
    streaming = g.get("pg_standbys_streaming", node=leader) if leader else None
    for node in MEMBERS + (REPLICA,):
        if node == REPLICA:
            role = "logical replica"
            age = g.get("pg_replica_heartbeat_age_seconds", node=node)
            lag = "data age %s" % ("-" if age is None else "%.2f s" % age)
        else:
            primary, replica = g.get("patroni_primary", node=node), g.get("patroni_replica", node=node)
            if primary == 1:
                role, lag = "leader", "streaming %s, sync %s" % (
                    "-" if streaming is None else "%d" % streaming,
                    "-" if g.get("pg_standbys_synchronous", node=node) is None
                    else "%d" % g.get("pg_standbys_synchronous", node=node))
            elif replica == 1:
                role = "standby" + (" (sync)" if g.get("patroni_sync_standby", node=node) == 1 else "")
                replay = g.get("pg_standbys_replay_lag_bytes", node=leader) if leader else None
                lag = "replay lag %s" % size(replay) if streaming else "NOT STREAMING" if leader else "-"
            elif up("patroni", node) == 0:
                role, lag = "(Patroni down)", "-"
            else:
                role, lag = "-", "-"
        clients = g.get("pg_connections_clients", node=node)
        budget = g.get("balance:connection_budget", node=node)
        most = g.get("pg_connections_max_connections", node=node)
        connections = "%s / %s%s (%s)" % (
            "-" if clients is None else "%d" % clients, "-" if budget is None else "%d" % budget,
            " = %d%%" % round(100 * clients / budget) if clients is not None and budget else "",
            "-" if most is None else "%d" % most)
        add("%-24s %-5s %-16s %-24s %s" % (node, state(g.get("pg_up", node=node)), role, lag, connections))
    enabled = g.get("pg_replica_subscription_enabled", node=REPLICA)
    worker = g.get("pg_replica_subscription_apply_worker_alive", node=REPLICA)
    add("%-24s subscription users_sub %s, apply worker %s" % (
        "", "-" if enabled is None else ("enabled" if enabled == 1 else "DISABLED"),
        "-" if worker is None else ("running" if worker == 1 else "NOT RUNNING")))
    add("")

    # reads by route and reason (every instance's users_reads_total)
    reads = {(labels.get("route"), labels.get("reason")): v for labels, v in series(a.get("reads"))}
    for route, reasons in READ_REASONS.items():
        add("%-24s %s" % ("reads/s to the " + route, "   ".join(
            "%s %s" % (reason, rate(reads.get((route, reason), 0.0 if reads else None))) for reason in reasons)))
    add("")

    # the alerts, firing first, the oldest first
    add("ALERTS")
    if not alerts:
        add("  none firing or pending")
    alerts.sort(key=lambda x: (x.get("state") != "firing", rfc3339(x.get("activeAt")) or 0))
    for x in alerts[:5]:
        labels = x.get("labels", {})
        since = rfc3339(x.get("activeAt"))
        summary = (x.get("annotations") or {}).get("summary", "")
        line = "  %-7s %-22s %-9s %-20s for %-7s %s" % (
            x.get("state"), labels.get("alertname", "?"), labels.get("severity", "-"),
            labels.get("node", "-"), duration(None if since is None else now - since), summary)
        add(line[:120])
    if len(alerts) > 5:
        add("  ... and %d more (Prometheus' /alerts)" % (len(alerts) - 5))
    return [line.rstrip() for line in lines]


def main(argv=None):
    p = argparse.ArgumentParser(prog="balance top", description="the topology on one screen, from Prometheus")
    p.add_argument("--prometheus", default="http://127.0.0.1:9190", help="Prometheus' address")
    p.add_argument("--instances", type=int, default=3, help="service instances (the last one is nginx's backup)")
    p.add_argument("--interval", type=parse_interval, default=2.0, help="Prometheus' scrape interval, the refresh's")
    p.add_argument("--once", action="store_true", help="print one frame, no screen clearing")
    p.add_argument("--record", metavar="FILE", help="with --once: write Prometheus' answers to FILE")
    p.add_argument("--replay", metavar="FILE", help="draw from answers recorded with --record")
    args = p.parse_args(argv)
    # a rate needs a few scrapes: over at least 10 s, and 5 scrape intervals
    window = "%ds" % max(10, math.ceil(5 * args.interval))
    named = queries(window)

    if args.replay:
        with open(args.replay) as f:
            recorded = json.load(f)
        answers = {name: entry.get("answer") for name, entry in recorded.get("queries", {}).items()}
        answers["alerts"] = recorded.get("alerts")
        print("\n".join(frame(answers, recorded.get("time", 0), args.prometheus, window, args.interval, args.instances)))
        return 0

    prometheus = Prometheus(args.prometheus)

    def unreachable(e):
        return ["balance top: Prometheus does not answer at %s (%s)." % (args.prometheus, e),
                "  Is the topology up with its monitoring? ./balance status lists the monitoring processes;",
                "  ./balance up starts them (BALANCE_MONITORING=off starts none: then there is nothing to show)."]

    if args.once:
        now = time.time()
        try:
            answers = prometheus.answers(named)
        except Unreachable as e:
            print("\n".join(unreachable(e)), file=sys.stderr)
            return 1
        if args.record:
            with open(args.record, "w") as f:
                json.dump({"time": now, "prometheus": args.prometheus, "window": window,
                           "queries": {name: {"query": text, "answer": answers[name]} for name, text in named.items()},
                           "alerts": answers["alerts"]}, f, indent=1, sort_keys=True)
                f.write("\n")
        print("\n".join(frame(answers, now, args.prometheus, window, args.interval, args.instances)))
        return 0

    # live: the alternate screen, redrawn in place every interval (at least 1 s), until Ctrl-C
    out = sys.stdout
    out.write("\033[?1049h\033[?25l")
    try:
        while True:
            started = time.time()
            try:
                lines = frame(prometheus.answers(named), started, args.prometheus, window, args.interval,
                              args.instances)
            except Unreachable as e:
                lines = ["balance top  %s" % time.strftime("%Y-%m-%d %H:%M:%S %Z")] + unreachable(e) + [
                    "  (trying again every %gs; Ctrl-C quits)" % max(1.0, args.interval)]
            width, height = shutil.get_terminal_size((120, 40))
            out.write("\033[H" + "".join(line[:width] + "\033[K\n" for line in lines[:height - 1]) + "\033[J")
            out.flush()
            time.sleep(max(0.1, max(1.0, args.interval) - (time.time() - started)))
    except KeyboardInterrupt:
        return 0
    finally:
        out.write("\033[?25h\033[?1049l")
        out.flush()


if __name__ == "__main__":
    sys.exit(main())
