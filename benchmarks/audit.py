"""Audit speed and memory on a generated corpus, in one run:

  (a) the bare-parse floor: only json / lxml parsing of every document;
  (b) a full offline audit into a fresh database;
  (c) a second audit with nothing changed;
  (d) peak memory (max RSS) of each audit process, or of its largest parse worker if larger.

    python benchmarks/audit.py [--n 10000] [--corpus DIR] [--keep]

Goals on a 2-core machine: full ≤ 3x floor, unchanged ≤ 5% of full, peak RSS ≤ 1 GiB at
N = 10,000. Each audit runs in its own process so its RSS is its own.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

PHASE = """
import resource, sys, time
from auditor.audit import run_audit
from auditor.config import load_config
from auditor import store
t = time.perf_counter()
config = load_config(sys.argv[1])
result = run_audit(config, store.open_db(config.database_path))
seconds = time.perf_counter() - t
rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
          resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)  # parse workers too
print(seconds, rss, result.run.findings_open, result.skipped)
"""


def floor(snapshots: Path) -> tuple[float, int]:
    """Time to parse every document with the fastest parser for its format, nothing else."""
    import lxml.etree
    import lxml.html

    files = sorted(p for p in snapshots.rglob("*") if p.is_file())
    t = time.perf_counter()
    for p in files:
        body = p.read_bytes()
        if p.suffix == ".json":
            json.loads(body)
        elif p.suffix == ".xml":
            lxml.etree.fromstring(body, lxml.etree.XMLParser(resolve_entities=False,
                                                             no_network=True))
        else:
            lxml.html.fromstring(body)
    return time.perf_counter() - t, len(files)


def audit_phase(config: Path) -> tuple[float, float, int, int]:
    out = subprocess.run([sys.executable, "-c", PHASE, str(config)], check=True,
                         capture_output=True, text=True).stdout.split()
    seconds, rss_kib, findings, skipped = float(out[0]), int(out[1]), int(out[2]), int(out[3])
    return seconds, rss_kib / 1024, findings, skipped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--corpus", type=Path, help="reuse or create the corpus here")
    args = parser.parse_args(argv)
    import corpus

    folder = args.corpus or Path(tempfile.mkdtemp(prefix="auditor-bench-"))
    if not (folder / "config.toml").exists():
        t = time.perf_counter()
        corpus.generate(folder, args.n)
        print(f"generated {args.n} subjects in {time.perf_counter() - t:.1f} s → {folder}")
    (folder / "audit.db").unlink(missing_ok=True)
    parse_s, documents = floor(folder / "snapshots")
    full_s, full_rss, findings, _ = audit_phase(folder / "config.toml")
    again_s, again_rss, again_findings, skipped = audit_phase(folder / "config.toml")
    print(f"documents                 {documents:>10,}")
    print(f"(a) bare-parse floor      {parse_s:>10.2f} s   {1e3 * parse_s / documents:.3f} ms/doc")
    print(f"(b) full offline audit    {full_s:>10.2f} s   {1e3 * full_s / documents:.3f} ms/doc"
          f"   {findings:,} open findings")
    print(f"(c) unchanged re-audit    {again_s:>10.2f} s   {skipped:,} subjects skipped, "
          f"{again_findings:,} open findings")
    print(f"(d) peak RSS              {full_rss:>10.0f} MiB (full)   "
          f"{again_rss:.0f} MiB (unchanged)")
    print(f"full / floor              {full_s / parse_s:>10.2f}   (goal ≤ 3)")
    print(f"unchanged / full          {again_s / full_s:>10.3f}   (goal ≤ 0.05)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
