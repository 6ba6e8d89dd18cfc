"""Funding, conflicts of interest and sponsors as facts rules use (issue 15, item 4), over a
company-group vocabulary; and the dossier's U.S. registrations (item 5)."""

from __future__ import annotations

from pathlib import Path

from auditor import store
from auditor.config import load_config
from auditor.diff import judge
from auditor.models import Claim, Subject
from auditor.rules.funding import DEFAULT_COMPANY_GROUPS, groups_named, merge_groups

COI = ("Competing interests: Several authors received collaborative research funding from "
       "Sumitomo Pharma. One author is an employee of Sumitomo Pharma.")


def claim(source: str, field: str, value, role: str, quote: str = "",
          kind: str = "page") -> Claim:
    return Claim(field=field, value=value, quote=quote or str(value), locator="here",
                 subject="s", source=source, source_kind=kind, role=role,
                 url=f"https://example.org/{source}", snapshot_sha256="0" * 64)


def rules_found(*claims: Claim, rule: str, groups=None):
    from auditor.config import Config
    config = Config(company_groups=groups or {})
    return [f for f in judge(Subject(id="s", name="s"), list(claims), config).findings
            if f.rule == rule]


def test_former_names_subsidiaries_and_the_joint_venture_are_one_group():
    for name in ("Sumitomo Pharma", "Sumitomo Dainippon Pharma", "DSP", "RACTHERA",
                 "Sumitomo Pharma America, Inc.", "住友ファーマ株式会社"):
        assert groups_named(name, DEFAULT_COMPANY_GROUPS) == {"Sumitomo Pharma"}, name
    assert groups_named("DSP-1083", DEFAULT_COMPANY_GROUPS) == set()  # a code, not a company
    assert groups_named("University of California, San Diego", DEFAULT_COMPANY_GROUPS) == set()


def test_config_extends_the_vocabulary(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text('[company_groups]\n"Sumitomo Pharma" = ["SMaRT"]\n'
                    '"SanBio" = ["SanBio Co., Ltd.", "サンバイオ"]\n', encoding="utf-8")
    groups = load_config(path).company_group_map()
    assert "RACTHERA" in groups["Sumitomo Pharma"] and "SMaRT" in groups["Sumitomo Pharma"]
    assert groups_named("サンバイオ株式会社", groups) == {"SanBio"}
    assert merge_groups(None) == DEFAULT_COMPANY_GROUPS


IDS = [claim("paper", "identifiers", ["jRCT2090220384"], "publication"),
       claim("press", "identifiers", ["jRCT2090220384"], "company")]
VOICE = claim("press", "indication", "Parkinson's disease", "company",
              quote="Sumitomo Pharma and RACTHERA announce that Amchepry has received approval.")


def test_a_company_release_that_omits_the_papers_coi_is_a_finding():
    paper = claim("paper", "conflicts_of_interest", COI, "publication")
    [f] = rules_found(paper, VOICE, *IDS, rule="coi_omitted")
    assert f.message == ("paper's conflicts of interest statement names Sumitomo Pharma; "
                         "press, a Sumitomo Pharma text about the same trial, does not mention "
                         "the company's funding or interests")
    assert f.sources[0].quote == COI and f.sources[1].locator.startswith("(not stated")
    said = claim("press", "funding", ["Sumitomo Pharma"], "company",
                 quote="The trial received funding from Sumitomo Pharma.")
    assert rules_found(paper, VOICE, said, *IDS, rule="coi_omitted") == []


def test_a_company_page_calling_a_company_funded_trial_independent_is_high():
    paper = claim("paper", "conflicts_of_interest", COI, "publication")
    independent = claim("press", "independence", ["An independent academic trial showed …"],
                        "company", quote="An independent academic trial showed the benefit.")
    [f] = rules_found(paper, VOICE, independent, *IDS, rule="independence_claim")
    assert f.severity == "high"
    assert f.message == ("press calls the trial independent, but paper names Sumitomo Pharma "
                         "as conflicts of interest")
    other = claim("press", "indication", "PD", "company",
                  quote="SanBio announces that the trial has been completed.")
    assert rules_found(paper, other, independent, *IDS, rule="independence_claim",
                       groups={"SanBio": []}) == [], "independent of SanBio may well be true"


def test_registry_sponsor_and_paper_funder_of_different_groups_is_a_finding():
    sponsor = claim("ctgov", "sponsor", "Sumitomo Pharma America, Inc.", "registry",
                    kind="ctgov")
    same = claim("paper", "funding", ["Sumitomo Dainippon Pharma"], "publication")
    other = claim("paper", "funding", ["SanBio Co., Ltd."], "publication")
    groups = {"SanBio": ["SanBio Co., Ltd."]}
    assert rules_found(sponsor, same, rule="sponsor_vs_funder", groups=groups) == []
    [f] = rules_found(sponsor, other, rule="sponsor_vs_funder", groups=groups)
    assert f.message == ("ctgov registers Sumitomo Pharma America, Inc. (Sumitomo Pharma) as "
                         "sponsor; paper names funders of another company group: SanBio")


# --- the dossier ----------------------------------------------------------------------------

def test_the_us_registrations_turn_a_missing_registration_into_a_phase_difference(dossier):
    import json

    result = dossier.audit("--json")
    found = json.loads(result.output)["findings"]
    rules = {f["rule"] for f in found}
    assert "pipeline_without_registration" not in rules
    [f] = [f for f in found if f["rule"] == "pipeline_vs_registry"]
    assert f["message"] == ("sumitomo-pipeline says phase 1/2 in U.S. where the registrations "
                            "say phase 1: ctgov-NCT06482268 (NCT06482268), ctgov-NCT06753331 "
                            "(NCT06753331)")
    quotes = {s["source"]: s["quote"] for s in f["sources"]}
    assert quotes["sumitomo-pipeline"] == ("raguneprocel (CT1-DAP001/DSP-1083) | Parkinson's "
                                           "disease | U.S. | Phase 1/2")
    assert quotes["ctgov-NCT06482268"] == "PHASE1" == quotes["ctgov-NCT06753331"]


def test_without_them_the_finding_says_what_the_config_lacks(dossier):
    import json

    text = dossier.config.read_text(encoding="utf-8")
    dossier.config.write_text(text.split("# The two U.S. registrations")[0], encoding="utf-8")
    found = json.loads(dossier.audit("--json").output)["findings"]
    [f] = [f for f in found if f["rule"] == "pipeline_without_registration"]
    assert f["message"] == ("sumitomo-pipeline lists Phase 1/2 in U.S.; a ctgov registration "
                            "for that programme is not among the configured sources (what the "
                            "dossier lacks, not a fact about the world)")
    notes = store.report_notes(store.open_db(dossier.db), "amchepry")
    assert ("gap", "sumitomo-pipeline lists a U.S. programme (Phase 1/2), but no source cites a "
            "ClinicalTrials.gov (NCT…) registration, and a ClinicalTrials.gov record is not among "
            "the configured sources (what the dossier lacks, not a fact about the world).") \
        in notes


def test_a_company_group_that_is_not_a_list_of_names_is_refused(tmp_path: Path):
    import pytest

    from auditor.errors import ConfigError

    for body, words in [('"Sumitomo Pharma" = "DSP"', "valid list"),
                        ('"Sumitomo Pharma" = [""]', "at least 1 character")]:
        path = tmp_path / "config.toml"
        path.write_text(f"[company_groups]\n{body}\n", encoding="utf-8")
        with pytest.raises(ConfigError) as e:
            load_config(path)
        assert "company_groups" in str(e.value) and words in str(e.value), str(e.value)
