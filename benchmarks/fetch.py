"""Fetch throughput under per-host rate limits, end to end (HTTP, limiter, snapshot saving):

    .venv/bin/python benchmarks/fetch.py [--n 1000] [--hosts 10] [--rate 5] [--latency 0.1]

N documents are spread over HOSTS host names, all answered by the local fault server with
LATENCY seconds of delay, each host limited to RATE requests per second. The limits set a
floor on the time: ceil(N / HOSTS) / RATE seconds (hosts run in parallel, each one at its rate).
Goal: elapsed / floor <= 1.25. Also checks each host was polite: no host received more than
RATE requests in any one-second window.
"""

from __future__ import annotations

import argparse
import bisect
import math
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from faultserver import FaultServer, HostMap  # noqa: E402

from auditor.acquire.fetch import fetch_sources  # noqa: E402
from auditor.acquire.http import make_client  # noqa: E402
from auditor.config import Config, FetchSettings, Settings  # noqa: E402
from auditor.models import SourceRef, Subject  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="documents to fetch")
    parser.add_argument("--hosts", type=int, default=10, help="distinct host names")
    parser.add_argument("--rate", type=float, default=5.0, help="requests/second per host")
    parser.add_argument("--latency", type=float, default=0.1, help="server delay, seconds")
    args = parser.parse_args()

    server = FaultServer().start()
    body = b"<html><body><table><tr><th>target</th><td>7</td></tr></table></body></html>"
    server.add("/doc", body, content_type="text/html; charset=UTF-8", latency=args.latency)
    hosts = [f"host{h}.bench.test" for h in range(args.hosts)]
    settings = FetchSettings(contact_email="bench@example.org", retries=0,
                             rate_limits={h: args.rate for h in hosts},
                             concurrency=args.hosts)
    with tempfile.TemporaryDirectory(prefix="auditor-fetch-bench-") as tmp:
        config = Config(
            path=Path(tmp) / "config.toml", auditor=Settings(snapshots="snapshots"),
            fetch=settings,
            subjects=[Subject(id=host, name=host) for host in hosts],
            sources=[SourceRef(name=f"doc{i}", subject=hosts[i % args.hosts], kind="page",
                               url=f"https://{hosts[i % args.hosts]}/doc?n={i}")
                     for i in range(args.n)])
        with make_client(settings, transport=HostMap(server.port)) as client:
            started = time.perf_counter()
            results = fetch_sources(config, client=client, progress=False)
            elapsed = time.perf_counter() - started
    server.stop()

    statuses = Counter(r.status for r in results)
    per_host = math.ceil(args.n / args.hosts)
    bound = per_host / args.rate
    ratio = elapsed / bound
    gaps, rates, windows = [], [], []
    for host in hosts:
        times = sorted(hit.at for hit in server.hits["/doc"] if hit.host == host)
        gaps += [b - a for a, b in zip(times, times[1:], strict=False)]
        rates.append((len(times) - 1) / (times[-1] - times[0]))
        windows.append(max(bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times)))
    print(f"documents        {args.n} over {args.hosts} hosts at {args.rate:g}/s each, "
          f"{args.latency * 1000:.0f} ms latency")
    print(f"results          {dict(statuses)}")
    print(f"elapsed          {elapsed:.2f} s")
    print(f"bound (limits)   {bound:.2f} s  = {per_host} per host / {args.rate:g} per s")
    print(f"ratio            {ratio:.3f}  (goal <= 1.25)")
    print(f"per-host rate    mean {max(rates):.2f}/s at most; busiest 1-s window "
          f"{max(windows)} requests  (limit {args.rate:g}/s)")
    print(f"min gap per host {min(gaps) * 1000:.0f} ms at arrival (the limiter spaces sends "
          f"{1000 / args.rate:.0f} ms apart; arrival adds network and GIL jitter)")
    # Polite: no host ever got more than its rate in any one-second window.
    polite = max(windows) <= math.ceil(args.rate)
    ok = statuses.get("saved", 0) == args.n and ratio <= 1.25 and polite
    print("OK" if ok else "NOT OK")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
