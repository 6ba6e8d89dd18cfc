"""The README's CLI reference is generated from --help; this fails when it drifts."""

from pathlib import Path

from support import clidoc

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_cli_reference_is_current():
    assert clidoc.main(["--check", str(README)]) == 0, \
        "run: python tests/support/clidoc.py --write README.md"


def test_readme_documents_every_field():
    from auditor.models import FIELDS

    text = README.read_text()
    missing = [f for f in FIELDS if f"`{f}`" not in text]
    assert not missing, missing
