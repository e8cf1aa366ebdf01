"""Shared fixtures: the real MLPerf data (read-only) and temp copies of it to mutate."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# The cache of checked submitters (checker.cache) is exercised by the tests, never in the user's own cache.
os.environ.setdefault("SUBCHECK_CACHE_DIR", tempfile.mkdtemp(prefix="subcheck-test-cache-"))


def data_root() -> Path:
    return Path(os.environ.get("SUBCHECK_DATA", REPO.parent / "shared" / "data")).resolve()


def require_data(*parts: str) -> Path:
    """Path under the shared data; skip when absent, but fail under CI=true where it must exist."""
    path = data_root().joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"required test data missing under CI: {path}")
        pytest.skip(f"test data not available: {path}")
    return path


@pytest.fixture(scope="session")
def v41() -> Path:
    return require_data("inference-v4.1")


def copy_submitter(tmp_path: Path, division: str, submitter: str) -> Path:
    """Copy one submitter folder of the v4.1 sample into ``tmp_path/<division>/<submitter>``; returns the root."""
    source = require_data("inference-v4.1", division, submitter)
    root = tmp_path / "tree"
    shutil.copytree(source, root / division / submitter)
    for path in root.rglob("*"):  # the shared data is read-only; copies must be writable
        path.chmod(0o755 if path.is_dir() else 0o644)
    return root


@pytest.fixture
def ctt_tree(tmp_path: Path) -> Path:
    """A small real closed edge submission (ConnectTechInc: gptj-99 SingleStream + Offline), writable."""
    return copy_submitter(tmp_path, "closed", "ConnectTechInc")


DEMO_RULES = str(REPO / "rules" / "demo" / "demo.yaml")
DEMO_OFFLINE = "closed/SubcheckDemo/results/demo_cpu_numpy/digits/Offline"


@pytest.fixture
def demo_tree(tmp_path: Path) -> Path:
    """A writable copy of the bundled demo submission made by real LoadGen (``fixtures/valid``)."""
    root = tmp_path / "tree"
    shutil.copytree(REPO / "fixtures" / "valid", root)
    return root


def check_demo_json(root: Path, *extra: str) -> tuple[int, dict]:
    """``subcheck check ROOT --rules demo.yaml --format json`` in process: (exit code, report)."""
    import json

    from click.testing import CliRunner

    from checker.cli import main

    argv = ["check", str(root), "--rules", DEMO_RULES, "-j", "1", "--format", "json", *extra]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


@pytest.fixture(scope="module")
def sample_1_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """MLCommons' ``directory_structure_samples/sample_1`` written out of the mirror, once per test module."""
    from checker.differential.mirror import sample_1

    tree = sample_1(tmp_path_factory.mktemp("official") / "sample_1")
    if tree is None:
        pytest.skip("the mlcommons/inference mirror is not on this machine (INFERENCE_GITDIR)")
    return tree


def damaged(data: bytes, edits: list[tuple[float, bytes, int]], crlf: bool = False) -> bytes:
    """Real log bytes damaged for the fuzz tests: CR LF line ends, then each (where, piece, cut) edit in turn."""
    if crlf:
        data = data.replace(b"\n", b"\r\n")
    for where, piece, cut in edits:
        at = int(where * len(data))
        data = data[:at] + piece + data[at + cut :]
    return data
