"""The prose reader: facts from abstracts and press releases, one sentence per quote.

The sentences below are real reporting conventions (CONSORT counts, NEJM's '(Funded by …)',
Lancet's and JAMA's structured sections); each reads as an example of what the reader gives
for it, or that it gives nothing.
"""

from __future__ import annotations

import pytest

from auditor.read.prose import (
    Part,
    design_words,
    read_parts,
    read_prose,
    registry_follow_up,
    reports_a_trial,
    section_role,
    sentences,
    split_funders,
    split_outcomes,
)

NOTHING = object()


def read(text: str, **kwargs) -> dict:
    return {r.field: r for r in read_prose(text, "abstract", **kwargs)}


def read_sections(*sections: tuple[str | None, str], title: str | None = None) -> dict:
    parts = [Part(text, f"abstract [{label}]", label) for label, text in sections]
    found = read_parts(parts, title=Part(title, "title") if title else None)
    return {r.field: r for r in found}


@pytest.mark.parametrize("text,field,value", [
    ("Seven patients with Parkinson's disease received cells.", "enrollment", 7),
    ("Twenty-eight participants were enrolled.", "enrollment", 28),
    ("Twelve participants with Parkinson’s disease received cells.", "enrollment", 12),
    ("We enrolled 30 patients.", "enrollment", 30),
    ("In total, n = 14.", "enrollment", 14),
    ("患者七例に移植した。", "enrollment", 7),
    ("被験者７例を対象とした。", "enrollment", 7),
    ("Patients were followed for 24 months.", "follow_up", 24.0),
    ("Patients were followed for two years.", "follow_up", 24.0),
    ("Participants were monitored for 104 weeks after surgery.", "follow_up", 24.0),
    ("観察期間は２年間とした。", "follow_up", 24.0),
    ("There were 73 mild-to-moderate adverse events.", "adverse_events", 73),
    ("There were no serious adverse events.", "serious_adverse_events", 0),
    ("重篤な有害事象は認められなかった。", "serious_adverse_events", 0),
    ("Efficacy was evaluated in six patients.", "sample_size_analysed", 6),
])
def test_reads_a_fact_from_its_sentence(text, field, value):
    reading = read(text)[field]
    assert reading.value == value
    assert reading.quote == text
    assert reading.locator == "abstract, sentence 1"


# --- enrollment: who entered the trial, and what the sentence says they are ------------------

@pytest.mark.parametrize("sentence,value,qualifier", [
    ("In an open-label, 40-week, phase 3 trial, we randomly assigned 322 patients, in a 1:1 "
     "ratio, to receive tirzepatide or semaglutide.", 322, "randomised"),
    ("A total of 119 outpatients were randomized to drug or placebo.", 119, "randomised"),
    ("Eight mares were randomly assigned to two treatment sequences.", 8, "randomised"),
    ("A total of 322 patients underwent randomization.", 322, "randomised"),
    ("Between March 2021, and March 2023, 322 participants were randomized (161 per arm).",
     322, "randomised"),
    ("Of 140 patients enrolled, 48.6% had stage IVM1b/c/d disease.", 140, "enrolled"),
    ("A total of 363 patients (186 in the control group and 177 in the intervention group) "
     "were enrolled in the study.", 363, "enrolled"),
    ("Sixty patients were allocated to two groups.", 60, None),
    ("One hundred ninety-four patients with confirmed diagnosis of COVID-19 were included in "
     "the study after signing informed consent.", 194, "enrolled"),
    ("One hundred ninety-six patients received treatment.", 196, "treated"),
    ("Five hundred one participants were enrolled.", 501, "enrolled"),
    ("Four hundred and twenty-seven patients were randomised.", 427, "randomised"),
    ("Of 450 patients screened, 322 were randomized.", 322, "randomised"),
    ("Of the 1027 women screened, 100 eligible women were randomized.", 100, "randomised"),
    ("Twenty-five controlled asthmatics treated with ICS or ICS plus long-acting β2-agonist "
     "(LABA) were enrolled for a randomized crossover trial.", 25, "enrolled"),
    ("In a large randomized field trial (N = 843), two tailored interventions were compared.",
     843, "randomised"),
    ("A multicentre, randomized, double-blinded, placebo-controlled, clinical trial was "
     "performed in 576 patients (432 patients in the TNG group, 144 patients in the PC "
     "group).", 576, "randomised"),
    ("This was a prospective, multicenter, open-label, uncontrolled longitudinal study in 87 "
     "adult patients.", 87, None),
    ("62 of 90 patients were evaluated per protocol.", 90, "enrolled"),
    ("Thirty-four males from the U.S. Navy diving and special warfare community were "
     "randomized.", 34, "randomised"),
    ("Between Jan 1, 2015, and Dec 31, 2016, 1202 patients were enrolled and randomly assigned "
     "(1:1) to receive drug or placebo.", 1202, "randomised"),
    ("A total of 1,234 patients underwent randomization: 617 were assigned to drug and 617 to "
     "placebo.", 1234, "randomised"),
    ("Of the 3,000 patients who were screened, 1,500 underwent randomization.", 1500,
     "randomised"),
    ("In this phase 3 trial, we randomly assigned, in a 1:1 ratio, 600 patients with melanoma "
     "to receive nivolumab or placebo.", 600, "randomised"),
    ("The trial was stopped after 150 of the planned 400 patients were enrolled.", 150,
     "enrolled"),
    ("Of 240 randomized patients, 237 received at least one dose of study drug.", 240,
     "randomised"),
    ("Eligible patients (n = 412) were randomized to surgery or observation.", 412,
     "randomised"),
])
def test_consort_counts(sentence, value, qualifier):
    reading = read(sentence)["enrollment"]
    assert (reading.value, reading.qualifier, reading.quote) == (value, qualifier, sentence)


