"""The actions of a prepare run, one line each, so the submitter can review what was done to the copy."""

from __future__ import annotations

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
        path = out / LOG_NAME
        path.write_text("".join(line + "\n" for line in self.lines()), encoding="utf-8")
        return path
