"""``subcheck plugins``: every metric, validator, rule and reporter plugin found, where it came from, and any that
failed to load (exit 1 then, so an install script notices).
"""

from __future__ import annotations

import json

import click

from checker.commandline import shared_options
from checker.plugins.api import METRICS, VALIDATORS
from checker.plugins.discovery import GROUPS, load_plugins, requested


@click.command()
@shared_options("plugin")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def plugins(fmt: str) -> None:
    """List plugins: entry points of subcheck.metrics, .validators, .rules, .reporters, and --plugin modules.

    Exit 0 when every plugin loads, 1 when one failed (it is listed with its error).
    """
    found = load_plugins(requested())
    rows = [
        {"kind": kind, "name": name, "origin": item.origin, "status": "ok", "summary": item.doc}
        for kind, registry in (("metric", METRICS), ("validator", VALIDATORS))
        for name, item in sorted(registry.items())
    ]
    rows += [
        {"kind": info.group, "name": info.name, "origin": f"{info.target}" + (f" ({info.dist})" if info.dist else ""),
         "status": "ok" if info.ok else "failed", "summary": info.error or ""}
        for info in found
    ]  # fmt: skip
    if fmt == "json":
        click.echo(json.dumps({"groups": list(GROUPS), "plugins": rows}, indent=2))
    else:
        width = max(len(r["name"]) for r in rows)
        kind_width = max(len(r["kind"]) for r in rows)
        for r in rows:
            click.echo(f"{r['kind']:<{kind_width}}  {r['name']:<{width}}  {r['status']:<6}  {r['origin']}")
            if r["status"] != "ok":
                click.echo(f"{'':<{kind_width}}  {'':<{width}}  error: {r['summary']}")
        failed = sum(1 for r in rows if r["status"] != "ok")
        click.echo(f"{len(rows)} plugins, {failed} failed to load" if failed else f"{len(rows)} plugins, all loaded")
    click.get_current_context().exit(1 if any(not info.ok for info in found) else 0)
