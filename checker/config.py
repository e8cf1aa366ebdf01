"""Project settings, as linters keep them: ``subcheck.yaml`` or ``[tool.subcheck]`` in ``pyproject.toml``.

The nearest file wins, found by walking up from the checked path (stopping after a folder that holds ``.git``);
in one folder ``subcheck.yaml`` wins over ``pyproject.toml``. Options given on the command line win over the
file, and the file wins over round detection (and over a ``.subcheck.yaml`` round pin). An unknown key or a
value of the wrong type stops the run (exit 2): a setting silently ignored would misjudge a tree.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.settings_places import CONFIG_FILE, PYPROJECT, settings_folders

PREPARE_LOG = "prepare_log.txt"  # what `subcheck prepare` did to the tree it wrote
# subcheck's own files, allowed at a results root
SETTINGS_FILES = frozenset({CONFIG_FILE, ".subcheck.yaml", PREPARE_LOG})
CONFIG_CAP = 1024 * 1024
KEYS = {
    "version": "a round such as v4.1",
    "suite": "inference or training",
    "select": "rule codes or prefixes",
    "ignore": "rule codes or prefixes",
    "waivers": "a path, relative to the file",
    "min_severity": "notice, review, warning or error",
}


class ConfigError(Exception):
    """The settings file cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Config:
    """The settings found for a checked path; ``path`` is None when there is no settings file."""

    path: Path | None = None
    values: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str) -> Any:
        return self.values.get(key)


def find_config(start: Path) -> Config:
    """The settings of the nearest folder at or above ``start`` that has them."""
    folder = start if start.is_dir() else start.parent
    for candidate in map(Path, settings_folders(str(folder))):
        own = candidate / CONFIG_FILE
        if own.is_file():
            return Config(own, _validate(own, _read_yaml(own)))
        project = candidate / PYPROJECT
        if project.is_file():
            table = _read_pyproject(project)
            if table is not None:
                return Config(project, _validate(project, table))
    return Config()


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml  # here, not at the top: most trees have no settings file, and a cached re-check needs no YAML

    try:
        data = yaml.safe_load(_read(path)) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: settings must be a mapping such as 'version: v4.1'")
    return data


def _read_pyproject(path: Path) -> dict[str, Any] | None:
    if sys.version_info >= (3, 11):  # here, not at the top: most runs meet no pyproject.toml (6-8 ms each run)
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(_read(path))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    table = data.get("tool", {}).get("subcheck")
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.subcheck] must be a table")
    return table


def _read(path: Path) -> str:
    try:
        with path.open("rb") as stream:
            raw = stream.read(CONFIG_CAP + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the settings: {exc.strerror or exc}") from exc
    if len(raw) > CONFIG_CAP:
        raise ConfigError(f"{path}: larger than {CONFIG_CAP} bytes; not a settings file")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text") from exc


def _validate(path: Path, data: dict[str, Any]) -> dict[str, Any]:
    """Keys with underscores or dashes (``min-severity``); lists of codes joined as the command line takes them."""
    values: dict[str, Any] = {}
    for raw_key, value in data.items():
        key = str(raw_key).replace("-", "_")
        if key not in KEYS:
            raise ConfigError(f"{path}: unknown setting {raw_key!r}; known: {', '.join(sorted(KEYS))}")
        if key in ("select", "ignore") and isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = ",".join(value)
        if key == "version" and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{path}: {raw_key} must be {KEYS[key]}, found {value!r}")
        if key == "waivers":
            value = str((path.parent / value).resolve())
        values[key] = value.strip()
    if values.get("min_severity", "notice") not in ("notice", "review", "warning", "error"):
        raise ConfigError(f"{path}: min_severity must be {KEYS['min_severity']}, found {values['min_severity']!r}")
    if values.get("suite", "inference") not in ("inference", "training"):
        raise ConfigError(f"{path}: suite must be {KEYS['suite']}, found {values['suite']!r}")
    return values
