"""The whole-tree fast path of ``subcheck check`` (checker.recheck): an unchanged tree gets the very report a full
check gives, and any change anywhere, a link leaving the tree, or a damaged entry means a real check again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import checker.engine
import checker.recheck
from checker.commandline import BUILT_IN_FORMATS
from checker.reporters import load_reporters

from .conftest import DEMO_OFFLINE, DEMO_RULES, REPO, check_demo_json

LOG = DEMO_OFFLINE + "/performance/run_1/mlperf_log_detail.txt"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("SUBCHECK_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo tree was copied a moment ago; trust its times at once (the coarse-clock margin is tested apart)."""
    monkeypatch.setattr(checker.recheck, "SETTLE_NS", 0)


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each real check records its root here; a run served whole from the cache records nothing."""
    calls: list[str] = []
    real = checker.engine.run_checks

    def counted(tree, *args, **kw):  # type: ignore[no-untyped-def]
        calls.append(str(tree.root))
        return real(tree, *args, **kw)

    monkeypatch.setattr(checker.engine, "run_checks", counted)
    return calls


def _entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("recheck-v*/*/*.bin"))


def test_an_unchanged_tree_is_served_with_the_report_a_full_check_gives(
    demo_tree: Path, cache: Path, settled: None, checks: list[str]
) -> None:
    fresh = check_demo_json(demo_tree, "--no-cache")
    assert check_demo_json(demo_tree) == fresh and len(checks) == 2 and len(_entries(cache)) == 1
    assert check_demo_json(demo_tree) == fresh and len(checks) == 2  # served: no check ran
    check_demo_json(demo_tree, "--select", "PE")
    assert len(checks) == 3  # other options: their own entry


@pytest.mark.parametrize("change", ["touch", "edit", "add", "remove", "rename", "add-folder", "chmod"])
def test_any_change_anywhere_is_checked_again(
    demo_tree: Path, cache: Path, settled: None, checks: list[str], change: str
) -> None:
    first = check_demo_json(demo_tree)
    assert check_demo_json(demo_tree) == first and len(checks) == 1
    log = demo_tree / LOG
    deep = demo_tree / "closed" / "SubcheckDemo" / "systems"
    if change == "touch":
        os.utime(log)
    elif change == "edit":  # one byte in the middle, same size, old modification time put back
        data, info = log.read_bytes(), log.stat()
        at = data.index(b'"result_validity", "value": "VALID"') + len(b'"result_validity", "value": "')
        log.write_bytes(data[:at] + b"X" + data[at + 1 :])
        os.utime(log, ns=(info.st_atime_ns, info.st_mtime_ns))
    elif change == "add":
        (deep / "notes.txt").write_text("a new file\n")
    elif change == "remove":
        (demo_tree / DEMO_OFFLINE / "performance" / "run_1" / "mlperf_log_summary.txt").unlink()
    elif change == "rename":
        log.rename(log.with_name("mlperf_log_detail.old"))
    elif change == "add-folder":
        (deep / "empty").mkdir()
    elif change == "chmod":
        log.chmod(0o600)
    after = check_demo_json(demo_tree)
    assert len(checks) == 2  # a real check ran
    assert after == check_demo_json(demo_tree, "--no-cache")
    if change in ("edit", "remove", "rename"):
        assert after[0] == 1 and after != first


def test_a_link_out_of_the_tree_disables_the_fast_path(
    demo_tree: Path, cache: Path, settled: None, checks: list[str], tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (demo_tree / "closed" / "SubcheckDemo" / "documentation" / "linked").symlink_to(outside)
    check_demo_json(demo_tree)
    check_demo_json(demo_tree)
    assert len(checks) == 2 and _entries(cache) == []
    (demo_tree / "closed" / "SubcheckDemo" / "documentation" / "linked").unlink()
    (demo_tree / "closed" / "SubcheckDemo" / "documentation" / "inside").symlink_to(demo_tree / "closed")
    check_demo_json(demo_tree)
    check_demo_json(demo_tree)
    assert len(checks) == 3 and len(_entries(cache)) == 1  # a link inside the tree is covered by the walk


def test_a_damaged_entry_is_ignored_and_rebuilt(demo_tree: Path, cache: Path, settled: None, checks: list[str]) -> None:
    first = check_demo_json(demo_tree)
    (entry,) = _entries(cache)
    for damage in ("flip", "garbage", "fifo", "folder"):
        entry.unlink() if damage == "fifo" else None
        if damage == "flip":
            blob = bytearray(entry.read_bytes())
            blob[len(blob) // 2] ^= 0xFF
            entry.write_bytes(bytes(blob))
        elif damage == "garbage":
            entry.write_bytes(b"subcheck-recheck\n" + b"\0" * 64)
        elif damage == "fifo":
            os.mkfifo(entry)  # a plain read would wait for a writer for ever
        else:
            entry.unlink()
            entry.mkdir()
        before = len(checks)
        assert check_demo_json(demo_tree) == first and len(checks) == before + 1
        if damage == "folder":
            entry.rmdir()
        else:
            assert entry.is_file() and not entry.is_fifo()  # replaced by a good entry, which serves the next run
        assert check_demo_json(demo_tree) == first


def test_an_entry_changed_within_the_clock_margin_is_not_trusted(
    demo_tree: Path, cache: Path, checks: list[str]
) -> None:
    """Just copied: a write in the same clock tick could keep its times, so nothing is stored yet."""
    check_demo_json(demo_tree)
    check_demo_json(demo_tree)
    assert len(checks) == 2 and _entries(cache) == []


def test_an_edited_rule_file_in_the_extends_chain_is_checked_again(
    demo_tree: Path, cache: Path, settled: None, checks: list[str], tmp_path: Path
) -> None:
    rules = tmp_path / "mine.yaml"
    rules.write_text(f"extends: {DEMO_RULES[:-5]}\n")
    argv = ["--rules", str(rules)]
    first = check_demo_json(demo_tree, *argv)
    assert check_demo_json(demo_tree, *argv) == first and len(checks) == 1
    rules.write_text(f"extends: {DEMO_RULES[:-5]}\n# edited\n")
    assert check_demo_json(demo_tree, *argv) == first and len(checks) == 2


def test_a_served_run_imports_neither_the_engine_nor_jsonschema(demo_tree: Path, cache: Path) -> None:
    script = (
        "import sys, checker.recheck as r; r.SETTLE_NS = 0\n"
        "from checker.cli import main\n"
        f"try: main(['check', {str(demo_tree)!r}, '--rules', {DEMO_RULES!r}, '--format', 'json'])\n"
        "except SystemExit: pass\n"
        "heavy = ('checker.engine', 'jsonschema', 'yaml', 'concurrent.futures', 'pandas',"
        " 'checker.plugins.discovery', 'checker.reporters.json_report', 'checker.report')\n"
        "print(json.dumps(sorted(m for m in heavy if m in sys.modules)), file=sys.stderr)\n"
    )
    env = {**os.environ, "SUBCHECK_CACHE_DIR": str(cache)}
    runs = [
        subprocess.run(
            [sys.executable, "-c", "import json\n" + script],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO,
            timeout=300,
            check=False,
        )  # fmt: skip
        for _ in range(2)
    ]
    assert runs[0].stdout == runs[1].stdout and json.loads(runs[1].stdout)["findings"] is not None
    assert "checker.engine" in runs[0].stderr  # the first run checked
    assert json.loads(runs[1].stderr.strip().splitlines()[-1]) == []  # the second was served


def test_built_in_formats_are_the_built_in_reporters() -> None:
    from checker.reporters import _MODULES

    assert set(BUILT_IN_FORMATS) == {*_MODULES, "text"} and set(BUILT_IN_FORMATS) <= set(load_reporters())


def test_rule_validation_is_remembered_only_for_a_pass(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from checker import ruleset

    calls: list[str] = []
    real = ruleset.validate
    monkeypatch.setattr(
        ruleset, "validate", lambda data, suite, path: (calls.append(str(path)), real(data, suite, path))
    )
    data = ruleset.resolve_file(Path(DEMO_RULES))
    ruleset.validate_once(data, "inference", DEMO_RULES)
    ruleset.validate_once(data, "inference", DEMO_RULES)
    assert len(calls) == 1  # the second time, the mark of the same content was enough
    broken = {**data, "models": "not a mapping"}
    for _ in range(2):
        with pytest.raises(ruleset.RulesetError):
            ruleset.validate_once(broken, "inference", "broken.yaml")
    assert len(calls) == 3  # a failure is never marked: refused every time


def test_the_text_report_of_a_served_run_is_that_of_a_full_check(
    demo_tree: Path, cache: Path, settled: None, checks: list[str]
) -> None:
    from click.testing import CliRunner

    from checker.cli import main

    log = demo_tree / LOG
    log.write_bytes(
        log.read_bytes().replace(b'"result_validity", "value": "VALID"', b'"result_validity", "value": "XALID"')
    )
    argv = ["check", str(demo_tree), "--rules", DEMO_RULES, "-j", "1"]
    fresh = CliRunner().invoke(main, [*argv, "--no-cache"])
    stored = CliRunner().invoke(main, argv)
    served = CliRunner().invoke(main, argv)
    assert len(checks) == 2 and fresh.exit_code == served.exit_code == 1
    assert served.output == stored.output == fresh.output and "PE003" in fresh.output


def test_a_served_run_writes_the_stored_report_and_any_other_shape_afresh(
    demo_tree: Path, cache: Path, settled: None, checks: list[str], tmp_path: Path
) -> None:
    """The report written by the stored run is written again as it was; another format, view, waivers or
    ``--output`` is written from the stored report, with the exit code of a full check each time.
    """
    from click.testing import CliRunner

    from checker.cli import main

    log = demo_tree / LOG
    log.write_bytes(
        log.read_bytes().replace(b'"result_validity", "value": "VALID"', b'"result_validity", "value": "XALID"')
    )
    argv = ["check", str(demo_tree), "--rules", DEMO_RULES, "-j", "1"]
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "waivers:\n  - code: PE003\n    path: closed/SubcheckDemo\n    reason: test\n    approved_by: lead\n"
    )
    shapes = [[], ["--format", "json"], ["-q"], ["--min-severity", "error"], ["--waivers", str(waivers)]]
    fresh = {i: CliRunner().invoke(main, [*argv, *shape, "--no-cache"]) for i, shape in enumerate(shapes)}
    CliRunner().invoke(main, argv)  # stores the text report
    assert len(checks) == len(shapes) + 1
    for i, shape in enumerate(shapes):
        served = CliRunner().invoke(main, [*argv, *shape])
        assert (served.exit_code, served.output) == (fresh[i].exit_code, fresh[i].output), shape
    assert len(checks) == len(shapes) + 1  # none of them checked again
    assert fresh[0].exit_code == 1 and "PE003" in fresh[0].output
    written = tmp_path / "out" / "report.json"
    served = CliRunner().invoke(main, [*argv, "--format", "json", "--output", str(written)])
    assert served.exit_code == 1 and json.loads(written.read_text()) == json.loads(fresh[1].output)


@pytest.mark.parametrize("change", ["none", "edit", "add-deep", "remove", "rename-folder", "new-folder-tree"])
def test_the_manifest_made_from_the_last_one_is_a_full_walk(demo_tree: Path, settled: None, change: str) -> None:
    """After a change only the changed folders are listed again; the manifest must be what a full walk gives."""
    import marshal

    from checker.recheck import _pack, _status, compare, take_manifest

    root = str(demo_tree)
    first = take_manifest(root)
    assert first is not None
    packed = marshal.loads(_pack(first))
    systems = demo_tree / "closed" / "SubcheckDemo" / "systems"
    if change == "edit":
        (demo_tree / LOG).write_bytes((demo_tree / LOG).read_bytes() + b"\n")
    elif change == "add-deep":
        (demo_tree / DEMO_OFFLINE / "performance" / "run_1" / "extra.txt").write_text("x")
    elif change == "remove":
        (demo_tree / LOG).unlink()
    elif change == "rename-folder":
        systems.rename(systems.with_name("systems2"))
    elif change == "new-folder-tree":
        (systems / "a" / "b").mkdir(parents=True)
        (systems / "a" / "b" / "c.json").write_text("{}")
    same, made, walked = compare(root, packed)
    assert same is (change == "none") and walked
    if change == "none":
        return
    full = take_manifest(root)
    assert made is not None and full is not None

    def entries(manifest: tuple) -> list[tuple[str, tuple[int, ...]]]:
        return sorted(zip(manifest[1], map(_status, manifest[2]), strict=True))

    assert made[0] == full[0] and entries(made) == entries(full)


def test_a_submitter_fingerprint_from_the_manifest_sees_every_change_and_refuses_links(
    demo_tree: Path, settled: None
) -> None:
    from checker.recheck import Fingerprints, take_manifest

    submitter = str(demo_tree / "closed" / "SubcheckDemo")

    def now() -> str | None:
        manifest = take_manifest(str(demo_tree))
        assert manifest is not None
        return Fingerprints(manifest)(submitter)

    first = now()
    assert first is not None and first == now() and Fingerprints(take_manifest(str(demo_tree)))("/nowhere") is None
    (demo_tree / LOG).write_bytes((demo_tree / LOG).read_bytes())  # same bytes, written again
    second = now()
    assert second not in (None, first)
    (demo_tree / "closed" / "SubcheckDemo" / "documentation" / "inside").symlink_to(demo_tree / "closed")
    assert now() is None  # a link: the cache walks the folder itself, as before
