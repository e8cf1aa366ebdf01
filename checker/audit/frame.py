"""Tables the audits read: one row per performance result (from the check's Report) and one per system JSON.

The check already parsed every log; the audit reuses its results table instead of reading logs again, and
only adds the system JSON facts (cached per process) that the table does not carry.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

import pandas as pd

from checker.context import as_float, load_json
from checker.discovery import Tree
from checker.rounds import Round

LATENCY_SCENARIOS = ("SingleStream", "MultiStream")


def normalise(value: Any) -> str:
    """Case- and space-insensitive text, so 'NVIDIA  H100' and 'nvidia h100' are one name."""
    return re.sub(r"\s+", " ", str(value if value is not None else "")).strip().lower()


def count(value: Any) -> float:
    """A part count as a number; NaN for 'N/A', '' and other non-numbers (CPU-only systems)."""
    number = as_float(value)
    return number if number is not None and math.isfinite(number) else math.nan


def results_frame(rows: list[dict[str, Any]], rules: Round, variant_suffix: str = r"-99(\.9)?$") -> pd.DataFrame:
    """One row per result with its performance metric; power rows (Watts, millijoules) are left out.

    ``perf`` orients every metric so that higher is better (1/latency for SingleStream and MultiStream),
    and ``per_acc`` divides throughput by the system's accelerators (NaN when it names none).
    """
    power_units = set(rules.get("power_units", {}).values())
    records = [r for r in rows if r.get("Units") not in power_units]
    columns = [
        "Location", "Organization", "Division", "Platform", "SystemName", "MlperfModel", "Model", "Scenario",
        "Result", "Units", "Accuracy", "Valid", "inferred", "accelerator_model_name", "number_of_nodes",
        "accelerators_per_node", "notes", "Findings", "has_power",
    ]  # fmt: skip
    frame = pd.DataFrame(records, columns=columns)
    frame = frame.drop_duplicates("Location").reset_index(drop=True)
    frame["Result"] = pd.to_numeric(frame["Result"], errors="coerce")
    frame["system_key"] = frame["SystemName"].map(normalise)
    frame["accelerator"] = frame["accelerator_model_name"].map(normalise)
    nodes = frame["number_of_nodes"].map(count).fillna(1.0)
    per_node = frame["accelerators_per_node"].map(count)
    frame["accelerators"] = (nodes * per_node).where(per_node > 0)
    frame["latency"] = frame["Scenario"].isin(LATENCY_SCENARIOS)
    frame["perf"] = frame["Result"].where(~frame["latency"], 1.0 / frame["Result"])
    frame["per_acc"] = (frame["Result"] / frame["accelerators"]).where(~frame["latency"])
    frame["base_model"] = frame["MlperfModel"].fillna("").str.replace(variant_suffix, "", regex=True)
    frame["inferred"] = frame["inferred"].fillna(0).astype(int).astype(bool)
    frame["Valid"] = frame["Valid"].fillna(False).astype(bool)
    frame["has_power"] = frame["has_power"].fillna(False).astype(bool)
    return frame


def systems_frame(tree: Tree, fields: list[str]) -> pd.DataFrame:
    """One row per ``systems/*.json`` with the fields the identity audit compares (raw values)."""
    entries = []
    for unit in tree.submitters:
        for system in unit.system_jsons:
            data = load_json(unit.path / "systems" / f"{system}.json").data or {}
            entries.append((unit.division, unit.submitter, system, f"{unit.rel}/systems/{system}.json", data))
    return systems_table(entries, fields)


def systems_table(entries: Iterable[tuple[str, str, str, str, Any]], fields: list[str]) -> pd.DataFrame:
    """The system frame of both suites from (division, submitter, system, path, parsed JSON); non-objects are skipped
    (an unreadable description is the check's finding, not the audit's).
    """
    records = []
    for division, submitter, system, path, data in entries:
        if not isinstance(data, dict):
            continue
        record = {
            "division": division,
            "submitter": submitter,
            "system": system,
            "path": path,
            "system_name": str(data.get("system_name", "")),
        }
        record.update({f: data.get(f) for f in fields})
        records.append(record)
    frame = pd.DataFrame(records, columns=["division", "submitter", "system", "path", "system_name", *fields])
    frame["system_key"] = frame["system_name"].map(normalise)
    return frame


def result_label(row: Any) -> str:
    """How a finding names a result: submitter/system/benchmark/scenario."""
    return f"{row['Organization']}/{row['Platform']}/{row['Model']}/{row['Scenario']}"
