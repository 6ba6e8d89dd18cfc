"""Value parsers: numbers, dates, money, vocabularies, ids."""

from __future__ import annotations

import pytest

from auditor.read import values

# --- regulatory vocabulary (appended with the mhlw/pmda/page sources) ------------------------


@pytest.mark.parametrize("text, tags", [
    ("条件及び期限付承認", ["conditional", "time-limited"]),
    ("条件・期限付き承認", ["conditional", "time-limited"]),
    ("conditional and time-limited approval", ["conditional", "time-limited"]),
    ("Approved (conditional, time-limited)", ["conditional", "time-limited"]),
    ("conditional approval", ["conditional"]),
    ("承認条件：製造販売後に臨床試験を実施すること", ["post-marketing obligations"]),
    ("a post-marketing clinical study will be conducted in Japan",
     ["post-marketing obligations"]),
    ("full approval", ["full"]),
    ("Phase 1/2", []),
    ("承認", []),
])
def test_approval_tags(text, tags):
    assert values.approval_tags(text) == tags


@pytest.mark.parametrize("text, pack", [
    ("18バイアル1組", "18 vials"),
    ("１８バイアル１組", "18 vials"),
    ("18-vial set", "18 vials"),
    ("1 vial", "1 vial"),
    ("1袋", "1 bag"),
    ("10 mL", None),
])
def test_parse_pack(text, pack):
    assert values.parse_pack(text) == pack


# --- registry dates, phases and design words (jRCT, WHO ICTRP) ---------------------------


@pytest.mark.parametrize("text, iso", [
    ("23/03/2017", "2017-03-23"),  # ICTRP writes the day first
    ("05/04/2017", "2017-04-05"),
    ("5/4/2017", "2017-04-05"),
    ("05/04/2017 20:14:44", "2017-04-05"),
    ("03/23/2017", None),  # impossible day first: unknown, never read month first
    ("20260920", "2026-09-20"),
    ("2026-09-20", "2026-09-20"),
    ("21 September 2026", "2026-09-21"),
    ("令和元年５月１０日", "2019-05-10"),
    ("not a date", None),
])
def test_parse_day_first_date(text, iso):
    assert values.parse_day_first_date(text) == iso


def test_parse_date_still_refuses_day_first_dates():
    assert values.parse_date("23/03/2017") is None


@pytest.mark.parametrize("text, phase", [
    ("該当せず", []),
    ("該当なし", []),
    ("1-2", None),  # bare numbers need the 'phase' context the caller has
    ("Phase 1-2", ["1", "2"]),
])
def test_parse_phase_registry_values(text, phase):
    assert values.parse_phase(text) == phase


@pytest.mark.parametrize("text, tags", [
    ("単一群", ["single-arm"]),
    ("非対照", ["single-arm"]),
    ("単一群 / 非盲検 / 非対照", ["open-label", "single-arm"]),
    ("single arm study, open(masking not used), uncontrolled control",
     ["open-label", "single-arm"]),
    ("single assignment", ["single-arm"]),
    ("active control", ["controlled"]),
    ("実薬（治療）対照", ["controlled"]),
    ("プラセボ対照", ["controlled"]),
    ("ランダム化比較 / 二重盲検 / プラセボ対照", ["blinded", "controlled", "randomised"]),
])
def test_design_tags_registry_vocabulary(text, tags):
    assert values.design_tags(text) == tags


# --- literature dates (appended with the pubmed/europepmc/crossref sources) -----------------


@pytest.mark.parametrize("text, iso", [
    ("2025 Apr 16", "2025-04-16"),  # PubMed MedlineDate / Europe PMC dateOfPublication
    ("2025 May", "2025-05"),
    ("April 2025", "2025-04"),
    ("16 April 2025", "2025-04-16"),
])
def test_parse_date_year_first_month_names(text, iso):
    assert values.parse_date(text) == iso


@pytest.mark.parametrize("parts, iso", [
    ([[2025, 4, 16]], "2025-04-16"),  # Crossref's date-parts, as the API gives them
    ([2025, 4], "2025-04"),
    ([[2025]], "2025"),
    ([["2025", "4"]], "2025-04"),
    ([[None]], None),  # Crossref's "date unknown"
    ([], None),
])
def test_date_parts_to_iso(parts, iso):
    assert values.date_parts_to_iso(parts) == iso


