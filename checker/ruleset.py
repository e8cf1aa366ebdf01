"""Load a round's rules from YAML: resolve ``extends:``, validate with JSON Schema, expose them read-only.

Every per-round number lives in ``rules/<suite>/<round>.yaml``. A later round names its parent with
``extends:`` and lists only what changes. Merging is deliberately simple so that a person editing a
rule file can predict the result: mappings merge key by key, any other value (lists included)
replaces the parent's, and ``null`` deletes the parent's key.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from checker import yaml_memo
from checker.schemas import json_path


class RulesetError(Exception):
    """A rule file that cannot be used; the CLI turns this into exit code 2."""

    def __init__(self, path: Path | str, message: str, json_path: str = "$") -> None:
        super().__init__(f"{path}: {json_path}: {message}")
        self.path = str(path)
        self.json_path = json_path
        self.detail = message


def data_dir(name: str) -> Path:
    """Folder of bundled data (``rules`` or ``schemas``): the repo checkout first, then the wheel."""
    repo = Path(__file__).resolve().parent.parent / name
    if repo.is_dir():
        return repo
    from importlib import resources  # here: a checkout needs it not (a hundredth of a second of every run)

    return Path(str(resources.files("checker") / "_data" / name))


def available_versions(suite: str) -> list[str]:
    """Round names we ship rules for, oldest first (``v4.1`` < ``v5.0`` < ``v6.1``)."""
    folder = data_dir("rules") / suite
    names = [p.stem for p in folder.glob("*.yaml")] if folder.is_dir() else []
    return sorted(names, key=version_key)


def version_key(name: str) -> tuple[Any, ...]:
    """Sort key of a round name: ``v10.0`` after ``v6.1`` (numbers compare as numbers, not text)."""
    parts = name.lstrip("v").split(".")
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)


def merge(parent: Any, child: Any) -> Any:
    """Merge ``child`` over ``parent``: mappings key by key, other values replace, ``None`` deletes.

    Neither input is changed: every merged mapping is a new one, and what is taken over unmerged is taken as it
    is, not copied. Both come from a fresh parse of one file (:func:`resolve_file`), so nothing else holds them;
    copying them whole at every step of a six-round ``extends:`` chain was two thirds of loading every round.
    """
    if not isinstance(parent, Mapping) or not isinstance(child, Mapping):
        return child
    out = dict(parent)
    for key, value in child.items():
        if value is None:
            out.pop(key, None)
        elif key in out:
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def _read_yaml(path: Path) -> dict[str, Any]:
    """A rule file's mapping; what a text parses to is remembered by the text (:mod:`checker.yaml_memo`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise RulesetError(path, "rule file not found") from exc
    except UnicodeDecodeError as exc:
        raise RulesetError(path, f"not valid YAML: {exc}") from exc
    data = yaml_memo.parsed(text, lambda source: _parse_yaml(path, source))
    if not isinstance(data, dict):
        raise RulesetError(path, "a rule file must be a mapping at the top level")
    return data


def _parse_yaml(path: Path, text: str) -> Any:
    import yaml  # here, not at the top: a remembered rule file needs no parser

    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader, where PyYAML was built with it
        return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise RulesetError(path, f"not valid YAML: {exc}") from exc


def _schema(suite: str) -> dict[str, Any]:
    return json.loads(_schema_text(suite))


def _schema_text(suite: str) -> str:
    path = data_dir("schemas") / f"ruleset.{suite}.schema.json"
    if not path.is_file():
        path = data_dir("schemas") / "ruleset.schema.json"
    return path.read_text(encoding="utf-8")


