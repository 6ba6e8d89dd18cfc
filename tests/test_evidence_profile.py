"""The evidence profile and the briefing's watch list (issue 15): judged at audit time from
the claims and findings, stored as report notes, shown in the terminal summary and the
report."""

from __future__ import annotations

from click.testing import CliRunner

from auditor import store
from auditor.cli import cli

PROFILE = ("amchepry evidence: open-label, single-arm, not randomised, not controlled; "
           "phase 1/2; n = 7 treated, 6 analysed; longest follow-up 24 months; registered: "
           "UMIN000033564, jRCT2090220384; no results in the registry records; approval: "
           "conditional, "
           "post-marketing obligations, time-limited, approved 2026-03-06, time limit 7 years "
           "(to 2033-03-06 if counted from approval), use-results survey of 35 patients; "
           "registered without results: NCT06482268 (open-label, single-arm), NCT06753331 "
           "(controlled, randomised)")
PRESS = "sumitomo-press-release-approval.html"
ANCHOR = "to gather further evidence. "


def watch(dossier) -> dict[str, str]:
    """Statement → the rest of its line, from the stored notes."""
    notes = store.report_notes(store.open_db(dossier.db), "amchepry")
    items = [text for section, text in notes if section == "watch"]
    return {t.split(": ", 1)[0]: t.split(": ", 1)[1] for t in items}


def report(dossier, *args: str) -> str:
    result = CliRunner().invoke(cli, ["report", "amchepry", "--config", str(dossier.config),
                                      *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_terminal_summary_shows_the_profile_in_one_line(dossier):
    result = dossier.audit()
    assert result.exit_code in (0, 1), result.output
    assert PROFILE in result.output.splitlines()


def test_report_answers_the_six_watch_list_items_with_quotes(dossier):
    dossier.audit()
    items = watch(dossier)
    assert list(items) == [
        "Controlled efficacy data exist", "Motor effects are durable",
        "Graft behaviour is known over longer follow-up",
        "Immune and safety management is shown under broader use",
        "Registries and publications agree", "Language stays within the evidence"]
    verdicts = {k: v.split(".", 1)[0] for k, v in items.items()}
    assert verdicts == {
        "Controlled efficacy data exist": "NOT SUPPORTED",
        "Motor effects are durable": "NOT STATED",
        "Graft behaviour is known over longer follow-up": "NOT STATED",
        "Immune and safety management is shown under broader use": "NOT STATED",
        "Registries and publications agree": "SUPPORTED",
        "Language stays within the evidence": "SUPPORTED"}
    assert "jrct-en: “Interventional / single arm study" in items["Controlled efficacy data exist"]
    assert "crossref: “Patients were followed for 24 months.”" in \
        items["Motor effects are durable"]
    text = report(dossier)
    assert "## Watch list" in text
    assert "- **Controlled efficacy data exist** — *not supported*." in text
    assert "**Evidence profile** — open-label, single-arm" in text
    html = report(dossier, "--format", "html")
    assert '<h2>Watch list</h2><ul class="watch">' in html
    assert html.count("<li><b>") >= 6


def test_durability_claim_is_not_supported_and_language_drifts(dossier):
    planted = "The benefits are durable for years."
    dossier.edit(PRESS, ANCHOR, f"{ANCHOR}{planted} ")
    dossier.audit()
    items = watch(dossier)
    durable = items["Motor effects are durable"]
    assert durable.startswith("NOT SUPPORTED. sumitomo-press claims durability, but the "
                              "longest follow-up any registry or publication reports is 24 "
                              "months.")
    assert f"sumitomo-press: “{planted}”" in durable
    language = items["Language stays within the evidence"]
    assert language.startswith("CONTRADICTED. 1 sentence(s)")
    assert planted in language


def test_a_paper_claiming_a_randomised_control_contradicts_the_registry(dossier):
    crossref = "crossref-10.1038_s41586-025-08700-0.json"
    dossier.edit(crossref, "phase I/II, open-label, single-arm trial",
                 "phase I/II, double-blind, randomised, placebo-controlled trial")
    dossier.audit()
    items = watch(dossier)
    assert items["Controlled efficacy data exist"].startswith("CONTRADICTED.")
    assert items["Registries and publications agree"].startswith("CONTRADICTED.")


def test_watch_list_answers_graft_immune_and_controlled_items_from_the_new_fields(dossier):
    dossier.audit()
    items = watch(dossier)
    assert "A controlled trial is registered (NCT06753331), but no results of it are among " \
           "the sources." in items["Controlled efficacy data exist"]
    graft = items["Graft behaviour is known over longer follow-up"]
    assert graft.startswith("NOT STATED. Within the trial no tumour formation was seen "
                            "(crossref); nothing is reported beyond it")
    assert "crossref: “No tumorigenic growth was observed.”" in graft
    immune = items["Immune and safety management is shown under broader use"]
    assert "the approval requires further data after marketing — approved 2026-03-06, time " \
           "limit 7 years (to 2033-03-06 if counted from approval), use-results survey of 35 " \
           "patients — and no source reports them" in immune
    assert "immunosuppression: tacrolimus for 12 months (sumitomo-press); tacrolimus " \
           "(crossref)" in immune
    assert "sumitomo-press: “Patients received the immunosuppressant tacrolimus for one year " \
           "after transplantation.”" in immune


def test_an_effect_said_to_last_beyond_the_follow_up_is_not_supported(dossier):
    planted = "The improvement persisted for 5 years."
    dossier.edit(PRESS, ANCHOR, f"{ANCHOR}{planted} ")
    dossier.audit()
    items = watch(dossier)
    assert items["Motor effects are durable"].startswith(
        "NOT SUPPORTED. sumitomo-press claims durability, but the longest follow-up any "
        "registry or publication reports is 24 months.")
    found = store.findings(store.open_db(dossier.db), status="open")
    [f] = [f for f in found if f["rule"] == "durability_beyond_follow_up"]
    assert f["message"] == ("sumitomo-press says the effect lasted 5 years, but the longest "
                            "follow-up reported is 24 months (crossref)")