@pytest.mark.parametrize("sentence,value", [
    # arms listed in one clause are summed; a total stated elsewhere wins over the sum
    ("Thirty-one patients were randomly assigned combination therapy and 30 were assigned "
     "monotherapy.", 61),
    ("6602 HIV-1-negative individuals were enrolled in the intervention group and 6124 in the "
     "control group.", 12726),
    ("Patients were randomized to undergo either a Nissen fundoplication (n = 53) or an "
     "anterior 180 degrees hemifundoplication (n = 54).", 107),
    ("Patients assigned to the intervention group (n=184) underwent a detailed assessment; "
     "those assigned to the control group (n=213) received usual care only.", 397),
    ("One patient was enrolled in Stratum 01 and 16 evaluable patients were enrolled in "
     "Stratum 02.", 17),
    # years are not an arm
    ("Ten patients who received diagnoses between 2004 and 2007 were treated with cisplatin.",
     10),
])
def test_arm_sizes_in_one_sentence_add_up(sentence, value):
    assert read(sentence)["enrollment"].value == value


@pytest.mark.parametrize("sentence", [
    "Patients were randomized (n=123 per group) to drug or placebo.",  # an arm, not the total
    "The placebo group (PLA, n = 20) received saline in both injections.",
    "To detect a difference of 10%, 300 participants were needed.",  # a sample-size calculation
    "Of the 1027 women screened, most were ineligible.",
    "Eighty-three patients completed the study.",  # completers are the analysed, not enrolled
    "Six patients were asymptomatic, 22 had upper respiratory tract infection symptoms.",
    "French Confirmed COVID-19 patients were included in a single arm protocol.",  # COVID-19
    "A total of 1974 subjects were divided into the normal TG group and the HTG group.",
    "Of the 104 patients randomized in Part 1, 98 completed week 8.",  # one part of the trial
    "It is stated that six patients received azithromycin to prevent superinfection.",
])
def test_counts_that_are_not_the_enrollment(sentence):
    assert "enrollment" not in read(sentence)


def test_a_randomised_count_outranks_the_treated_one():
    found = read("A total of 43,548 participants underwent randomization, of whom 43,448 "
                 "received injections: 21,720 with BNT162b2 and 21,728 with placebo.")
    assert (found["enrollment"].value, found["enrollment"].qualifier) == (43548, "randomised")


