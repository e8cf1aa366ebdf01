"""The actions of a prepare run, one line each, so the submitter can review what was done to the copy."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from checker.config import PREPARE_LOG as LOG_NAME  # at OUT's root; ST002 tolerates it as subcheck's own file


@dataclass(frozen=True)
class Action:
    """What was (or, in a dry run, would be) done, where (relative to OUT), and why."""

    what: str
    where: str
    why: str

    def line(self) -> str:
        return f"{self.what:<9} {self.where}: {self.why}"


@dataclass
class ActionLog:
    """The ordered actions of one run; written to ``OUT/prepare_log.txt`` when the run writes at all."""

    actions: list[Action] = field(default_factory=list)

    def add(self, what: str, where: str, why: str) -> Action:
        action = Action(what, where, why)
        self.actions.append(action)
        return action

    def lines(self) -> list[str]:
        return [a.line() for a in self.actions]

    def count(self, what: str) -> int:
        return sum(1 for a in self.actions if a.what == what)

    def write(self, out: Path) -> Path:
        """Write the log; a ``prepare_log.txt`` link copied from SRC is replaced, never written through."""
        path = out / LOG_NAME
        if path.is_symlink():
            path.unlink()
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
        with os.fdopen(os.open(path, flags, 0o644), "w", encoding="utf-8") as fh:
            fh.write("".join(line + "\n" for line in self.lines()))
        return path
