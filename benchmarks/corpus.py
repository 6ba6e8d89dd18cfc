"""Generate a benchmark corpus: N subjects, each with a ClinicalTrials.gov study (JSON), a
Crossref work (JSON), a PubMed record (XML) and a company pipeline page (HTML), in their real
formats, varied from the bundled fixtures, with known planted discrepancies.

    python benchmarks/corpus.py OUT_DIR [--n 10000] [--seed 1]

Writes OUT_DIR/config.toml, OUT_DIR/snapshots/<subject>/... and OUT_DIR/planted.json (the
discrepancies planted per subject, so a run can be checked against them).
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CTGOV = json.loads((ROOT / "tests/inputs/ctgov/full-study.json").read_text())
CROSSREF = json.loads((ROOT / "auditor/demo/amchepry/crossref-10.1038_s41586-025-08700-0.json")
                      .read_text())
PUBMED = (ROOT / "auditor/demo/amchepry/pubmed-40240591.xml").read_text()
PAGE = (ROOT / "auditor/demo/amchepry/sumitomo-pipeline.html").read_text()

OUTCOMES = ["Incidence of adverse events", "Change in MDS-UPDRS part III OFF score",
            "Change in HbA1c", "Overall survival", "Progression-free survival",
            "Change in 6-minute walk distance", "Graft survival on 18F-DOPA PET"]
PLANTS = {"enrollment": 7, "outcome": 11, "overclaim": 13, "follow_up": 17}


def subject_files(i: int, rng: random.Random) -> tuple[dict[str, str], list[str]]:
    """The four documents of subject i and the discrepancies planted in them."""
    nct = f"NCT{90000000 + i:08d}"
    doi = f"10.5555/bench.{i}"
    pmid = str(80000000 + i)
    n = rng.randint(6, 400)
    months = rng.choice([12, 18, 24, 36, 52])
    outcome = rng.choice(OUTCOMES)
    planted: list[str] = []
    paper_n, paper_outcome, paper_months = n, outcome, months
    if i % PLANTS["enrollment"] == 0:
        paper_n = n + rng.randint(1, 5)
        planted.append("enrollment_mismatch")
    if i % PLANTS["outcome"] == 0:
        paper_outcome = next(o for o in OUTCOMES if o != outcome and o.split()[0] != "Change")
        planted.append("outcome_switching")
    if i % PLANTS["follow_up"] == 0:
        paper_months = months * 2
        planted.append("follow_up_mismatch")

    study = copy.deepcopy(CTGOV)
    ps = study["protocolSection"]
    ps["identificationModule"]["nctId"] = nct
    ps["identificationModule"]["briefTitle"] = f"Benchmark trial {i} of product BX-{i}"
    ps["designModule"]["enrollmentInfo"] = {"count": n, "type": "ACTUAL"}
    ps["designModule"]["phases"] = ["PHASE1", "PHASE2"]
    ps["designModule"]["designInfo"] = {"allocation": "NA",
                                        "interventionModel": "SINGLE_GROUP",
                                        "maskingInfo": {"masking": "NONE"}}
    ps["outcomesModule"] = {"primaryOutcomes": [
        {"measure": outcome, "timeFrame": f"{months} months"}]}
    ps["statusModule"]["overallStatus"] = "COMPLETED"
    ps.pop("referencesModule", None)

    work = copy.deepcopy(CROSSREF)
    msg = work["message"]
    msg["DOI"] = doi
    msg["title"] = [f"Phase I/II trial of BX-{i}"]
    msg["clinical-trial-number"] = [{"clinical-trial-number": nct, "registry": "ctgov"}]
    abstract = (f"<jats:p>In this open-label phase I/II trial, {paper_n} patients received "
                f"BX-{i}. Patients were followed for {paper_months} months. The primary outcome "
                f"was {paper_outcome.lower()}. This trial is registered as {nct}.</jats:p>")
    msg["abstract"] = abstract

    plain = re.sub(r"<[^>]+>", "", abstract)
    pubmed = re.sub(r"<PMID Version=\"1\">\d+</PMID>", f'<PMID Version="1">{pmid}</PMID>', PUBMED)
    pubmed = re.sub(r"<Abstract>.*?</Abstract>",
                    f"<Abstract><AbstractText>{plain}</AbstractText></Abstract>", pubmed,
                    flags=re.S)
    pubmed = re.sub(r"jRCT2090220384", nct, pubmed)
    pubmed = pubmed.replace("10.1038/s41586-025-08700-0", doi)

    page = (PAGE.replace("raguneprocel", f"bx-{i}cel").replace("CT1-DAP001/DSP-1083", f"BX-{i}")
            .replace("<td>Japan</td>", "<td>U.S.</td>")
            .replace("Approved (conditional, time-limited)", "Phase 1/2")
            .replace("Post-marketing clinical study", ""))
    if i % PLANTS["overclaim"] == 0:
        page = page.replace('<p class="note">',
                            f'<p class="note">BX-{i} is a proven cure for the disease. ', 1)
        planted.append("overclaim")
    files = {"ctgov.json": json.dumps(study, indent=1), "crossref.json": json.dumps(work),
             "pubmed.xml": pubmed, "pipeline.html": page}
    return files, planted


def generate(out: Path, n: int, seed: int = 1) -> dict[str, list[str]]:
    rng = random.Random(seed)
    snaps = out / "snapshots"
    config = ['[auditor]', 'database = "audit.db"', 'snapshots = "snapshots"', '']
    planted: dict[str, list[str]] = {}
    kinds = {"ctgov.json": "ctgov", "crossref.json": "crossref", "pubmed.xml": "pubmed",
             "pipeline.html": "page"}
    for i in range(1, n + 1):
        sid = f"bx-{i:06d}"
        files, planted[sid] = subject_files(i, rng)
        folder = snaps / sid
        folder.mkdir(parents=True, exist_ok=True)
        config += ['[[subjects]]', f'id = "{sid}"', f'name = "BX-{i}"',
                   f'aliases = ["BX-{i}", "bx-{i}cel"]', '']
        for name, body in files.items():
            (folder / name).write_text(body, encoding="utf-8")
            config += ['[[subjects.sources]]', f'name = "{sid}-{name.split(".")[0]}"',
                       f'kind = "{kinds[name]}"', f'snapshot = "{sid}/{name}"', '']
    (out / "config.toml").write_text("\n".join(config), encoding="utf-8")
    (out / "planted.json").write_text(json.dumps(planted, indent=0))
    return planted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    planted = generate(args.out, args.n, args.seed)
    print(f"{args.n} subjects, {4 * args.n} documents, "
          f"{sum(len(v) for v in planted.values())} planted discrepancies → {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