@pytest.mark.parametrize("sentence,value", [
    ("A total of 523 patients was randomized, but because of 23 withdrawals the outcome in "
     "500 patients is reported.", 500),
    ("Thirty-six patients completed the program and constituted the study group.", 36),
    ("Eighty-three patients completed the study.", 83),
    ("62 of 90 patients were evaluated per protocol.", 62),
    # real wording from tests/real (PLOS Med 2013; Pediatric Oncology Group; registries)
    ("PHQ-9 data were available for 614 patients at 3 months.", 614),
    ("Of the 20 patients entered, there were 16 evaluable patients in Stratum 02.", 16),
    ("Eighteen of 20 patients completed the study.", 18),
    ("Data from 412 participants were analysed.", 412),
    ("The intention-to-treat population comprised 301 patients.", 301),
    ("Forty-one patients were evaluable for response.", 41),
    ("Of those randomised, only 87 patients were included in the per-protocol analysis.", 87),
])
def test_analysed_counts(sentence, value):
    assert read(sentence)["sample_size_analysed"].value == value


def test_an_analysed_count_equal_to_the_enrollment_is_not_a_second_fact():
    found = read("A total of 464 women were randomized. Intention to treat analysis (n = 464) "
                 "showed no change. 464 women were analysed.")
    assert found["enrollment"].value == 464
    assert "sample_size_analysed" not in found


# --- follow-up: the trial's, not a treatment's, a recruitment's or a landmark's -----------

@pytest.mark.parametrize("sentence,months,qualifier", [
    ("After a median follow-up of 31.7 months, the hazard ratio was 0.62.", 31.7, "median"),
    ("Median follow-up was 5.73 years.", 68.76, "median"),
    ("Patients were followed up for a mean of 1.3 years.", 15.6, "mean"),
    ("The mean age was 55.1 years (SD 7.2) and patients were followed up for 3.8 years (0.3).",
     45.6, "mean"),
    ("Safety over a median of 2 months was similar to that of other viral vaccines.", 2.0,
     "median"),
    ("Follow-up data were collected every 4 months for 1 year.", 12.0, "total"),
    ("Randomized clinical trial with follow-up at 2, 6, 12, and 24 weeks after index hospital "
     "discharge.", 5.54, "planned"),
    ("A follow-up study was conducted 48 to 62 months after quit day.", 62.0, "up to"),
    ("Participants were interviewed 6 times over a period of 2 years.", 24.0, "total"),
    ("Total duration of the study was 12 weeks.", 2.77, "total"),
    ("Results at 18 months are reported.", 18.0, "total"),
    ("The median duration of follow-up was 28.6 months.", 28.6, "median"),
    ("At a median follow-up of 3.2 years, 45 patients had died.", 38.4, "median"),
    ("The 5-year overall survival rate was 80.9% (median follow-up, 62 months).", 62.0,
     "median"),
    ("Subjects were recalled for evaluation at 1 day, 1 week, 1 month, and 6 months.", 6.0,
     "planned"),
    # registry descriptions (ClinicalTrials.gov, tests/real/ctgov)
    ("Bi-centre, randomized, double-blind, placebo-controlled retention trial with a maximum "
     "follow-up of one year.", 12.0, "up to"),
    ("Each participant will be in the study for up to 64 weeks.", 14.77, "up to"),
    ("Each participant will be in the study for between 6 and 42 days with up to 7 doctor "
     "visits.", 1.38, "up to"),
    ("Throughout the whole study (7 months) participants keep a headache diary.", 7.0, "total"),
    ("There will be a further follow up 2 months after the last treatment to assess for longer "
     "term side effects.", 2.0, "planned"),
    ("The total duration of the study after randomization is 24 weeks, including a safety "
     "follow-up period of 8 weeks.", 5.54, "total"),
    ("Participants will have follow-up for at least one year.", 12.0, None),
])
def test_follow_up(sentence, months, qualifier):
    reading = read(sentence)["follow_up"]
    assert (reading.value, reading.qualifier) == (months, qualifier)


