"""Facts with units and bases (issue 15, item 3): dose, immunosuppression, imaging safety,
durability, the approval's conditions and reimbursement, read from the sentences the dossier's
sources use, in English and Japanese; and the rules that compare them across sources."""

from __future__ import annotations

import pytest

from auditor.diff import judge
from auditor.models import Claim, Subject
from auditor.read.facts import (
    read_approval_conditions,
    read_doses,
    read_durability,
    read_imaging_safety,
    read_immunosuppression,
    read_independence,
    read_reimbursement,
)
from auditor.read.prose import read_prose

M = 1e6


@pytest.mark.parametrize("sentence, doses", [
    ("low dose, three patients: 2.1–2.6 × 10⁶ cells per hemisphere",
     [{"min": 2.1 * M, "max": 2.6 * M, "basis": "per hemisphere", "arm": "low"}]),
    ("Patients received 5 million or 10 million cells into both sides of the brain.",
     [{"min": 5 * M, "max": 5 * M, "basis": "total", "arm": None},
      {"min": 10 * M, "max": 10 * M, "basis": "total", "arm": None}]),
    ("5–10 million cells were transplanted.",
     [{"min": 5 * M, "max": 10 * M, "basis": None, "arm": None}]),
    ("The high-dose group received 2 × 10^6 cells/kg.",
     [{"min": 2 * M, "max": 2 * M, "basis": "per kg", "arm": "high"}]),
    ("低用量群では片側あたり210万～260万個の細胞を移植した。",
     [{"min": 2.1 * M, "max": 2.6 * M, "basis": "per hemisphere", "arm": "low"}]),
    ("両側の被殻に500万個または1000万個の細胞を移植した。",
     [{"min": 5 * M, "max": 5 * M, "basis": "total", "arm": None},
      {"min": 10 * M, "max": 10 * M, "basis": "total", "arm": None}]),
    ("Seven patients aged 50-69 years were followed for 24 months.", []),
    ("A total of 73 mild or moderate adverse events occurred.", []),
])
def test_doses_are_read_with_their_basis(sentence, doses):
    assert read_doses(sentence) == doses


@pytest.mark.parametrize("sentence, drugs, months", [
    ("Patients received tacrolimus for 15 months.", ["tacrolimus"], 15.0),
    ("Tacrolimus was given for 1 year after transplantation, and patients were followed up "
     "for 2 years.", ["tacrolimus"], 12.0),
    ("They were transplanted under tacrolimus immunosuppression.", ["tacrolimus"], None),
    ("免疫抑制剤タクロリムスを移植後1年間投与し、観察期間は2年とする。", ["tacrolimus"], 12.0),
])
def test_immunosuppression_has_a_drug_and_a_duration(sentence, drugs, months):
    assert read_immunosuppression(sentence) == {"drugs": drugs, "months": months}


@pytest.mark.parametrize("sentence, follow_up", [
    ("Patients received tacrolimus for 15 months.", None),
    ("Immunosuppression with tacrolimus was continued for 1 year after transplantation.", None),
    ("Patients received tacrolimus for 15 months and were followed for 24 months.", 24.0),
])
def test_a_tacrolimus_duration_is_never_read_as_follow_up(sentence, follow_up):
    readings = {r.field: r.value for r in read_prose(sentence, "p")}
    assert readings.get("follow_up") == follow_up
    assert readings["immunosuppression"]["drugs"] == ["tacrolimus"]


@pytest.mark.parametrize("sentence, value", [
    ("MRI showed no graft overgrowth.", {"graft_overgrowth": False, "modality": "MRI"}),
    ("The paper reports no MRI evidence of graft overgrowth.",
     {"graft_overgrowth": False, "modality": "MRI"}),
    ("There was no tumour formation on MRI or PET.", {"tumour": False, "modality": "MRI"}),
    ("No tumorigenic growth was observed.", {"tumour": False, "modality": None}),
    ("腫瘍形成は認められなかった。", {"tumour": False, "modality": None}),
    ("Graft overgrowth was observed in one patient on MRI.",
     {"graft_overgrowth": True, "modality": "MRI"}),
    ("Tumorigenicity surveillance will be required after marketing.", None),
])
def test_imaging_safety_says_what_was_seen_or_not(sentence, value):
    assert read_imaging_safety(sentence) == value


@pytest.mark.parametrize("sentence, value", [
    ("The benefits are durable for years.", {"months": None, "stated": "years"}),
    ("Motor improvement was maintained at 24 months.", {"months": 24.0, "stated": "24 months"}),
    ("The improvement persisted for 5 years.", {"months": 60.0, "stated": "5 years"}),
    ("Patients were followed for 24 months.", None),
])
def test_durability_is_the_time_an_effect_is_said_to_last(sentence, value):
    assert read_durability(sentence) == value


