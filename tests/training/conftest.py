"""Shared fixtures: a mutable copy of the bundled gpt3 fixture, and the real v4.1 data when present."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "data" / "v4.1"
REPO = HERE.parent.parent
DATA = Path(os.environ.get("SUBCHECK_DATA", str(REPO.parent / "shared" / "data")))
REAL_V41 = DATA / "training-v4.1"
OFFICIAL_CSV = DATA / "training-v4.1.official-summary.csv"


def _writable_copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    for p in dst.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    return dst


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A fresh, writable copy of the fixture tree (Google/ gpt3, 3 runs)."""
    return _writable_copy(FIXTURE, tmp_path / "tree")


@pytest.fixture(scope="session")
def real_v41() -> Path:
    """The full published v4.1 sample; skipped when absent, except under CI=true where that is a failure."""
    if not REAL_V41.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"real data missing at {REAL_V41} (set SUBCHECK_DATA)")
        pytest.skip(f"real data not found at {REAL_V41}")
    return REAL_V41


@pytest.fixture
def real_copy(real_v41: Path, tmp_path: Path):
    """Copy one submitter/system/benchmark folder of the real data (with its system JSON) into tmp_path."""

    def make(submitter: str, system: str, benchmark: str) -> Path:
        root = tmp_path / "real"
        sub = root / submitter
        (sub / "systems").mkdir(parents=True)
        shutil.copy(real_v41 / submitter / "systems" / f"{system}.json", sub / "systems")
        _writable_copy(real_v41 / submitter / "results" / system / benchmark, sub / "results" / system / benchmark)
        return root

    return make