@pytest.mark.parametrize("sentence", [
    "At 6 months, the rate of overall survival was 81%.",  # a landmark rate
    "Recruitment took place over 24 months.",
    "Patients received tacrolimus for 15 months.",  # a treatment duration
    "The primary outcome was the change in HbA1c at week 40.",  # an outcome's time point
    "In an open-label, 40-week, phase 3 trial, we randomly assigned 1879 patients.",
    "The patients were assigned to two groups receiving ICS or ICS plus pranlukast for 8 weeks.",
    "Pain was assessed over 12 weeks of treatment.",
    "Patients received treatment for a median of 6 months.",  # exposure, not follow-up
    "The median duration of response was 33.7 months.",
    # a study's length as an adjective, a dosing regimen, an aside about other trials
    "This is a 68-week study to evaluate the long-term safety and efficacy of fremanezumab.",
    "To investigate the effects of an oral LSD pulse regimen (3 x 100 µg LSD in three weeks).",
    "In most trials, however, follow-up was short and long-term analysis may change the "
    "current conclusions.",
    "Interferon-alpha given initially intravenously in high doses followed by subcutaneous "
    "therapy for 1 year is the only treatment shown to increase survival.",
])
def test_not_a_follow_up(sentence):
    assert "follow_up" not in read(sentence)


def test_one_follow_up_time_point_among_later_ones_is_not_the_follow_up():
    found = read("Dysphagia was graded 1, 3 and 6 months after operation. At 3 months' follow-up "
                 "clinical outcomes were similar. At 6 months, patients were more satisfied.")
    assert "follow_up" not in found


# --- outcomes -------------------------------------------------------------------------------

@pytest.mark.parametrize("sentence,primary,secondary", [
    ("Progression-free survival was the primary end point, and overall survival was a "
     "secondary end point.", ["progression-free survival"], ["overall survival"]),
    ("The primary efficacy end point was the change in the glycated hemoglobin level from "
     "baseline to 40 weeks.",
     ["change in the glycated hemoglobin level from baseline to 40 weeks"], NOTHING),
    ("The primary outcome, change in MDS-UPDRS Part III OFF score at 12 months, did not differ "
     "between groups.", ["change in MDS-UPDRS Part III OFF score at 12 months"], NOTHING),
    ("The primary end point, sustained virologic response at 12 weeks, was met.",
     ["sustained virologic response at 12 weeks"], NOTHING),
    ("The primary end points were efficacy of the vaccine against laboratory-confirmed "
     "Covid-19 and safety.",
     ["efficacy of the vaccine against laboratory-confirmed Covid-19", "safety"], NOTHING),
    ("The primary endpoints were recovery within 28 days, need for mechanical ventilation, or "
     "death.", ["recovery within 28 days", "need for mechanical ventilation", "death"], NOTHING),
    ("Primary outcome measures were severe anaemia (haemoglobin <8 g/dL) and malaria "
     "parasitaemia, assessed at 34 weeks of gestation.",
     ["severe anaemia (haemoglobin <8 g/dL)", "malaria parasitaemia"], NOTHING),
    ("The primary endpoint was a composite of fatal and non-fatal myocardial infarction, "
     "stroke, and other cardiovascular deaths.",
     ["composite of fatal and non-fatal myocardial infarction, stroke, and other "
      "cardiovascular deaths"], NOTHING),
    ("The primary endpoint was overall response rate and analysis was based on "
     "intention-to-treat.", ["overall response rate"], NOTHING),
    ("Primary outcome measures: time to relapse; change in body weight.",
     ["time to relapse", "change in body weight"], NOTHING),
    ("The primary outcomes were change in systolic and diastolic blood pressure.",
     ["change in systolic and diastolic blood pressure"], NOTHING),
    ("The primary outcome was safety and adverse events; secondary outcomes were motor "
     "symptoms and dopamine production.",
     ["safety and adverse events"], ["motor symptoms", "dopamine production"]),
    ("Presence and absence of virus at Day6-post inclusion was considered the end point.",
     ["presence and absence of virus at Day6-post inclusion"], NOTHING),
    ("The outcome measures were the rate of patient mortality and the number of organ "
     "dysfunctions occurring during the ICU stay.",
     ["rate of patient mortality", "number of organ dysfunctions occurring during the ICU "
      "stay"], NOTHING),
    ("The primary end point was not met.", NOTHING, NOTHING),
    ("Study outcomes included ACQ5 score, PEF and FeNO.", NOTHING, NOTHING),
    ("The coprimary end points were progression-free survival and overall survival.",
     ["progression-free survival", "overall survival"], NOTHING),
    ("The primary outcomes were the change from baseline in the number of attacks per week at "
     "weeks 9-12 and at weeks 21-24.",
     ["change from baseline in the number of attacks per week at weeks 9-12",
      "change from baseline in the number of attacks per week at weeks 21-24"], NOTHING),
    ("Secondary outcomes were the sputum eosinophil percentage and the sputum levels of IL-8, "
     "GM-CSF, eotaxin and RANTES.", NOTHING,
     ["sputum eosinophil percentage", "sputum levels of IL-8, GM-CSF, eotaxin and RANTES"]),
    ("Secondary endpoints included the change in 6-minute walk distance, WHO functional class "
     "and N-terminal pro-B-type natriuretic peptide at week 24.", NOTHING,
     ["change in 6-minute walk distance", "WHO functional class",
      "N-terminal pro-B-type natriuretic peptide at week 24"]),
    ("The primary end point was response to treatment for the first treated attack "
     "(ClinicalTrials.gov NCT01792817).", ["response to treatment for the first treated attack"],
     NOTHING),
    ("The primary outcome was the mean weekly attack frequency at 26 weeks, compared between "
     "the high and low intensity groups.", ["mean weekly attack frequency at 26 weeks"], NOTHING),
    ("The primary end point was the change in best-corrected visual acuity (BCVA; ETDRS letter "
     "score) at week 44.",
     ["change in best-corrected visual acuity (BCVA; ETDRS letter score) at week 44"], NOTHING),
    ("The primary endpoint was the 2-year bladder-intact event-free survival rate.",
     ["2-year bladder-intact event-free survival rate"], NOTHING),
    ("Total number of requested clinically indicated and non-clinically indicated tests were "
     "the primary outcomes.",  # 'and' joins two modifiers of one outcome
     ["total number of requested clinically indicated and non-clinically indicated tests"],
     NOTHING),
])
def test_outcomes(sentence, primary, secondary):
    found = read(sentence)
    for field, expected in (("primary_outcomes", primary), ("secondary_outcomes", secondary)):
        if expected is NOTHING:
            assert field not in found, found.get(field)
        else:
            assert found[field].value == expected