@pytest.mark.parametrize("sentence, value", [
    ("The approval is conditional and time-limited; a use-results survey of 35 patients "
     "within seven years is required.",
     {"time_limit_years": 7, "post_marketing_design": ["use-results survey"],
      "post_marketing_n": 35}),
    ("条件及び期限付承認。使用成績調査（目標症例数35例）を実施し、承認後7年以内に報告すること。",
     {"time_limit_years": 7, "post_marketing_design": ["use-results survey"],
      "post_marketing_n": 35}),
    ("Amchepry received conditional and time-limited approval.", None),
    ("A use-results survey of 35 patients must be completed by March 5, 2033.",
     {"deadline": "2033-03-05", "post_marketing_design": ["use-results survey"],
      "post_marketing_n": 35}),
    ("条件及び期限付承認の期限は2033年3月5日まで。", {"deadline": "2033-03-05"}),
])
def test_approval_conditions_give_the_limit_and_the_commitment(sentence, value):
    assert read_approval_conditions(sentence) == value


def test_approval_date_is_read_in_english_and_japanese():
    for sentence in ("The approval was granted on March 6, 2026.",
                     "2026年3月6日に条件及び期限付承認を取得した。"):
        readings = {r.field: r.value for r in read_prose(sentence, "p")}
        assert readings["approval_date"] == "2026-03-06", sentence
    filed = {r.field for r in read_prose("The application for approval was filed on "
                                         "August 5, 2025.", "p")}
    assert "approval_date" not in filed


def test_reimbursement_reads_listing_date_price_and_billing_notice():
    assert read_reimbursement("Amchepry was listed on the NHI price list on May 20, 2026 at "
                              "55,306,737 yen.") == {"listed": "2026-05-20", "price": 55306737,
                                                     "currency": "JPY"}
    assert read_reimbursement("使用薬剤の薬価（薬価基準）の一部改正に伴う留意事項について") == \
        {"billing_notice": True}
    assert read_reimbursement("留意事項については、別途通知するところによること。") is None


def test_independence_is_read_and_its_negation_is_not():
    assert read_independence("The trial was an independent investigator-initiated study.")
    assert not read_independence("The study was not independent of the company.")


# --- rules ----------------------------------------------------------------------------------

def claim(source: str, field: str, value, role: str = "publication", quote: str = "") -> Claim:
    return Claim(field=field, value=value, quote=quote or str(value), locator="here",
                 subject="s", source=source, source_kind="page", role=role,
                 url=f"https://example.org/{source}", snapshot_sha256="0" * 64)


def findings(*claims: Claim, rule: str | None = None):
    found = judge(Subject(id="s", name="s"), list(claims)).findings
    return [f for f in found if rule is None or f.rule == rule]


PAPER_DOSE = claim("paper", "dose", read_doses(
    "low dose, three patients: 2.1–2.6 × 10⁶ cells per hemisphere"),
    quote="bilateral transplantation; low dose, 2.1–2.6 × 10⁶ cells per hemisphere")


def test_per_hemisphere_and_both_sides_are_compared_on_one_basis():
    press = claim("press", "dose", read_doses(
        "Patients received 5 million or 10 million cells into both sides of the brain."),
        role="company")
    assert findings(PAPER_DOSE, press, rule="dose_mismatch") == []
    assert findings(PAPER_DOSE, press, rule="dose_basis_differs") == []


def test_a_dose_that_differs_on_one_basis_is_a_mismatch_in_total_cells():
    press = claim("press", "dose", read_doses("2 million cells into both sides"),
                  role="company")
    [f] = findings(PAPER_DOSE, press, rule="dose_mismatch")
    assert f.message == ("dose differs on one basis (cells in total): 2.1–2.6 million cells "
                         "per hemisphere (low dose) (= 4.2–5.2 million in total over both "
                         "hemispheres) (paper) vs 2 million cells total (press)")


def test_a_dose_without_a_stated_basis_cannot_be_compared():
    news = claim("news", "dose", read_doses("5–10 million cells were transplanted."),
                 role="company")
    assert findings(PAPER_DOSE, news, rule="dose_mismatch") == []
    [f] = findings(PAPER_DOSE, news, rule="dose_basis_differs")
    assert f.message.startswith("cannot compare: different basis — 2.1–2.6 million cells per "
                                "hemisphere (low dose) (paper) vs 5–10 million cells basis not "
                                "stated (news)")
    assert f.kind != "mismatch" and f.severity == "info"


