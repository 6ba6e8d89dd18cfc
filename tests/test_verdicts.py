"""A verdict means what it says: 'consistent' only for values a rule compared and found to
agree; 'not compared' where no rule compared them; different trials are said to be different,
and their trial facts are not compared with each other."""

from __future__ import annotations

from auditor.diff import compare_fields, judge
from auditor.models import Claim, Subject


def claim(source: str, field: str, value, role: str = "registry", **extra) -> Claim:
    return Claim(field=field, value=value, quote=str(value), locator="here", subject="s",
                 source=source, source_kind="ctgov" if role == "registry" else "pubmed",
                 role=role, url=f"https://example.org/{source}", snapshot_sha256="0" * 64,
                 **extra)


def verdicts(claims: list[Claim], subject: Subject | None = None) -> dict[str, str]:
    subject = subject or Subject(id="s", name="s")
    judged = judge(subject, claims)
    return {c.field: c.verdict for c in compare_fields(subject, claims, judged.findings,
                                                       judged.compared)}


ONE_TRIAL = [claim("registry", "identifiers", ["NCT01234567"], qualifier="self"),
             claim("paper", "identifiers", ["NCT01234567"], role="publication",
                   qualifier="cited")]


def test_equal_values_a_rule_compared_are_consistent():
    v = verdicts(ONE_TRIAL + [claim("registry", "enrollment", 7, unit="participants"),
                              claim("paper", "enrollment", 7, role="publication")])
    assert v["enrollment"] == "consistent"


def test_values_no_rule_compares_are_not_compared():
    v = verdicts(ONE_TRIAL + [claim("registry", "title", "A trial of X"),
                              claim("paper", "title", "Something else entirely",
                                    role="publication")])
    assert v["title"] == "not compared"


def test_two_registrations_with_no_shared_id_are_different_trials():
    claims = [claim("leukaemia", "identifiers", ["jRCTs051180190", "UMIN000027821"],
                    qualifier="self"),
              claim("leukaemia", "title", "AML-SCT15"),
              claim("leukaemia", "enrollment", 66, unit="participants", qualifier="planned"),
              claim("parkinson", "identifiers", ["jRCT2090220384"], qualifier="self"),
              claim("parkinson", "title", "Kyoto trial of iPSC-derived dopaminergic cells"),
              claim("parkinson", "enrollment", 7, unit="participants", qualifier="planned")]
    subject = Subject(id="compare", name="compare", adhoc=True)
    judged = judge(subject, claims)
    [different] = [f for f in judged.findings if f.rule == "different_trial"]
    assert different.severity == "medium"
    assert "jRCT2090220384" in different.message and "jRCTs051180190" in different.message
    assert {s.source for s in different.sources} == {"leukaemia", "parkinson"}
    assert not [f for f in judged.findings if f.rule == "enrollment_mismatch"]
    v = verdicts(claims, subject)
    assert v["enrollment"] == "not compared"
    assert "consistent" not in v.values()


def test_a_cross_registration_links_two_records_of_one_trial():
    claims = [claim("jrct", "identifiers", ["jRCT2090220384", "UMIN000033564"],
                    qualifier="self"),
              claim("umin", "identifiers", ["UMIN000033564"], qualifier="self"),
              claim("jrct", "enrollment", 7, unit="participants"),
              claim("umin", "enrollment", 8, unit="participants")]
    judged = judge(Subject(id="s", name="s"), claims)
    assert not [f for f in judged.findings if f.rule == "different_trial"]
    assert [f for f in judged.findings if f.rule == "enrollment_mismatch"]


def test_the_real_leukaemia_jrct_page_and_the_parkinson_page_are_different_trials(run_cli):
    """jRCTs051180190 (AML-SCT15, real page) compared with our jRCT2090220384 page: one
    different_trial finding naming both, and no field called consistent."""
    from conftest import DEMO, ROOT

    real = ROOT / "tests/real/jrct/nnh__research_management/jrct_jRCTs051180190.html"
    result = run_cli("compare", "--json", f"jrct:{real}",
                     str(DEMO / "amchepry" / "jrct-jRCT2090220384-ja.html"))
    import json

    data = json.loads(result.output)
    rules = [f["rule"] for f in data["findings"]]
    assert rules.count("different_trial") == 1, rules
    [different] = [f for f in data["findings"] if f["rule"] == "different_trial"]
    assert "jRCTs051180190" in different["message"] and "jRCT2090220384" in different["message"]
    for f in data["findings"]:  # any other finding is about one trial's own record
        if f["rule"] != "different_trial":
            assert len({s["source"] for s in f["sources"]}) == 1, f["message"]
    retro = [f for f in data["findings"] if f["rule"] == "retrospective_registration"]
    assert all(f["severity"] == "info" and "UMIN000027821" in f["message"] for f in retro), \
        "registered in jRCT after the start, but it cites its earlier UMIN registration"
    by_field = {c["field"]: c for c in data["claims"]}
    assert by_field["enrollment"]["value"] in (66, 7)