def resolve_file(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read ``path`` and its ``extends:`` chain into one merged mapping."""
    path = path.resolve()
    if path in seen:
        raise RulesetError(path, "extends: forms a cycle", "$.extends")
    data = _read_yaml(path)
    parent_name = data.pop("extends", None)
    if parent_name is None:
        return data
    if not isinstance(parent_name, str):
        raise RulesetError(path, "extends must name a round, e.g. v5.0", "$.extends")
    # A bare round name ("v5.0") is a sibling file; a relative path ("../inference/v6.1") is resolved
    # from this file's folder, so a demo or private ruleset can build on a published round.
    parent_path = path.parent / (parent_name if parent_name.endswith(".yaml") else f"{parent_name}.yaml")
    return merge(resolve_file(parent_path, (*seen, path)), data)


def extends_chain(path: Path) -> list[Path]:
    """The files a rule file is made of: itself and its ``extends:`` parents (what a stored report depends on)."""
    chain: list[Path] = []
    while path.resolve() not in chain:
        path = path.resolve()
        chain.append(path)
        parent = _read_yaml(path).get("extends")
        if not isinstance(parent, str):
            break
        path = path.parent / (parent if parent.endswith(".yaml") else f"{parent}.yaml")
    return chain


def validate(data: dict[str, Any], suite: str, path: Path | str) -> None:
    """Validate merged rules against the suite's schema; the first error names its JSON path."""
    import jsonschema  # here, not at the top: a re-check served whole from the cache never validates

    validator = jsonschema.Draft202012Validator(_schema(suite))
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        raise RulesetError(path, first.message, json_path(first.absolute_path))


def validate_once(data: dict[str, Any], suite: str, path: Path | str) -> None:
    """:func:`validate`, remembered by content: the merged rules, the schema and the validator library's files.

    Every run and every worker loads the round's rules; validating them imports jsonschema and walks the schema
    (a quarter of a second). A content-addressed mark in the user's cache says this exact document passed this
    exact schema; only a pass is marked, so a broken rule file is still refused each time.
    """
    import hashlib
    from importlib.util import find_spec

    from checker.cache import cache_dir

    try:
        spec = find_spec("jsonschema")
        library = os.stat(os.path.dirname(spec.origin or "")) if spec is not None else None
        schema = _schema_text(suite)
        material = json.dumps([data, schema, suite, library and (library.st_mtime_ns, library.st_ino)],
                              sort_keys=True, default=str)  # fmt: skip
    except (OSError, TypeError, ValueError):
        validate(data, suite, path)
        return
    mark = cache_dir() / "validated" / hashlib.blake2b(material.encode(), digest_size=20).hexdigest()
    try:
        if mark.is_file():
            return
    except OSError:  # a cache this user cannot read is no cache: validate
        pass
    validate(data, suite, path)
    try:
        mark.parent.mkdir(parents=True, exist_ok=True)
        mark.touch()
    except OSError:  # an unwritable cache only costs time
        pass


def check_bounds(data: dict[str, Any], path: Path | str, rel_tol: float = 1e-9) -> None:
    """Accuracy bounds must be what they say: ``min`` (or ``max``) = ``reference`` x ``fraction``.

    The schema keeps ``reference`` and ``fraction`` next to the bound so a reviewer can check it; this makes
    the check part of loading, so a mistyped bound stops the run instead of judging results against it.
    Bounds marked ``absolute: true`` (SDXL's CLIP and FID windows) have no reference to check against.
    """
    for model, spec in (data.get("models") or {}).items():
        groups = {name: spec.get(name) for name in ("accuracy_targets", "accuracy_upper_limits")}
        by_scenario = spec.get("accuracy_targets_by_scenario") or {}
        groups.update({f"accuracy_targets_by_scenario.{k}": v for k, v in by_scenario.items()})
        for group, targets in groups.items():
            for i, target in enumerate(targets or []):
                if target.get("absolute"):
                    continue
                bound = target.get("min", target.get("max"))
                expected = target["reference"] * target["fraction"]
                if not math.isclose(bound, expected, rel_tol=rel_tol):
                    where = f"$.models.{model}.{group}[{i}]"
                    raise RulesetError(path, f"bound {bound} is not reference x fraction = {expected}", where)


@lru_cache(maxsize=32)
def load(suite: str, version: str, path: str | None = None) -> dict[str, Any]:
    """The merged, validated rules of one round (cached: a round is parsed once per process)."""
    file = Path(path) if path else data_dir("rules") / suite / f"{version}.yaml"
    data = resolve_file(file)
    validate_once(data, suite, file)
    if suite in ("inference", "endpoints"):
        check_bounds(data, file)
    return data