def test_tacrolimus_durations_that_differ_are_an_immunosuppression_finding_not_follow_up():
    a = claim("paper", "immunosuppression", {"drugs": ["tacrolimus"], "months": 15.0})
    b = claim("plan", "immunosuppression", {"drugs": ["tacrolimus"], "months": 12.0},
              role="registry")
    follow = [claim("paper", "follow_up", 24.0), claim("plan", "follow_up", 24.0, "registry")]
    found = findings(a, b, *follow)
    assert [f.rule for f in found] == ["immunosuppression_mismatch"]
    assert found[0].message == ("tacrolimus duration differs: 15 months (paper) vs 12 months "
                                "(plan)")


def test_tumour_reported_by_one_source_and_denied_by_another_is_high():
    a = claim("paper", "imaging_safety", {"tumour": False, "modality": "MRI"})
    b = claim("news", "imaging_safety", {"tumour": True, "modality": None}, role="company")
    [f] = findings(a, b, rule="imaging_safety_mismatch")
    assert f.severity == "high" and "tumour formation: reported by news" in f.message


def test_durability_beyond_the_follow_up_is_an_overclaim():
    follow = claim("paper", "follow_up", 24.0)
    durable = claim("press", "durability", {"months": 60.0, "stated": "5 years"},
                    role="company", quote="The improvement persisted for 5 years.")
    [f] = findings(follow, durable, rule="durability_beyond_follow_up")
    assert f.message == ("press says the effect lasted 5 years, but the longest follow-up "
                         "reported is 24 months (paper)")
    within = claim("press", "durability", {"months": 24.0, "stated": "24 months"}, "company")
    assert findings(follow, within, rule="durability_beyond_follow_up") == []


def test_a_different_post_marketing_commitment_is_a_finding():
    a = claim("pmda", "approval_conditions", {"time_limit_years": 7, "post_marketing_n": 35},
              role="regulator")
    b = claim("press", "approval_conditions", {"time_limit_years": 7, "post_marketing_n": 30},
              role="company")
    [f] = findings(a, b, rule="approval_conditions_mismatch")
    assert f.message == ("approval conditions differ on the post-marketing patients: "
                         "30 (press) vs 35 (pmda)")


def test_a_different_listing_date_is_a_reimbursement_finding():
    a = claim("mhlw", "reimbursement", {"listed": "2026-05-20", "price": 55306737},
              role="regulator")
    b = claim("press", "reimbursement", {"listed": "2026-05-19", "price": 55306737},
              role="company")
    [f] = findings(a, b, rule="reimbursement_mismatch")
    assert "listing date differs: 2026-05-19 (press) vs 2026-05-20 (mhlw)" in f.message


@pytest.mark.parametrize("sentence, field", [
    ("The protocol was approved by the ethics committee on March 6, 2018.", "approval_date"),
    ("Conditional survival for 5 years was 80% in the registry cohort.", None),
    ("Patients with this condition were treated with approved drugs for 5 years.", None),
    ("Under tacrolimus immunosuppression, 24 months after transplantation MRI was done.", None),
])
def test_look_alikes_state_nothing(sentence, field):
    readings = {r.field: r.value for r in read_prose(sentence, "p")}
    assert "approval_date" not in readings
    if field is None and "immunosuppression" in readings:
        assert readings["immunosuppression"]["months"] is None
    assert "approval_conditions" not in readings or \
        "time_limit_years" not in readings["approval_conditions"]


def test_a_price_list_row_is_the_reimbursement_listing_in_the_html_and_the_excel():
    from pathlib import Path

    from auditor import sources
    from auditor.read.documents import Document

    folder = Path(__file__).resolve().parent.parent / "auditor" / "demo" / "amchepry"
    for kind, name, media in (
            ("mhlw", "mhlw-price-listing-20260519.html", "text/html; charset=Shift_JIS"),
            ("mhlw_excel", "mhlw-price-listing-20260519.xlsx",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")):
        readings = sources.parse(kind, Document((folder / name).read_bytes(), media,
                                                source=name))
        [listing] = [r for r in readings if r.field == "reimbursement"]
        assert listing.value == {"listed": "2026-05-20", "price": 55306737, "currency": "JPY"}
        assert "アムシェプリ" in listing.quote


def test_the_billing_notice_is_read_from_the_notice_title():
    from pathlib import Path

    from auditor import sources
    from auditor.read.documents import Document

    name = "mhlw-insurance-notice-20260519.html"
    path = Path(__file__).resolve().parent.parent / "auditor" / "demo" / "amchepry" / name
    readings = sources.parse("mhlw", Document(path.read_bytes(), "text/html; charset=Shift_JIS",
                                              source=name))
    [notice] = [r for r in readings if r.field == "reimbursement"]
    assert notice.value == {"billing_notice": True} and notice.locator.startswith("title")
