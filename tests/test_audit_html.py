"""The audit's HTML report: self-contained, escaped, and rendered by a real browser (headless Chromium)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker import context
from checker.audit.command import audit
from tests import trees
from tests.conftest import require_data
from tests.trees import Tree

tree = trees.tree  # the real ConnectTechInc copy (v4.1) and the demo copy (demo round)

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def fresh_caches() -> None:
    """Tests rewrite system JSONs between runs in one process: drop what the engine cached."""
    clear = getattr(context, "clear_caches", None) or getattr(context.load_json, "cache_clear", None)
    if clear is not None:
        clear()


def chromium() -> str:
    """The browser binary; skip without it, except under CI=true where .ci/run installs it."""
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is required under CI (Debian package 'chromium')")
        pytest.skip("chromium not installed")
    return found


def write_report(root: Path, html: Path, round_args: tuple[str, ...] = ("--version", "v4.1")) -> None:
    fresh_caches()
    html.parent.mkdir(parents=True, exist_ok=True)
    result = CliRunner().invoke(audit, [str(root), *round_args, "-j", "1", "--format", "json",
                                        "--output", str(html.with_suffix(".json")), "--html", str(html)])  # fmt: skip
    assert result.exit_code in (0, 1), result.output + repr(result.exception)


@pytest.fixture(scope="module", params=["real", "demo"])
def report(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The audit report of the whole v4.1 sample (skips without the data), and of a copy of the demo tree."""
    html = tmp_path_factory.mktemp("html") / "out" / "report.html"
    if request.param == "real":
        write_report(require_data("inference-v4.1"), html)
    else:
        demo = trees.demo_tree(tmp_path_factory.mktemp("demo"))
        write_report(demo.root, html, demo.round_args)
    return html


def _is_demo(report: Path) -> bool:
    return "SubcheckDemo" in report.with_suffix(".json").read_text(encoding="utf-8")


def test_report_is_self_contained(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert not re.search(r"<script[^>]+src=|<link\b|@import|url\(|<iframe|<img\b", text, re.I)
    assert set(re.findall(r"https?://[^\s\"'<>]+", text)) <= {"http://www.w3.org/2000/svg"}


def test_report_links_are_relative_and_resolve(report: Path) -> None:
    hrefs = re.findall(r'href="([^"]+)"', report.read_text(encoding="utf-8"))
    assert hrefs and not [h for h in hrefs if h.startswith(("/", "file:", "http"))]
    for href in hrefs[:50]:
        assert (report.parent / href.replace("%20", " ")).exists(), href


def test_report_counts_match_json(report: Path) -> None:
    document = json.loads(report.with_suffix(".json").read_text(encoding="utf-8"))
    text = report.read_text(encoding="utf-8")
    audit_findings = [f for f in document["findings"] if f["code"].startswith("AU")]
    assert text.count('class="finding ') == len(audit_findings) + document["summary"]["errors"]
    assert f"<b>{document['summary']['results_checked']}</b>results checked" in text


def test_submission_text_is_escaped(tree: Tree, tmp_path: Path) -> None:
    system = tree.path(tree.system)
    data = json.loads(system.read_text(encoding="utf-8"))
    data["accelerator_model_name"] = '<img src=x onerror="alert(1)">'
    system.write_text(json.dumps(data), encoding="utf-8")
    html = tmp_path / "report.html"
    write_report(tree.root, html, tree.round_args)
    text = html.read_text(encoding="utf-8")
    assert "<img src=x" not in text and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in text


def test_browser_renders_table_charts_and_findings(report: Path, tmp_path: Path) -> None:
    browser = chromium()
    profile = tmp_path / "profile"
    url = report.resolve().as_uri()
    dom = subprocess.run(
        [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    body = re.search(r"<body([^>]*)>", dom)
    assert body and 'data-ready="true"' in body.group(1), "the report's script did not finish"
    rows = int(re.search(r'data-rows="(\d+)"', body.group(1)).group(1))  # type: ignore[union-attr]
    tbody = dom.split('<table id="results">', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert re.search(r'<span id="shown">(\d+)</span>', dom).group(1) == str(rows)  # type: ignore[union-attr]
    if _is_demo(report):  # four digits results; the demo's accuracy equals its FP32 reference (AU033)
        assert rows == 4 and tbody.count("<tr") == rows
        assert "Server vs Offline: one system (SubcheckDemo demo_cpu_numpy)" in dom  # one pair: a sentence
        assert dom.count('class="finding ') >= 4 and "AU033" in dom
    else:
        assert rows > 100 and tbody.count("<tr") == rows
        assert dom.count("<svg") >= 10 and dom.count("<rect") > rows / 4
        assert dom.count('class="finding ') >= 5 and "AU001" in dom
    shot = tmp_path / "report.png"
    subprocess.run(
        [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--screenshot={shot}", "--window-size=1400,2000",
         url],
        capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_reason_column_is_on_screen_at_1400_px(report: Path, tmp_path: Path) -> None:
    """A copy of the report with a measuring script: where the Valid column (the rejection reason) ends."""
    browser = chromium()
    measure = (
        "<script>var th=[].slice.call(document.querySelectorAll('#results th')).filter(function(h){"
        "return h.textContent==='Valid';})[0];document.body.setAttribute('data-valid-right',"
        "String(Math.round(th.getBoundingClientRect().right)));</script></body>"
    )
    probe = report.with_name("probe.html")
    probe.write_text(report.read_text(encoding="utf-8").replace("</body>", measure), encoding="utf-8")
    dom = subprocess.run(
        [browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,1000",
         "--dump-dom", probe.resolve().as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    right = int(re.search(r'data-valid-right="(\d+)"', dom).group(1))  # type: ignore[union-attr]
    assert 0 < right <= 1400
    text = report.read_text(encoding="utf-8")
    if _is_demo(report):  # every demo result is accepted
        assert text.count('<td class="reason">yes</td>') == 4 and '<td class="reason">no' not in text
    else:
        assert "no: AC006 AC007" in text and "no: system:SY003" in text


def test_charts_split_divisions_legend_first_one_number_style(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    charts = text.split('<section id="charts">', 1)[1].split("</section>", 1)[0]
    assert not re.search(r"\d\.?\d*e[+-]\d", charts), "axis numbers in one style, no 5.16e+03"
    if _is_demo(report):  # one benchmark, one division, one Server/Offline pair: a sentence, no chart
        assert charts.index("Colours:") < charts.index("<h3>digits (closed)</h3>")
        assert "Server 1,0" in charts or re.search(r"Server [\d,]+, Offline [\d,]+", charts)
        assert "<svg" not in charts
        return
    assert charts.index("Colours:") < charts.index("<svg")  # the legend comes before the charts
    assert "<h3>bert-99 (closed)</h3>" in charts and "<h3>bert-99 (open)</h3>" in charts
    assert "resnet Offline, closed: throughput per accelerator" in charts
    assert not re.search(r"\d\.?\d*e[+-]\d", charts), "axis numbers in one style, no 5.16e+03"
    assert re.search(r">\d{1,3},\d{3}<", charts)  # thousands with separators
    for scatter in re.findall(r'<svg class="chart scatter".*?</svg>', charts):
        assert scatter.count("<circle") >= 2  # a single point says nothing; it is a sentence instead
    assert "Server vs Offline: one system" in charts