def test_a_main_outcome_measures_section_lists_the_primary_outcomes():
    found = read_sections(
        ("MAIN OUTCOME MEASURES", "Time to sitting out of bed and walking; rates of "
                                  "complications and readmissions; and length of hospital "
                                  "stay."))
    assert found["primary_outcomes"].value == [
        "time to sitting out of bed and walking", "rates of complications and readmissions",
        "length of hospital stay"]
    found = read_sections(("MAIN OUTCOME MEASURES", "Three-, 6-, and 12-month rates of "
                                                    "adherence to screening mammography."))
    assert found["primary_outcomes"].value == [
        "three-, 6-, and 12-month rates of adherence to screening mammography"]


def test_split_outcomes_keeps_a_singular_outcome_whole():
    assert split_outcomes("safety and adverse events", plural=False) == [
        "safety and adverse events"]
    assert split_outcomes("incidence or progression of diabetic retinopathy and neuropathy",
                          plural=True) == ["incidence or progression of diabetic retinopathy",
                                           "neuropathy"]


# --- sections -------------------------------------------------------------------------------

@pytest.mark.parametrize("label,role", [
    ("BACKGROUND", "background"), ("Introduction", "background"), ("CONTEXT", "background"),
    ("METHODS", "methods"), ("DESIGN, SETTING, AND PARTICIPANTS", "methods"),
    ("MAIN OUTCOMES AND MEASURES", "outcomes"), ("Main outcome measures", "outcomes"),
    ("RESULTS", "results"), ("Findings", "results"), ("MEASUREMENTS AND MAIN RESULTS", "results"),
    ("CONCLUSIONS", "conclusions"), ("Interpretation", "conclusions"),
    ("CONCLUSIONS AND RELEVANCE", "conclusions"), ("Funding", "funding"),
    ("TRIAL REGISTRATION", "registration"), (None, None),
])
def test_section_roles(label, role):
    assert section_role(label) == role


def test_background_sentences_are_about_other_trials():
    found = read_sections(
        ("BACKGROUND", "In a previous trial, 300 patients were randomized and followed for "
                       "5 years. Randomised controlled trials have shown benefit."),
        ("METHODS", "We randomly assigned 120 patients to drug or placebo."))
    assert found["enrollment"].value == 120
    assert "follow_up" not in found
    assert found["design"].value == ["controlled", "randomised"]
    assert found["design"].quote == "We randomly assigned 120 patients to drug or placebo."


