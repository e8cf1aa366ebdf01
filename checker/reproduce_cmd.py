"""``subcheck reproduce``: re-run a claimed digits result on the reference SUT and judge the claim.

Kept apart from ``cli.py`` so LoadGen and numpy are imported only by this command, and only after
the preflight checks have said, in one line with the fix, why it could not run.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from checker.commandline import fail

EXIT_HELP = (
    "Exit status: 0 reproduced, 1 not reproduced (a claim missed or contradicts its own log), 2 could not run,"
    " 3 inconclusive (the runs vary more than --tolerance and the miss lies within that variation)."
)


@click.command(epilog=EXIT_HELP)
@click.argument("result_dir", type=click.Path(path_type=Path))
@click.option("--device", type=click.Choice(["cpu", "cuda"]), default="cpu", show_default=True)
@click.option(
    "--tolerance",
    type=click.FloatRange(0, 1),
    default=0.1,
    show_default=True,
    help="Allowed relative shortfall of the best run against the claim.",
)
@click.option(
    "--repeat",
    type=click.IntRange(1, 50),
    default=3,
    show_default=True,
    help="Performance runs; min/median/max and spread are reported and the best run is judged.",
)
@click.option(
    "--backend",
    type=click.Choice(["numpy", "torch", "onnxruntime"]),
    default=None,
    help="Reference SUT backend (default: numpy on cpu, torch on cuda).",
)
@click.option(
    "--onnx-model",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Run this ONNX model through onnxruntime instead of the bundled weights.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def reproduce(
    result_dir: Path,
    device: str,
    tolerance: float,
    repeat: int,
    backend: str | None,
    onnx_model: Path | None,
    fmt: str,
) -> None:
    """Re-run RESULT_DIR (results/<system>/<benchmark>/<scenario>) under its logged LoadGen settings and compare.

    The primary metric is the results table's, in its units; the claimed hardware is shown beside this
    machine, and when they differ the throughput/latency comparison is informative only.
    """
    from reference_sut.preflight import problem

    reason = problem(result_dir, device, backend, onnx_model)
    if reason:
        fail(reason)
    try:
        from reference_sut.reproduce import EXIT_CODES, format_text
        from reference_sut.reproduce import reproduce as run_reproduce
    except ImportError as exc:
        fail(f"reproduce needs the [sut] extra: pip install 'mlperf-subcheck[sut]' ({exc})")
    report = run_reproduce(result_dir, device, tolerance, backend, onnx_model, repeat)
    if fmt == "json":
        click.echo(json.dumps(report, indent=2, default=str))
    else:
        click.echo(format_text(report), nl=False)
    click.get_current_context().exit(EXIT_CODES.get(report.get("status", ""), 2))
