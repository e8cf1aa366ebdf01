"""Plugins found through entry points (importlib.metadata) or --plugin, listed by `subcheck plugins`, isolated.

Each case installs a small distribution (a ``*.dist-info`` with ``entry_points.txt``, as pip writes it) on
``PYTHONPATH`` and runs the real command line in a fresh process, since discovery happens once per process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEMO = str(REPO / "rules" / "demo" / "demo.yaml")
TREE = str(REPO / "fixtures" / "too_short")  # one Offline result; PE007 is its one error

GOOD = '''
from checker.findings import Problem
from checker.plugins import MetricResult, Violation, metric, validator
from checker.registry import rule
from checker.reporters import reporter


def count(responses, params):
    """Counts the responses."""
    return MetricResult(float(len(responses)), samples=len(responses))


def never(outcome, params):
    """Never passes."""
    yield Violation("never passes", "nothing", outcome.value)


@rule("XP901", "plugin-rule", fix="Nothing.")
def plugin_rule(ctx):
    """A rule from a plugin: says hello on every result."""
    yield Problem(ctx.rel(ctx.accuracy_dir), "hello from a plugin rule")


def brief(report, out):
    """One line."""
    out.write(f"{len(report.findings)} findings\\n")
'''


def install(site: Path, name: str, modules: dict[str, str], points: dict[str, dict[str, str]]) -> None:
    """Write ``modules`` and a dist-info declaring ``points`` ({group: {name: target}}) under ``site``."""
    for module, text in modules.items():
        (site / f"{module}.py").write_text(text)
    info = site / f"{name}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "".join(
            f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in items.items()) + "\n" for group, items in points.items()
        )
    )


def run(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(REPO)])}
    return subprocess.run([sys.executable, "-m", "checker.cli", *args], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=300, check=False)  # fmt: skip


def check_json(site: Path, *extra: str) -> tuple[int, dict]:
    proc = run(site, "check", TREE, "--rules", DEMO, "--no-cache", "-j1", "--format", "json", *extra)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def codes(report: dict, code: str) -> list[dict]:
    return [f for f in report["findings"] if f["code"] == code]


def test_plugin_raising_on_import_is_one_finding_and_the_run_finishes(tmp_path: Path) -> None:
    install(tmp_path, "boom-plugin", {"boom_mod": "raise RuntimeError('boom on import')\n"},
            {"subcheck.metrics": {"boom": "boom_mod:metric"}})  # fmt: skip
    rc, report = check_json(tmp_path)
    (finding,) = codes(report, "EN004")
    assert rc == 1 and "boom-plugin 0.1" in finding["message"] and "boom_mod:metric" in finding["message"]
    assert finding["found"] == "RuntimeError: boom on import"
    assert len(report["results"]) == 1 and codes(report, "PE007")  # every other rule still ran


def test_entry_point_naming_a_missing_module_is_one_finding(tmp_path: Path) -> None:
    install(tmp_path, "ghost-plugin", {}, {"subcheck.validators": {"ghost": "no_such_module:validator"}})
    rc, report = check_json(tmp_path)
    (finding,) = codes(report, "EN004")
    assert rc == 1 and "ghost" in finding["message"] and "No module named 'no_such_module'" in finding["found"]


def test_plugin_option_module_that_raises_is_one_finding(tmp_path: Path) -> None:
    (tmp_path / "raising_mod.py").write_text("raise ImportError('half installed')\n")
    rc, report = check_json(tmp_path, "--plugin", "raising_mod")
    (finding,) = codes(report, "EN004")
    assert rc == 1 and "--plugin raising_mod" in finding["message"] and "half installed" in finding["found"]


def test_plugins_command_lists_entry_points_and_failures(tmp_path: Path) -> None:
    points = {"subcheck.metrics": {"count": "good_mod:count"}, "subcheck.validators": {"never": "good_mod:never"}}
    install(tmp_path, "good-plugin", {"good_mod": GOOD}, points)
    proc = run(tmp_path, "plugins", "--format", "json")
    rows = {(r["kind"], r["name"]): r for r in json.loads(proc.stdout)["plugins"]}
    assert proc.returncode == 0
    assert (
        rows[("metric", "count")]["origin"] == "good-plugin 0.1"
        and rows[("metric", "top1_label")]["origin"] == "built-in"
    )
    assert rows[("subcheck.validators", "never")]["status"] == "ok"
    install(
        tmp_path, "boom-plugin", {"boom_mod": "raise RuntimeError('boom')\n"}, {"subcheck.rules": {"b": "boom_mod"}}
    )
    proc = run(tmp_path, "plugins")
    assert proc.returncode == 1 and "failed" in proc.stdout and "RuntimeError: boom" in proc.stdout


def test_rules_and_reporters_come_from_entry_points(tmp_path: Path) -> None:
    install(tmp_path, "good-plugin", {"good_mod": GOOD},
            {"subcheck.rules": {"hello": "good_mod"}, "subcheck.reporters": {"brief": "good_mod:brief"}})  # fmt: skip
    rc, report = check_json(tmp_path)
    (hello,) = codes(report, "XP901")
    assert hello["message"] == "hello from a plugin rule" and rc == 1
    proc = run(tmp_path, "check", TREE, "--rules", DEMO, "--no-cache", "-j1", "--format", "brief")
    assert proc.stdout.endswith(" findings\n") and proc.returncode == 1, proc.stderr


def test_plugin_metric_and_validator_apply_with_plugin_option(tmp_path: Path) -> None:
    """A rule file that travels with its metric: --plugin loads it for the run; workers get it too."""
    (tmp_path / "travel_mod.py").write_text(GOOD.replace("def count", "@metric('count')\ndef count").replace(
        "def never", "@validator('never', {'type': 'object', 'additionalProperties': False})\ndef never"))  # fmt: skip
    rules = tmp_path / "rules.yaml"
    rules.write_text(f"extends: {DEMO[:-5]}\nmodels:\n  digits:\n    metrics:\n      acc:\n        compute: count\n"
                     "        tolerance: 1000\n        validators: [{validator: never}]\n")  # fmt: skip
    for jobs in ("1", "2"):
        proc = run(tmp_path, "check", TREE, "--rules", str(rules), "--no-cache", "-j", jobs, "--format", "json",
                   "--plugin", "travel_mod")  # fmt: skip
        report = json.loads(proc.stdout)
        assert not codes(report, "EN005") and not codes(report, "EN004"), proc.stdout
        # the submitted log is truncated: the claim is not compared, and a validator needing outputs fails closed
        (finding,) = codes(report, "AC012")
        assert "never passes (validator never)" in finding["message"]
    proc = run(tmp_path, "check", TREE, "--rules", str(rules), "--no-cache", "-j1", "--format", "json")
    (missing,) = codes(json.loads(proc.stdout), "EN005")
    assert "no installed plugin provides the metric count (models.digits.metrics.acc.compute)" in missing["message"]


def test_broken_plugin_shows_whatever_is_selected_unless_ignored(tmp_path: Path) -> None:
    install(
        tmp_path, "boom-plugin", {"boom_mod": "raise RuntimeError('boom')\n"}, {"subcheck.rules": {"b": "boom_mod"}}
    )
    _, report = check_json(tmp_path, "--select", "PE")
    assert len(codes(report, "EN004")) == 1
    _, report = check_json(tmp_path, "--ignore", "EN004")
    assert not codes(report, "EN004")
