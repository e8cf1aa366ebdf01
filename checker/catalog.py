"""What subcheck knows, for people and scripts: ``rules``, ``explain`` and ``rounds``."""

from __future__ import annotations

import difflib
import json
import re
from typing import Any

import click
import yaml

from checker.commandline import fail, load_round, round_name
from checker.discovery import allowed_layouts
from checker.registry import Rule, load_all, rule_file_keys
from checker.reporters.human import plain
from checker.ruleset import available_versions, data_dir
from checker.suites import suite_names

_SHORT_CODE = re.compile(r"^([A-Z]{2})(\d{1,2})$")


def rule_record(rule: Rule) -> dict[str, Any]:
    """A rule as data: what ``rules --format json`` prints for each code."""
    return {
        "code": rule.code,
        "name": rule.name,
        "family": rule.family,
        "severity": rule.severity.value,
        "suite": rule.suite,
        "scope": rule.scope,
        "summary": plain(rule.summary),
        "fix": plain(rule.fix),
    }


@click.command("rules")
@click.option("--version", "version", default=None, help="Show this round's benchmarks too.")
@click.option("--suite", type=click.Choice(suite_names()), default=None, help="Only this suite's rules.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def list_rules(version: str | None, suite: str | None, fmt: str) -> None:
    """List every rule code with its one-line summary (engine codes apply to every suite)."""
    registry = load_all(audit=True)
    chosen = [registry[c] for c in sorted(registry) if not suite or registry[c].suite in (suite, "any")]
    names: list[str] = []
    if version:
        rules = load_round(version, None, suite or "inference")
        names = sorted(rules["benchmarks"] if rules.suite == "training" else rules.models)
    if fmt == "json":
        document: dict[str, Any] = {"rules": [rule_record(r) for r in chosen]}
        if version:
            document["round"] = {"version": round_name(version), "benchmarks": names}
        click.echo(json.dumps(document, indent=2))
        return
    for rule in chosen:
        click.echo(f"{rule.code}  {rule.severity.value:<7}  {plain(rule.summary)}")
    if version:
        click.echo(f"\nBenchmarks in {suite or 'inference'} {round_name(version)}: {', '.join(names)}")


def suggestions(code: str, registry: dict[str, Rule]) -> list[str]:
    """Codes a person probably meant: ``PE06`` -> ``PE006`` first, then the closest spellings."""
    found: list[str] = []
    short = _SHORT_CODE.match(code)
    if short and f"{short[1]}{int(short[2]):03d}" in registry:
        found.append(f"{short[1]}{int(short[2]):03d}")
    for close in difflib.get_close_matches(code, list(registry), n=3, cutoff=0.5):
        if close not in found:
            found.append(close)
    return found[:3]


@click.command()
@click.argument("code")
def explain(code: str) -> None:
    """Print the documentation of rule CODE (why it exists, how to fix what it finds), or list a family (PE)."""
    registry = load_all(audit=True)
    wanted = code.strip().upper()
    family = [registry[c] for c in sorted(registry) if registry[c].family == wanted]
    if family:
        click.echo(f"{wanted}: {len(family)} rules (`subcheck explain {family[0].code}` explains one)\n")
        for member in family:
            click.echo(f"{member.code}  {member.severity.value:<7}  {plain(member.summary)}")
        return
    rule = registry.get(wanted)
    if rule is None:
        close = suggestions(wanted, registry)
        hint = f"; did you mean {', '.join(close)}?" if close else "; `subcheck rules` lists them"
        fail(f"unknown rule code {code!r}{hint}")
    scope = "emitted by the engine" if rule.scope == "engine" else f"checked per {rule.scope}"
    click.echo(f"{rule.code} ({rule.name}), {rule.severity.value}, {rule.suite}, {scope}\n")
    click.echo(plain(rule.doc, lines=True))
    click.echo(f"\nHow to fix: {plain(rule.fix)}")
    if rule.scope != "engine":
        click.echo(f"Defined at: {rule.location}")
        keys = rule_file_keys(rule)
        click.echo(f"Rule-file keys it reads: {', '.join(keys) if keys else 'none'}")


def round_records() -> list[dict[str, Any]]:
    """Every bundled round: suite, name, the round it extends, the layout it reads and its benchmarks."""
    records = []
    for suite in suite_names():
        for version in available_versions(suite):
            raw = yaml.safe_load((data_dir("rules") / suite / f"{version}.yaml").read_text(encoding="utf-8"))
            rules = load_round(version, None, suite)
            names = rules["benchmarks"] if suite == "training" else rules.models
            records.append(
                {
                    "suite": suite,
                    "version": version,
                    "extends": (raw or {}).get("extends"),
                    "layout": "+".join(allowed_layouts(rules["layout"])) if suite == "inference" else suite,
                    "benchmarks": sorted(names),
                }
            )
    return records


@click.command("rounds")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rounds(fmt: str) -> None:
    """List the rounds, suites and layouts subcheck knows (``--version`` takes these names)."""
    records = round_records()
    if fmt == "json":
        click.echo(json.dumps({"rounds": records}, indent=2))
        return
    click.echo(f"{'suite':<10} {'round':<6} {'extends':<8} {'layout':<9} benchmarks")
    for r in records:
        extends = r["extends"] or "-"
        click.echo(f"{r['suite']:<10} {r['version']:<6} {extends:<8} {r['layout']:<9} {len(r['benchmarks'])}")
    click.echo("\nsplit: results/, measurements/ and compliance/ side by side (v4.1-v5.1);")
    click.echo("merged: everything under results/<system>/<benchmark>/<scenario>/ (v6.0 on).")
    click.echo("`subcheck rules --version V` lists a round's benchmarks.")
