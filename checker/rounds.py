"""A round's rules with the lookups every check needs: names, scenarios, limits and metric keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from checker import ruleset

SCENARIOS = ("SingleStream", "MultiStream", "Server", "Offline", "Interactive")
# Substring guesses the official checker makes for benchmark folders that are not exact names.
_SUBSTRING_GUESSES = (
    ("mobilenet", "resnet"),
    ("efficientnet", "resnet"),
    ("resnet50", "resnet"),
    ("bert-99.9", "bert-99.9"),
    ("bert-99", "bert-99"),
)


@dataclass(frozen=True)
class Round:
    """Read-only view over one round's merged rule file."""

    suite: str
    version: str
    data: dict[str, Any]

    @classmethod
    def load(cls, suite: str, version: str, path: str | None = None) -> Round:
        return cls(suite, version, ruleset.load(suite, version, path))

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    @property
    def models(self) -> dict[str, dict[str, Any]]:
        return self.data["models"]

    def canonical_scenario(self, folder: str) -> str | None:
        """``offline`` -> ``Offline``; None for a folder that is no scenario."""
        if folder in SCENARIOS:
            return folder
        return self.data["scenario_dir_aliases"].get(folder.lower())

    def resolve_benchmark(self, folder: str, mapping: dict[str, str] | None = None) -> str | None:
        """Official benchmark for a folder name: exact, alias table, open model_mapping, then substring."""
        if folder in self.models:
            return folder
        alias = self.data["model_aliases"].get(folder)
        if alias in self.models:
            return alias
        if mapping and mapping.get(folder) in self.models:
            return mapping[folder]
        for needle, name in _SUBSTRING_GUESSES:
            if needle in folder and name in self.models:
                return name
        return None

    def system_type_key(self, system_type: Any) -> str | None:
        return self.data["system_types"].get(system_type) if isinstance(system_type, str) else None

    def scenario_table(self, model: str, system_type: Any) -> dict[str, list[str]] | None:
        """Required and optional scenarios of ``model`` for a system type; None when not allowed there."""
        key = self.system_type_key(system_type)
        if key is None or model not in self.models:
            return None
        table = self.models[model].get("scenarios", {}).get(key)
        if table is None:
            return None
        return {"required": list(table.get("required", [])), "optional": list(table.get("optional", []))}

    def result_key(self, model: str, scenario: str) -> str | None:
        """Detail-log key holding the primary metric of ``model`` in LoadGen ``scenario``."""
        override = self.models.get(model, {}).get("result_key_override", {})
        return override.get(scenario) or self.data["result_keys"].get(scenario)

    def units(self, model: str, scenario: str) -> str:
        override = self.models.get(model, {}).get("csv_units_override", {})
        return override.get(scenario) or self.data["units"].get(scenario, "")