def test_a_background_sentence_about_this_trial_gives_its_design():
    found = read_sections(("BACKGROUND", "We undertook a randomised controlled study to assess "
                                         "the benefit of a structured assessment."))
    assert found["design"].value == ["controlled", "randomised"]


def test_a_funding_section_names_funders():
    found = read_sections(("Funding", "Wellcome Trust and Medical Research Council."))
    assert found["funding"].value == ["Wellcome Trust", "Medical Research Council"]


# --- funding --------------------------------------------------------------------------------

@pytest.mark.parametrize("sentence,funders", [
    ("(Funded by GlaxoSmithKline; SYGMA 1 ClinicalTrials.gov number, NCT02149199.)",
     ["GlaxoSmithKline"]),
    ("(Funded by BioNTech and Pfizer; ClinicalTrials.gov number, NCT04368728.).",
     ["BioNTech", "Pfizer"]),
    ("Funded by National Health and Medical Research Council [Australia] and others.",
     ["National Health and Medical Research Council [Australia]"]),
    ("This study was supported by a grant from the National Cancer Institute.",
     ["National Cancer Institute"]),
    ("The hypothesis was supported by the data.", NOTHING),
])
def test_funding_statements(sentence, funders):
    found = read(sentence)
    if funders is NOTHING:
        assert "funding" not in found
    else:
        assert found["funding"].value == funders


def test_registry_ids_in_the_funding_parenthesis_are_identifiers():
    found = read("(Funded by GlaxoSmithKline; SYGMA 1 ClinicalTrials.gov number, NCT02149199.)")
    assert found["identifiers"].value == ["NCT02149199"]


def test_split_funders_keeps_names_with_and_whole():
    assert split_funders("the Bill and Melinda Gates Foundation") == [
        "Bill and Melinda Gates Foundation"]
    assert split_funders("Pfizer and the National Cancer Institute") == [
        "Pfizer", "National Cancer Institute"]


# --- design ---------------------------------------------------------------------------------

@pytest.mark.parametrize("sentence,tags", [
    ("Confirmation of these findings will require a randomized trial.", NOTHING),
    ("Larger, double-blind trials are needed.", NOTHING),
    ("In contrast to previous randomised trials, we found no benefit.", NOTHING),
    ("Evidence from randomized controlled trials is lacking.", NOTHING),
    ("Asthma was not adequately controlled in these patients.", NOTHING),
    ("How much of the response is a placebo effect remains unclear.", NOTHING),
    ("We report a phase I/II, open-label, single-arm trial with no control group.",
     ["open-label", "single-arm"]),
    ("CAPPP was a prospective, randomised, open trial with blinded endpoint evaluation.",
     ["controlled", "open-label", "randomised"]),
    ("In this open, parallel trial patients were allocated standard or intensive treatment.",
     ["open-label"]),
    ("This randomised, controlled, single-masked, community-based trial took place in Uganda.",
     ["blinded", "controlled", "randomised"]),
    ("Untreated patients from another center were included as negative controls.",
     ["controlled"]),
    ("We compared laparoscopic and open appendicectomy.", NOTHING),
    ("These preliminary results support further evaluation of intranasal cooling in a "
     "randomised, sham-controlled trial.", NOTHING),
    ("However, randomized multi institutional studies are necessary.", NOTHING),
    ("Though this is not a controlled study, our experience indicates benefit.", NOTHING),
    ("Participants were randomised to high or low intensity stimulation, followed by an open "
     "label phase in which stimulation could be adjusted.", ["controlled", "randomised"]),
    ("This phase 3, multicenter, randomized, open-label trial was conducted at 87 sites.",
     ["controlled", "open-label", "randomised"]),
    ("92 patients selected randomly from 672 patients were assigned to fenofibrate.", NOTHING),
])
def test_design_words_about_this_trial(sentence, tags):
    found = read(sentence)
    if tags is NOTHING:
        assert "design" not in found, found.get("design")
    else:
        assert found["design"].value == tags


def test_the_title_gives_design_tags():
    found = read_sections((None, "Patients were followed for 12 months."),
                          title="Intermittent sulphadoxine-pyrimethamine in pregnancy: a "
                                "randomised placebo-controlled trial")
    assert found["design"].value == ["controlled", "randomised"]
    assert found["design"].locator == "title"


