"""The demo submissions made by real LoadGen: the valid one is clean, each violation yields exactly its code."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from checker.discovery import discover
from checker.engine import run_checks
from checker.registry import load_all
from checker.rounds import Round

REPO = Path(__file__).resolve().parent.parent
MANIFEST = yaml.safe_load((REPO / "fixtures" / "manifest.yaml").read_text())["fixtures"]
DEMO = str(REPO / "rules" / "demo" / "demo.yaml")


@pytest.mark.parametrize("fixture", MANIFEST, ids=[f["name"] for f in MANIFEST])
def test_fixture_yields_exactly_its_codes(fixture: dict) -> None:
    load_all()
    rules = Round.load("inference", "demo", DEMO)
    report = run_checks(discover(REPO / "fixtures" / fixture["path"], rules["layout"]), rules, rules_path=DEMO)
    errors = sorted({f.code for f in report.findings if f.fails})
    assert errors == sorted(fixture["expected_codes"]), [f.message for f in report.findings if f.fails]
    assert report.exit_code == (1 if fixture["expected_codes"] else 0)


def test_demo_rules_are_only_yaml() -> None:
    """A new benchmark needs only YAML: nothing in checker/ names the demo benchmark."""
    for source in (REPO / "checker").rglob("*.py"):
        text = source.read_text()
        assert '"digits"' not in text and "'digits'" not in text, source
