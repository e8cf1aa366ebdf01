"""``make demo``: check the bundled demo submission (or a real v4.1 result when fixtures are absent)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


HINT = (
    "\nsubcheck is installed in {venv}, not on your PATH: run `source {venv}/activate` (then `subcheck ...`),\n"
    "or call `{venv}/subcheck ...` directly."
)


def main() -> int:
    status = _run()
    print(HINT.format(venv=os.path.relpath(Path(sys.executable).parent)), file=sys.stderr)
    return status


def _run() -> int:
    fixture = REPO / "fixtures" / "valid"
    if fixture.is_dir() and (REPO / "rules" / "demo").is_dir():
        command = ["subcheck", "check", str(fixture), "--rules", str(REPO / "rules" / "demo" / "demo.yaml")]
        print("$ " + " ".join(command), flush=True)
        return subprocess.call([sys.executable, "-m", "checker.cli", *command[1:]])
    source = REPO.parent / "shared" / "data" / "inference-v4.1" / "closed" / "ConnectTechInc"
    if not source.is_dir():
        print(f"demo data not found: {source}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "closed" / "ConnectTechInc"
        shutil.copytree(source, target)
        command = ["subcheck", "check", str(target.parent.parent), "--version", "v4.1"]
        print("$ " + " ".join(command), flush=True)
        return subprocess.call([sys.executable, "-m", "checker.cli", *command[1:]])


if __name__ == "__main__":
    sys.exit(main())
