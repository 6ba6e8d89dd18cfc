"""Bulk import throughput and memory, end to end through the CLI (zip → snapshots → claims):

    .venv/bin/python benchmarks/bulk.py [--n 10000] [--page-size 100] [--search]

Generates an archive laid out like ctg-studies.json.zip (shard folders, one JSON per study),
each study the BlueRock record (fixtures/bluerock) with its own NCT number and enrollment,
padded with a ~15 KB description so members are the size of real ones (~17 KB on average).
Imports it with `auditor bulk ctgov --archive` in a child process and reports studies/s and
the child's peak RSS. With --search, serves the same studies as search pages from the local
fault server and imports them with `auditor bulk ctgov --query.term` instead.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from faultserver import FaultServer  # noqa: E402

BASE = json.loads((ROOT / "fixtures/bluerock/ctgov-NCT04802733.json").read_text())
PADDING = "Generated benchmark text, not a real study description. " * 270


def study(i: int) -> dict:
    record = json.loads(json.dumps(BASE))
    proto = record["protocolSection"]
    proto["identificationModule"]["nctId"] = f"NCT{80000000 + i:08d}"
    proto["designModule"]["enrollmentInfo"]["count"] = i % 500 + 1
    proto["descriptionModule"] = {"detailedDescription": PADDING}
    return record


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="studies")
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--search", action="store_true", help="search pages over HTTP")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="auditor-bulk-bench-") as tmp:
        work = Path(tmp)
        cmd = [sys.executable, "-m", "auditor.cli", "bulk", "ctgov", "--out",
               str(work / "out"), "--db", str(work / "audit.db"), "--page-size",
               str(args.page_size), "--quiet"]
        server = None
        if args.search:
            server = FaultServer().start()
            pages = range(0, args.n, args.page_size)
            for k, start in enumerate(pages):
                data: dict = {"studies": [study(i) for i in range(
                    start, min(start + args.page_size, args.n))]}
                if start + args.page_size < args.n:
                    data["nextPageToken"] = f"p{k + 1}"
                path = "/api/v2/studies" + (f"?pageToken=p{k}" if k else "")
                server.add(path, json.dumps(data))
            (work / "config.toml").write_text(
                "[fetch]\nmax_body_bytes = 100000000\nrate_limits = { default = 1000.0 }\n"
                f'bases = {{ ctgov = "http://127.0.0.1:{server.port}/api/v2" }}\n')
            cmd += ["--query.term", "bench", "--config", str(work / "config.toml")]
            what = f"{args.n:,} studies in {len(pages)} search pages over local HTTP"
        else:
            archive = work / "ctg-studies.json.zip"
            with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
                # grouped by shard folder, as in the real download
                for i in sorted(range(args.n), key=lambda i: (i % 100, i)):
                    nct = f"NCT{80000000 + i:08d}"
                    zf.writestr(f"{nct[-2:]}/{nct}.json", json.dumps(study(i), indent=2))
            cmd += ["--archive", str(archive)]
            what = (f"{args.n:,} studies from a {archive.stat().st_size / 1e6:.1f} MB "
                    "generated archive")
        started = time.perf_counter()
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        if server:
            server.stop()
        if done.returncode != 0:
            print(done.stdout, done.stderr, file=sys.stderr)
            return 1
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        manifest = sum(p.stat().st_size for p in (work / "out/ctgov").glob("*/manifest.json"))
        manifest /= 1e6
        print(f"{what}: {elapsed:.1f} s, {args.n / elapsed:,.0f} studies/s, "
              f"peak RSS {peak:.0f} MB (page size {args.page_size}; "
              f"manifests {manifest:.1f} MB in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
