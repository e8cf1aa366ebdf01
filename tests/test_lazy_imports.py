"""What a LoadGen round's run does not import: the Endpoints client's parsers load only when a client's result is
read, and patterns that most runs never use are compiled where used; both still judge as before.
"""

from __future__ import annotations

import subprocess
import sys

from checker.reporters.human import plain
from checker.reporters.safe import spreadsheet_cell


def test_patterns_compiled_where_used_judge_as_before() -> None:
    assert plain("use ``x`` and :class:`~a.B`") == "use `x` and `a.B`"
    assert plain("no quotes") == "no quotes"
    assert spreadsheet_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and spreadsheet_cell("-3.5e2") == "-3.5e2"


def test_a_loadgen_run_s_modules_do_not_import_the_endpoints_client_parsers() -> None:
    probe = (
        "import sys, checker.ci, checker.checks, checker.suites.inference, checker.context_endpoints;"
        "print(sorted(m for m in sys.modules if m.startswith('checker.parsers.endpoints')))"
    )
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"