def test_a_control_group_outweighs_single_arm():
    found = read("Patients were included in a single arm protocol. Untreated patients from "
                 "another center were included as negative controls.")
    assert found["design"].value == ["controlled"]


# --- is the record a trial report? ----------------------------------------------------------

@pytest.mark.parametrize("title,text,types,trial", [
    ("Statins and adverse events: systematic review and meta-analysis", "", [], False),
    ("Knee Osteoarthritis.", "Knee osteoarthritis typically presents with pain.",
     ["Journal Article", "Review"], False),
    ("Prevention of recurrent ischemic events", "Follow-up of a retrospective cohort of "
     "patients.", ["Clinical Trial", "Journal Article"], False),
    ("Excessive Daytime Sleepiness", "We used the CAATCH data. CAATCH is a group randomized "
     "clinical trial.", [], False),
    ("Teleconsultation continuance: Survey Study", "Data was collected.", [], False),
    ("Garlic and brown adipose tissue", "Rats were fed diets with or without garlic.", [],
     False),
    ("Formate assay in body fluids", "", ["Journal Article"], False),
    ("Cephalexin dosage assessed by double-blind trial.", "", ["Clinical Trial"], True),
    ("A phase II study of oral clofazimine", "Thirty patients received clofazimine.",
     ["Clinical Trial, Phase II"], True),
    ("Aerobic and strength training in COPD", "Forty-five patients were randomized. Thigh "
     "muscle cross-sectional area was measured.", ["Randomized Controlled Trial"], True),
    ("CT-guided marking of pulmonary nodules - review of 184 cases", "In 184 patients a wire "
     "was placed.", ["Randomized Controlled Trial"], False),
    ("Cyt c and contrast-induced nephropathy", "We prospectively examined cyt c levels in 240 "
     "patients. The study was registered in the Chinese Clinical Trial Registry.", [], False),
    ("Gene pair signatures in Kawasaki disease", "Our study pool consisted of 808 patients "
     "assigned to a discovery set and a validation set.", [], False),
    ("PHGDH in renal cell carcinoma", "PT2385 is being evaluated in a phase I clinical trial. "
     "We used cell lines and xenografts in mice.", [], False),
    ("Childhood nasopharyngeal carcinoma", "Between 1970 and 1983, 22 patients were treated at "
     "our hospital.", [], False),
    ("Fenofibrate in hypertriglyceridemia", "92 patients selected randomly were assigned to a "
     "24-week fenofibrate treatment.", [], True),
])
def test_reports_a_trial(title, text, types, trial):
    parts = [Part(text, "abstract")] if text else []
    assert reports_a_trial(title, parts, types) is trial


# --- claims ---------------------------------------------------------------------------------

@pytest.mark.parametrize("sentence,words", [
    ("This therapy is a proven cure for Parkinson's disease.", ["proven", "cure"]),
    ("It demonstrated efficacy in patients.", ["demonstrated efficacy"]),
    ("画期的な治療法であり、根治が期待される。", ["根治", "画期的"]),
])
def test_claim_language_is_read_only_when_asked(sentence, words):
    assert set(read(sentence, claim_language=True)["claim_language"].value) == set(words)
    assert "claim_language" not in read(sentence)


@pytest.mark.parametrize("sentence", [
    "The benefit of this therapy is not proven.",  # negation
    "Safety and efficacy has not been established in these patients.",
    "The therapy may cure some patients.",  # a hedge
    "The drug may improve motor function.",
    "Future trials will determine whether it restores motor function.",
])
def test_negated_or_hedged_claims_do_not_count(sentence):
    assert "claim_language" not in read(sentence, claim_language=True)


def test_a_sentence_without_facts_gives_nothing():
    assert read("Parkinson's disease is a neurodegenerative disorder.") == {}


def test_the_first_sentence_that_states_a_field_wins():
    found = read("Seven patients received cells. Later, 12 patients were screened.")
    assert found["enrollment"].value == 7
    assert found["enrollment"].locator == "abstract, sentence 1"


def test_a_serious_event_count_in_japanese_is_not_an_adverse_event_count():
    found = read("重篤な有害事象が１件報告された。")
    assert found["serious_adverse_events"].value == 1
    assert "adverse_events" not in found