# --- identifiers (appended with the umin/ctgov_xml sources) ---------------------------------


@pytest.mark.parametrize("text, ids", [
    ("ClinicalTrials.gov NCT02149199", ["NCT02149199"]),
    ("NCT 02149199", ["NCT02149199"]),
    ("NCT00000000", []),  # a form's placeholder, not a trial
    ("NCT0214919", []),  # seven digits
    ("jRCT2090220384", ["jRCT2090220384"]),
    ("jRCT1031180001", ["jRCT1031180001"]),
    ("jRCTs052180012", ["jRCTs052180012"]),  # specified clinical research: letter + 9 digits
    ("jRCTs051180190", ["jRCTs051180190"]),
    ("jRCTb030190001", ["jRCTb030190001"]),
    ("jRCTs0000000000", []),
    ("UMIN000033564", ["UMIN000033564"]),
    ("UMIN 000033564", ["UMIN000033564"]),
    ("JPRN-UMIN000099999", ["UMIN000099999"]),
    ("UMIN000000000", []),
    ("JMA-IIA00384", ["JMA-IIA00384"]),
    ("JapicCTI-173552", ["JapicCTI-173552"]),
    ("ISRCTN12345678", ["ISRCTN12345678"]),
    ("ISRCTN 12345678", ["ISRCTN12345678"]),
    ("EudraCT 2010-012345-12", ["EUCTR2010-012345-12"]),
    ("EUCTR2010-012345-12", ["EUCTR2010-012345-12"]),
    ("EUCTR2010-012345-12-GB", ["EUCTR2010-012345-12-GB"]),  # country suffix kept
    ("2010-012345-12-GB", ["EUCTR2010-012345-12-GB"]),
    ("2023-501234-12-00", ["CTIS2023-501234-12-00"]),  # EU CTIS: its own prefix
    ("CTIS2023-501234-12-00", ["CTIS2023-501234-12-00"]),
    ("EudraCT 2022-002898-28; EU CT 2023-503200-91-00",
     ["CTIS2023-503200-91-00", "EUCTR2022-002898-28"]),
    ("ChiCTR2000029308", ["ChiCTR2000029308"]),
    ("ChiCTR-IOR-17013012", ["ChiCTR-IOR-17013012"]),
    ("ACTRN12615000123456", ["ACTRN12615000123456"]),
    ("DRKS00012345", ["DRKS00012345"]),
    ("CTRI/2020/05/025013", ["CTRI/2020/05/025013"]),
    ("NTR1234", ["NTR1234"]),
    ("KCT0001234", ["KCT0001234"]),
    ("CTR20131276", ["CTR20131276"]),  # China drug trial registry
    ("ChiCTR-IOR-17013012 is not CTR17013012", ["ChiCTR-IOR-17013012"]),
    ("tel. 0463-93-1121, protocol 2004-P-001727", []),  # neither is a registry id
    ("DOI:10.1056/NEJMoa1715274.", ["DOI:10.1056/nejmoa1715274"]),
])
def test_find_ids(text, ids):
    assert values.find_ids(text) == ids


@pytest.mark.parametrize("ident, canonical", [
    ("nct02149199", "NCT02149199"),  # Crossref deposits lower case
    ("UMIN 000033564", "UMIN000033564"),
    ("JRCTS051180190", "jRCTs051180190"),
    ("2010-012345-12", "EUCTR2010-012345-12"),
    ("2010-012345-12-gb", "EUCTR2010-012345-12-GB"),
    ("2023-501234-12-00", "CTIS2023-501234-12-00"),
    ("isrctn 12345678", "ISRCTN12345678"),
    ("NCT00000000", "NCT00000000"),  # not an id: left as written
    ("PMID: 29768149", "PMID:29768149"),
    ("https://doi.org/10.1056/NEJMoa1715274", "DOI:10.1056/nejmoa1715274"),
    ("B3D-EW-GHDH", "B3D-EW-GHDH"),
])
def test_normalize_id(ident, canonical):
    assert values.normalize_id(ident) == canonical
