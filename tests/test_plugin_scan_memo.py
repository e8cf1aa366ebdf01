"""An entry-point scan that found no plugin is remembered only for exactly the distributions it scanned.

``ci`` skips the scan (and importing ``importlib.metadata``) when the installed distributions are those of an
earlier scan that found nothing. Installing a plugin, or a write to any distribution's ``entry_points.txt``,
must bring the scan back; a damaged memo is no memo. Each case runs in a fresh process: discovery happens once
per process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_plugins import GOOD, install

REPO = Path(__file__).resolve().parent.parent
SCRIPT = (
    "import json, sys\n"
    "from checker.plugins import discovery\n"
    "found = discovery.load_plugins(remember=True)\n"
    "print(json.dumps([sorted(i.name for i in found), 'importlib.metadata' in sys.modules]))\n"
)


def scan(site: Path, cache: Path) -> tuple[list[str], bool]:
    """(the plugins found, whether the scan ran) in a fresh process with only ``site`` and the checkout on the path
    (``-S``: the plugins installed beside the test run, such as ``make test``'s subcheck-dice, stay out of it)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(REPO)]), "SUBCHECK_CACHE_DIR": str(cache)}
    done = subprocess.run([sys.executable, "-S", "-c", SCRIPT], capture_output=True, text=True, env=env, cwd=site,
                          timeout=120, check=True)  # fmt: skip
    names, scanned = json.loads(done.stdout)
    return names, scanned


@pytest.fixture
def site(tmp_path: Path) -> Path:
    folder = tmp_path / "site"
    folder.mkdir()
    install(folder, "plain-tool", {}, {"console_scripts": {"plain": "plain_mod:main"}})  # a distribution, no plugin
    return folder


def test_an_empty_scan_is_remembered_until_a_plugin_is_installed(site: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert scan(site, cache) == ([], True)
    assert scan(site, cache) == ([], False)  # remembered: no scan, no importlib.metadata
    install(site, "good-plugin", {"good_mod": GOOD}, {"subcheck.metrics": {"count": "good_mod:count"}})
    assert scan(site, cache) == (["count"], True)
    assert scan(site, cache) == (["count"], True)  # a scan that found a plugin is never remembered


def test_a_plugin_written_into_an_existing_distribution_is_found(site: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert scan(site, cache) == ([], True)
    points = site / "plain-tool-0.1.dist-info" / "entry_points.txt"
    before = points.stat()
    (site / "good_mod.py").write_text(GOOD)
    points.write_text(
        points.read_text().replace(
            "[console_scripts]", "[subcheck.metrics]\ncount = good_mod:count\n\n[console_scripts]"
        )
    )
    os.utime(points, ns=(before.st_atime_ns, before.st_mtime_ns))  # the same modification time: ctime still moves
    assert scan(site, cache) == (["count"], True)


def test_a_damaged_memo_is_no_memo(site: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert scan(site, cache) == ([], True)
    (entry,) = (cache / "no-plugins").iterdir()
    for damaged in (b"", b"garbage", entry.read_bytes()[:-1], entry.read_bytes().replace(b"\n", b"0\n", 1)):
        entry.write_bytes(damaged)
        assert scan(site, cache) == ([], True)