@pytest.mark.parametrize("sentence,field", [
    ("Both groups had one serious adverse event, respectively.", "serious_adverse_events"),
    ("No treatment-related serious adverse events occurred.", "serious_adverse_events"),
    ("There were no grade four/five adverse events.", "adverse_events"),
])
def test_event_counts_that_are_not_totals(sentence, field):
    assert field not in read(sentence)


@pytest.mark.parametrize("sentence,field,value", [
    ("SOC treatment together with ivermectin did not result in any serious adverse events.",
     "serious_adverse_events", 0),
    ("There were no occurrence of side-effects from (R)-ketamine.", "adverse_events", 0),
    ("A total of 42 adverse events were reported by 29 patients.", "adverse_events", 42),
])
def test_event_counts(sentence, field, value):
    assert read(sentence)[field].value == value


def test_design_phase_and_ids_are_gathered_over_the_whole_text():
    found = read("This was an open-label, single-arm phase I/II trial. "
                 "It was registered as jRCT2090220384 and UMIN000033564.")
    assert found["design"].value == ["open-label", "single-arm"]
    assert found["phase"].value == ["1", "2"]
    assert found["identifiers"].value == ["jRCT2090220384", "UMIN000033564"]


@pytest.mark.parametrize("sentence", [
    "Previous phase 2 trials showed a benefit.",
    "Data supporting it are limited to phase II single-institution studies.",
])
def test_the_phase_of_other_trials_is_not_this_trials(sentence):
    assert "phase" not in read(sentence)


def test_company_abbreviations_do_not_end_a_sentence():
    assert sentences('Sumitomo Pharma Co., Ltd. ("Sumitomo Pharma") announced it. It works.') == [
        'Sumitomo Pharma Co., Ltd. ("Sumitomo Pharma") announced it.', "It works."]
    assert sentences("Thirty-four males from the U.S. Navy were randomized. Prof. Brouqui "
                     "agreed.") == ["Thirty-four males from the U.S. Navy were randomized.",
                                    "Prof. Brouqui agreed."]


def test_japanese_sentences_split_at_the_full_stop():
    assert sentences("七例に移植した。重篤な有害事象はなかった。") == [
        "七例に移植した。", "重篤な有害事象はなかった。"]


def test_an_analysis_set_after_the_randomised_count_is_not_an_arm():
    """SYGMA 1 (NEJM 2018, PMID 29768149, shared/reference-formats): 3849 were randomised;
    the 3836 'included in the full analysis' are not a second arm to add."""
    readings = read_prose(
        "A total of 3849 patients underwent randomization, and 3836 (1277 in the terbutaline "
        "group, 1277 in the budesonide-formoterol group, and 1282 in the budesonide "
        "maintenance group) were included in the full analysis and safety data sets.", "x")
    [enrollment] = [r for r in readings if r.field == "enrollment"]
    assert (enrollment.value, enrollment.qualifier) == (3849, "randomised")


@pytest.mark.parametrize("sentence,tags", [
    ("The design was that of an open parallel-arm randomised controlled trial.",
     {"controlled", "open-label", "randomised"}),
    ("It is proposed a randomized, blinded, controlled trial comparing vestibular "
     "rehabilitation (VR) to Tai Chi (TC).", {"blinded", "controlled", "randomised"}),
    ("A Phase 3 Non-randomized, Non-controlled, Open Label Clinical Study to Evaluate the "
     "Efficacy and Safety of MK-7962 (Sotatercept)",
     {"non-randomised", "open-label", "single-arm"}),
])
def test_design_words_a_registry_title_or_description_states(sentence, tags):
    assert design_words(sentence) == tags


def test_a_registry_follow_up_is_read_from_its_descriptions_not_its_study_length():
    found = registry_follow_up([
        ("A Phase 2, Randomized, Double-Blind, Placebo-Controlled, 52 Week Study", "title"),
        ("Design: Bi-centre, randomized, double-blind, placebo-controlled retention trial with "
         "a maximum follow-up of one year.", "briefSummary")])
    assert found is not None
    assert (found.value, found.qualifier, found.locator) == (12.0, "up to", "briefSummary")
    assert registry_follow_up([("This is a 68-week study.", "briefSummary")]) is None
