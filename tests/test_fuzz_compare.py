"""Fuzzing `auditor compare` end to end, bounded in time: one to three snapshot files, each a
bundled or real record mutated as in test_fuzz_parsers (wrong types, deep nesting, bytes cut,
flipped or repeated), given as PATH or KIND:PATH. The outcome is a comparison (exit 0 or 1) or
exit 2 with one line naming what to fix: never a traceback, never exit 3."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fuzz_parsers import JSON_VALUES, mutate_bytes, mutate_json, seed

from auditor.cli import cli

#: Kinds whose seeds are quick to read: a compare parses every file it is given.
KINDS = ["crossref", "europepmc", "pubmed", "ctgov", "jrct", "mhlw", "mhlw_excel", "mhlw_pdf",
         "pmda", "page"]
SUFFIX = {"mhlw_excel": ".xlsx", "mhlw_pdf": ".pdf", "crossref": ".json", "europepmc": ".json",
          "ctgov": ".json", "pubmed": ".xml"}
_seeds: dict[str, tuple[bytes, str | None]] = {}


def _seed(kind: str) -> bytes:
    if kind not in _seeds:
        _seeds[kind] = seed(kind)
    return _seeds[kind][0]


def test_compare_of_mutated_snapshots_is_a_result_or_one_line_exit_2(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # where a trace would go
    outcomes: dict[int, int] = {}

    @settings(max_examples=150, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(picks=st.lists(st.sampled_from(KINDS), min_size=1, max_size=3),
           rng_seed=st.integers(0, 2**32), new=JSON_VALUES, named=st.booleans(),
           junk=st.binary(max_size=32) | st.sampled_from([b"<", b"\x00", b'"', b"\xff\xfe"]))
    def run(picks: list[str], rng_seed: int, new: Any, named: bool, junk: bytes) -> None:
        rng = random.Random(rng_seed)
        args = []
        for n, kind in enumerate(picks):
            body = _seed(kind)
            if rng.random() < 0.8:
                json_like = body.lstrip()[:1] in (b"{", b"[")
                body = (mutate_json(body, rng, new, rng.choice([0, 3000]))
                        if json_like and rng.random() < 0.6 else mutate_bytes(body, rng, junk,
                                                                              kind))
            path = Path(tmp_path / f"f{rng_seed}-{n}{SUFFIX.get(kind, '.html')}")
            path.write_bytes(body)
            args.append(f"{kind}:{path}" if named else str(path))
        result = CliRunner().invoke(cli, ["compare", *args, "--config",
                                          str(tmp_path / "none.toml")])
        outcomes[result.exit_code] = outcomes.get(result.exit_code, 0) + 1
        assert result.exit_code in (0, 1, 2), (args, result.output, result.exception)
        assert "Traceback" not in result.output
        if result.exit_code == 2:
            line = result.stderr.strip()
            assert line.startswith("error: ") and "\n" not in line, line

    run()
    print(f"compare outcomes by exit code: {outcomes}")
    assert outcomes.get(2) and (outcomes.get(0, 0) + outcomes.get(1, 0)), outcomes
