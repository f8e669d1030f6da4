"""bench.sh's runs.tsv, read once for the scripts that judge alternating rounds (monitoring-cost.py, jdk-rounds.py)."""


def load_runs(path, paths):
    """The runs whose path is one of PATHS, in the order they ran: path, requests, req/s, p99 (ms), and each hop's
    CPU during the run in clock ticks (hops: NODE -> ticks)."""
    out = []
    with open(path) as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            row = dict(zip(header, line.rstrip("\n").split("\t")))
            if row["path"] not in paths:
                continue
            requests = int(row["requests"])
            out.append({"path": row["path"], "requests": requests,
                        "rps": requests / (int(row["duration_ms"]) / 1000), "p99": float(row["p99_ms"]),
                        "hops": {k: int(v) for k, v in (kv.split("=") for kv in row["hop_ticks"].split(",") if "=" in kv)}})
    return out
