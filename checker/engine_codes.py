"""Codes the engine emits itself: a crashing rule, nothing to check, a result without a table row, and the
findings of ``subcheck ci`` and of waivers. Declared in the registry so every code can be listed, explained,
selected and ignored the same way.
"""

from __future__ import annotations

from checker.findings import Severity
from checker.registry import declare

RULE_CRASHED = declare(
    "EN001",
    "rule-crashed",
    severity=Severity.ERROR,
    fix="Report this to the subcheck maintainers with the file named; run with --debug for the traceback.",
    doc="""A rule raised an exception while judging this unit, so the unit could not be judged.

    Fail closed: what a rule could not judge is not accepted. The finding names the rule, the file it was
    judging and the exception's last frame; the unit (result, system or submitter) is rejected and the run goes
    on with the other rules and units. ``--debug`` prints the full traceback.

    Passes: every rule returns normally.
    Fails: a rule raises, e.g. OverflowError on a latency of 10^400 ns.""",
)

NOTHING_TO_CHECK = declare(
    "EN002",
    "nothing-to-check",
    severity=Severity.ERROR,
    fix="Point subcheck at a submission tree that holds results (results/<system>/<benchmark>/<scenario>).",
    doc="""A submitter, division or tree holds no result that could be checked.

    A gate that passes an empty tree can be opened by deleting everything: nothing checkable is not valid.

    Passes: the submitter folder holds at least one result folder.
    Fails: ``closed/ACME/`` has no ``results/`` folder, or it is empty.""",
)

NO_TABLE_ROW = declare(
    "EN003",
    "result-not-tabled",
    severity=Severity.ERROR,
    fix="Make sure the result's performance log states its primary metric; the finding says what was missing.",
    doc="""A result was discovered but no results-table row could be made for it.

    Every discovered result has a row; one whose row cannot be made is rejected rather than silently dropped
    from the table (a throughput of 10^400 used to make a result vanish instead of failing).

    Passes: the result's row is built from its logs.
    Fails: building the row raised, or gave no row and no other rule rejected the result.""",
)

RESULT_REMOVED = declare(
    "CI001",
    "result-removed",
    severity=Severity.NOTICE,
    suite="any",
    fix="Nothing to fix when the removal is intended; otherwise restore the result folder.",
    doc="""``subcheck ci``: the change removes (or moves away) a result folder.

    Reported so reviewers see withdrawn results; a removal that leaves a benchmark without a
    required scenario is reported separately by ST009 for its system.

    Passes: a change that edits result files. Fails (notice): a change that deletes a result folder.""",
)

FILES_FOR_MISSING_RESULT = declare(
    "CI002",
    "files-for-missing-result",
    severity=Severity.WARNING,
    suite="inference",
    fix="Add the matching results/<system>/<benchmark>/<scenario> folder, or remove the orphaned files.",
    doc="""``subcheck ci``: the change adds measurements or compliance files for a result that has no results folder.

    Files under ``measurements/`` or ``compliance/`` belong to a result; without its ``results/``
    folder they are never checked and never published as a result.

    Passes: measurements added with their results folder. Fails: measurements added for a result that has none.""",
)

WAIVER_EXPIRED = declare(
    "WV001",
    "waiver-expired",
    severity=Severity.WARNING,
    fix="Fix what the waiver covered, or renew the waiver with a new expiry date and approval.",
    doc="""A waiver's expiry date has passed; it no longer waives anything.

    Reported as a warning: the findings the waiver covered are reported unwaived again, so an
    error among them fails the run by itself. The waiver is valid through its ``expires`` day.

    Passes: ``expires`` today or later. Fails: ``expires`` yesterday.""",
)

WAIVER_UNUSED = declare(
    "WV002",
    "waiver-unused",
    severity=Severity.WARNING,
    fix="Remove the waiver, or correct its code or path glob.",
    doc="""A waiver matched no finding: it is stale, or its code or path glob is wrong.

    ``subcheck ci`` judges only waivers whose glob covers a path the change touched.

    Passes: a waiver that matches a finding. Fails: a waiver whose code or path glob matches none.""",
)

WAIVER_FILE_INVALID = declare(
    "WV003",
    "waiver-file-invalid",
    severity=Severity.ERROR,
    fix="Correct the waiver file at the JSON path named; see schemas/waivers.schema.json.",
    doc="""The waiver file is not valid YAML or not valid against ``schemas/waivers.schema.json``.

    The run stops with exit code 2, naming the JSON path of the problem: a broken waiver file
    must never silently waive (or stop waiving) anything.

    Passes: a list of waivers valid against the schema. Fails: a waiver without ``approved_by`` (exit 2).""",
)


from checker.plugins import findings as _plugin_codes  # noqa: E402, F401  (declares EN004, EN005)
