"""One self-contained HTML file for reviewers: summary, results table, charts, findings with their rule docs.

Everything is inline (CSS, a few lines of vanilla JS, SVG drawn in Python), so the file opens offline and
makes no network request. Every piece of text from a submission is escaped with :func:`html.escape`.
"""

from __future__ import annotations

import math
import os
from collections import Counter, defaultdict
from datetime import datetime, timezone
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

from checker import __version__
from checker.audit.base import AuditContext
from checker.audit.charts import colour, drift_band, number, offline_vs_server, per_accelerator_bars
from checker.audit.drift import series_points
from checker.audit.runner import results_of
from checker.audit.scenarios import scenario_table
from checker.engine import Report
from checker.findings import Finding
from checker.registry import REGISTRY
from checker.reporters.human import human, plain

FILTERS = (
    ("division", "Division"),
    ("benchmark", "MlperfModel"),
    ("scenario", "Scenario"),
    ("submitter", "Organization"),
)

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
header{background:#1d2b45;color:#fff;padding:16px 24px}header h1{margin:0 0 4px;font-size:22px}
header p{margin:0;opacity:.85}main{padding:16px 24px}section{background:#fff;border:1px solid #dde1e7;
border-radius:6px;padding:12px 16px;margin:0 0 16px}h2{font-size:18px;margin:4px 0 10px}
.cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #dde1e7;border-radius:6px;padding:8px 12px;
min-width:120px;background:#fafbfc}.card b{display:block;font-size:22px}.card.review b{color:#8a4b00}
.card.error b{color:#b00020}table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #e6e8ec;padding:3px 6px;text-align:left;vertical-align:top;white-space:nowrap}
td.wide{max-width:180px;overflow:hidden;text-overflow:ellipsis}td.reason{white-space:normal;min-width:90px}
.legend{position:sticky;top:0;background:#fff;padding:4px 0;z-index:1}
th{background:#eef1f5;cursor:pointer;position:sticky;top:0;white-space:nowrap}
th[data-order=asc]::after{content:" \\25B2"}th[data-order=desc]::after{content:" \\25BC"}
td.num{text-align:right;font-variant-numeric:tabular-nums}tr.invalid td{background:#fff1f1}
.filters{display:flex;flex-wrap:wrap;gap:8px;margin:0 0 8px}.filters label{font-size:12px;color:#4a5568}
.filters select,.filters input{display:block;font-size:13px;padding:2px 4px}.scroll{max-height:640px;overflow:auto}
.code{display:inline-block;font:12px monospace;padding:1px 5px;border-radius:3px;background:#ffe8c7;color:#6b3a00;
margin-right:4px}.code.error{background:#ffd6dc;color:#8a0016}.code.warning{background:#fff4b3}
.charts{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}.chart text{font-size:11px;fill:#1d2430}
.chart text.title{font-size:13px;font-weight:600}.chart .frame{fill:none;stroke:#c9ced6}
.chart .diagonal{stroke:#b00020;stroke-dasharray:4 3}.chart circle.above{stroke:#b00020;stroke-width:2}
.chart .band{fill:#e0a040;fill-opacity:.25}.chart .mean{stroke:#8a4b00;stroke-dasharray:4 3}
.chart circle.point{fill:#5a6472;fill-opacity:.6}.chart circle.flagged{fill:none;stroke:#b00020;stroke-width:2}
.finding{border-left:4px solid #e0a040;padding:4px 10px;margin:6px 0}.finding.error{border-color:#b00020}
.result h3{font-size:14px;margin:10px 0 2px;word-break:break-all}.muted{color:#5a6472;font-size:12px}
details pre{white-space:pre-wrap;background:#f3f4f6;padding:6px;border-radius:4px;font-size:12px}
a{color:#1f4fbf}
"""

JS = """
(function () {
  var table = document.getElementById('results');
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var filters = document.querySelectorAll('select[data-filter]');
  var search = document.getElementById('search');
  function apply() {
    var want = {}, query = search.value.toLowerCase(), shown = 0;
    filters.forEach(function (f) { if (f.value) { want[f.getAttribute('data-filter')] = f.value; } });
    rows.forEach(function (row) {
      var ok = Object.keys(want).every(function (k) { return row.getAttribute('data-' + k) === want[k]; });
      ok = ok && (!query || row.textContent.toLowerCase().indexOf(query) >= 0);
      row.hidden = !ok;
      if (ok) { shown++; }
    });
    document.getElementById('shown').textContent = shown;
  }
  function value(row, i) {
    var cell = row.cells[i];
    return cell.hasAttribute('data-v') ? cell.getAttribute('data-v') : cell.textContent;
  }
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, i) {
    th.addEventListener('click', function () {
      var asc = th.getAttribute('data-order') !== 'asc';
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('data-order'); });
      th.setAttribute('data-order', asc ? 'asc' : 'desc');
      var numeric = th.getAttribute('data-type') === 'num';
      rows.sort(function (a, b) {
        var x = value(a, i), y = value(b, i), c;
        if (numeric) { c = (parseFloat(x) || 0) - (parseFloat(y) || 0); } else { c = x.localeCompare(y); }
        return asc ? c : -c;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
  filters.forEach(function (f) { f.addEventListener('change', apply); });
  search.addEventListener('input', apply);
  apply();
  document.body.setAttribute('data-rows', String(rows.length));
  document.body.setAttribute('data-ready', 'true');
})();
"""


def _link(ctx: AuditContext, target: str, out_dir: Path, text: str | None = None) -> str:
    """A relative link from the report's folder to a file or folder of the audited round."""
    absolute = (ctx.root / target).resolve()
    try:
        relative = os.path.relpath(absolute, out_dir)
    except ValueError:  # another drive on Windows
        relative = absolute.as_posix()
    return f'<a href="{escape(quote(Path(relative).as_posix()))}">{escape(text or target)}</a>'


def _number(value: Any) -> str:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        return ""
    return number(value)


def _summary(report: Report, ctx: AuditContext, findings: list[Finding]) -> str:
    counts = Counter(f.code for f in findings)
    cards = [
        ("results checked", report.results_checked, ""),
        ("accepted", report.accepted, ""),
        ("rejected", len(report.rejected), "error" if report.rejected else ""),
        ("check errors", report.errors, "error" if report.errors else ""),
        ("audit findings", len(findings), "review" if findings else ""),
        ("submitters", ctx.frame["Organization"].nunique(), ""),
    ]
    html = ['<section id="summary"><h2>Summary</h2><div class="cards">']
    html += [f'<div class="card {cls}"><b>{escape(str(n))}</b>{escape(label)}</div>' for label, n, cls in cards]
    html.append("</div><p>")
    for code in sorted(counts):
        rule = REGISTRY.get(code)
        name = plain(rule.summary) if rule else code
        html.append(f'<span class="code">{escape(code)}</span>{counts[code]} &times; {escape(name)}<br>')
    html.append("</p></section>")
    return "".join(html)


def _table(ctx: AuditContext, codes: dict[str, set[str]], out_dir: Path) -> str:
    frame = ctx.frame.sort_values(["Division", "Organization", "Platform", "MlperfModel", "Scenario"])
    html = ['<section id="table"><h2>Results (<span id="shown">0</span> shown)</h2><div class="filters">']
    for key, column in FILTERS:
        values = sorted(frame[column].dropna().astype(str).unique())
        options = "".join(f"<option>{escape(v)}</option>" for v in values)
        html.append(
            f'<label>{escape(key)}<select data-filter="{key}"><option value="">all</option>{options}</select></label>'
        )
    html.append('<label>search<input id="search" type="search" placeholder="text in a row"></label></div>')
    heads = [("Submitter", ""), ("Division", ""), ("System", ""), ("Benchmark", ""), ("Scenario", ""),
             ("Valid", ""), ("Audit", ""), ("Result", "num"), ("Units", ""), ("Per accelerator", "num"),
             ("Accelerators", "num"), ("Accelerator", ""), ("Accuracy", ""), ("Files", "")]  # fmt: skip
    html.append('<div class="scroll"><table id="results"><thead><tr>')
    html += [f'<th data-type="{kind}">{escape(name)}</th>' for name, kind in heads]
    html.append("</tr></thead><tbody>")
    for row in frame.itertuples(index=False):
        data = " ".join(f'data-{key}="{escape(str(getattr(row, column)))}"' for key, column in FILTERS)
        found = " ".join(f'<span class="code">{escape(c)}</span>' for c in sorted(codes.get(row.Location, ())))
        cells = [
            escape(str(row.Organization)), escape(str(row.Division)), escape(str(row.Platform)),
            escape(str(row.MlperfModel)), escape(str(row.Scenario)),
        ]  # fmt: skip
        html.append(f'<tr class="{"" if row.Valid else "invalid"}" {data}>')
        html += [f'<td class="wide" title="{c}">{c}</td>' if i == 2 else f"<td>{c}</td>" for i, c in enumerate(cells)]
        verdict = "yes" if row.Valid else escape("no: " + " ".join(str(row.Findings).split()))
        html.append(f'<td class="reason">{verdict}</td><td>{found}</td>')
        html.append(f'<td class="num" data-v="{row.Result}">{escape(_number(row.Result))}</td>')
        html.append(f"<td>{escape(str(row.Units))}</td>")
        per_acc = row.per_acc if isinstance(row.per_acc, float) and math.isfinite(row.per_acc) else ""
        html.append(f'<td class="num" data-v="{per_acc}">{escape(_number(row.per_acc))}</td>')
        html.append(f'<td class="num" data-v="{row.accelerators}">{escape(_number(row.accelerators))}</td>')
        accelerator = escape(str(row.accelerator_model_name))
        html.append(f'<td class="wide" title="{accelerator}">{accelerator}</td>')
        html.append(f"<td>{escape(str(row.Accuracy)[:24])}</td>")
        html.append(f"<td>{_link(ctx, row.Location, out_dir, 'folder')}</td></tr>")
    html.append("</tbody></table></div></section>")
    return "".join(html)


def _charts(ctx: AuditContext) -> str:
    """Per benchmark and division (closed and open results are not comparable), with the colour legend first."""
    table = scenario_table(ctx)
    frame = ctx.usable
    submitters = sorted(frame["Organization"].dropna().unique())
    legend = " ".join(f'<span style="color:{colour(str(s))}">&#9632;</span> {escape(str(s))}' for s in submitters)
    html = [
        '<section id="charts"><h2>Charts per benchmark and division</h2>',
        f'<p class="muted legend">Colours: {legend}. Red ring: Server above Offline.</p>',
    ]
    for model in sorted(frame["MlperfModel"].dropna().unique()):
        for division in sorted(frame.loc[frame["MlperfModel"] == model, "Division"].dropna().unique()):
            rows = frame[(frame["MlperfModel"] == model) & (frame["Division"] == division)]
            pairs = table[(table["MlperfModel"] == model) & (table["Division"] == division)]
            scenario = "Offline" if (rows["Scenario"] == "Offline").any() else "Server"
            title = f"{model} {scenario}, {division}: throughput per accelerator"
            bars = per_accelerator_bars(rows[rows["Scenario"] == scenario], title)
            scatter = offline_vs_server(pairs, f"{model}, {division}: Server vs Offline") or _one_pair(pairs)
            if bars or scatter:
                html.append(f'<h3>{escape(f"{model} ({division})")}</h3><div class="charts">{bars}{scatter}</div>')
    html.append("</section>")
    return "".join(html)


def _one_pair(pairs: Any) -> str:
    """A single Server/Offline pair as a sentence: one point on a plot says nothing."""
    if "Server" not in pairs or "Offline" not in pairs:
        return ""
    both = pairs[pairs["Server"].notna() & pairs["Offline"].notna() & (pairs["Offline"] > 0)]
    if len(both) != 1:
        return ""
    row = both.iloc[0]
    return (
        f'<p class="muted">Server vs Offline: one system ({escape(str(row["Organization"]))} '
        f"{escape(str(row['Platform']))}): Server {escape(number(row['Server']))}, Offline "
        f"{escape(number(row['Offline']))}, ratio {row['Server'] / row['Offline']:.2f}</p>"
    )


def _finding(ctx: AuditContext, finding: Finding, out_dir: Path, primary: str) -> str:
    rule = REGISTRY.get(finding.code)
    level = finding.severity.value
    parts = [
        f'<div class="finding {escape(level)}" data-code="{escape(finding.code)}">',
        f'<span class="code {escape(level)}">{escape(finding.code)}</span><b>{escape(level)}</b> ',
        escape(plain(finding.message)),
    ]
    if finding.expected is not None or finding.found is not None:
        parts.append(
            f'<div class="muted">expected: {escape(human(finding.expected, 300))} &nbsp; '
            f"found: {escape(human(finding.found, 300))}</div>"
        )
    parts.append(_drift_chart(ctx, finding))
    others = [r for r in results_of(finding) if r != primary]
    if others:
        links = ", ".join(_link(ctx, r, out_dir) for r in others[:12])
        more = f" and {len(others) - 12} more" if len(others) > 12 else ""
        parts.append(f'<div class="muted">compared with: {links}{more}</div>')
    parts.append(f'<div class="muted">file: {_link(ctx, finding.path, out_dir)}</div>')
    if rule:
        parts.append(
            f"<details><summary>{escape(rule.name)}: how to read this</summary>"
            f"<pre>{escape(plain(rule.doc, lines=True))}</pre>"
            f"<p>How to fix: {escape(plain(rule.fix))}</p></details>"
        )
    parts.append("</div>")
    return "".join(parts)


def _drift_chart(ctx: AuditContext, finding: Finding) -> str:
    """The series and band of a drift finding (AU050, AU051) as a small chart; nothing for other findings."""
    extra = finding.extra
    if finding.code not in ("AU050", "AU051") or not isinstance(extra.get("band"), list) or len(extra["band"]) != 2:
        return ""
    title = f"{extra['metric'] + ': ' if extra.get('metric') else ''}{extra.get('series', '')}"
    low, high = (float(v) for v in extra["band"])
    chart = drift_band(title, series_points(ctx, extra), (low, high), float(extra["mean"]), float(extra["value"]),
                       log=finding.code == "AU050")  # fmt: skip
    return f'<div class="charts">{chart}</div>' if chart else ""


def _findings(ctx: AuditContext, report: Report, findings: list[Finding], out_dir: Path) -> str:
    grouped: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        grouped[results_of(finding)[0]].append(finding)
    for finding in report.findings:
        if finding.fails and not finding.code.startswith("AU"):  # check errors: under the result they belong to
            grouped[finding.unit if finding.unit not in ("", ".") else finding.path].append(finding)
    html = [f'<section id="findings"><h2>Findings by result ({len(grouped)} results)</h2>']
    for primary in sorted(grouped):
        html.append(f'<div class="result"><h3>{_link(ctx, primary, out_dir)}</h3>')
        html += [_finding(ctx, f, out_dir, primary) for f in sorted(grouped[primary], key=lambda f: f.code)]
        html.append("</div>")
    if not grouped:
        html.append("<p>No findings.</p>")
    html.append("</section>")
    return "".join(html)


def render(report: Report, ctx: AuditContext, findings: list[Finding], out_dir: Path) -> str:
    """The whole report as one HTML string (links relative to ``out_dir``)."""
    codes: dict[str, set[str]] = defaultdict(set)
    for finding in findings:
        for location in results_of(finding):
            codes[location].add(finding.code)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    title = f"subcheck audit: {Path(report.root).name} ({report.version})"
    return "".join(
        [
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body>",
            f"<header><h1>{escape(title)}</h1><p>{escape(report.root)} &middot; subcheck {escape(__version__)} "
            f"&middot; {escape(stamp)}</p></header><main>",
            _summary(report, ctx, findings),
            _table(ctx, codes, out_dir),
            _charts(ctx),
            _findings(ctx, report, findings, out_dir),
            f"</main><script>{JS}</script></body></html>\n",
        ]
    )


def write_html(report: Report, ctx: AuditContext, findings: list[Finding], path: Path) -> None:
    """Write the report to ``path``; links to the round's files are relative to its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(report, ctx, findings, path.parent.resolve()), encoding="utf-8")
