"""The ``subcheck`` program: a re-check served from the cache is answered before click and the commands load.

:func:`program` reads a plain ``subcheck check PATH`` (with options that only go into the run's key or the shape
of the text written) itself, makes the same key as the click command (:func:`checker.recheck.check_key`), and when
the tree is unchanged and this very report was written before, writes it again and ends. Anything else (another
command, an option it does not read, a settings file, a miss, any error) goes to the click application
(:mod:`checker.cli_app`) with the argument list untouched, which decides and reports as always; what this module
learnt (the stored entry's compare) is handed on, never done twice. Importing click and the command modules took
about a fifth of a served run; ``subcheck --version`` is answered here too.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not typing's: the served path imports no module it does not run
if TYPE_CHECKING:
    from typing import Any, NoReturn

_PROGRAM = False  # set by program(): this process is the subcheck command, not a caller of main()
_FLAGS = {"-q": "quiet", "--quiet": "quiet", "-v": "verbose", "--verbose": "verbose", "--published": "published",
          "--debug": "debug"}  # fmt: skip
_VALUES = {"--version": "version", "--suite": "suite", "--rules": "rules", "--submitter": "submitter",
           "--format": "fmt", "--select": "select", "--ignore": "ignore", "--show": "show",
           "--min-severity": "min_severity", "--jobs": "jobs", "-j": "jobs"}  # fmt: skip
_TEXT_FORMATS = ("csv", "json", "junit", "sarif", "text")  # built in, written to standard output with no side effect


def __getattr__(name: str) -> Any:
    """``main`` and the rest of the click application (:mod:`checker.cli_app`), imported when first asked for."""
    if name.startswith("__"):
        raise AttributeError(name)
    from checker import cli_app

    return getattr(cli_app, name)


def running_as_program() -> bool:
    """Whether this process is the ``subcheck`` program (which may end without the interpreter's teardown)."""
    return _PROGRAM


def serve(written: tuple[int, str]) -> NoReturn:
    """Write a stored report and end at once: the run did nothing else (no worker, no file, no engine), and the
    interpreter's teardown frees what the system frees anyway (about a tenth of such a run). The output is flushed
    first, so a closed pipe still says so (exit 1 and nothing more, as the click command does).
    """
    try:
        sys.stdout.write(written[1])
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        os._exit(1)
    os._exit(written[0])


def parse_check(argv: list[str]) -> dict[str, Any] | None:
    """The options of ``check PATH ...`` as the click command would take them, or None when this reading is not
    sure to agree with click's (any other form goes to click, which decides).
    """
    if len(argv) < 2 or argv[0] != "check":
        return None
    found: dict[str, Any] = {"show": []}
    paths: list[str] = []
    tokens = iter(argv[1:])
    for token in tokens:
        if not token.startswith("-"):
            paths.append(token)
            continue
        name, equals, value = token.partition("=")
        if name in _FLAGS and not equals:
            found[_FLAGS[name]] = True
            continue
        if name not in _VALUES or (equals and not name.startswith("--")):
            return None  # -h, --output, --waivers, --plugin, --no-cache, "--", -qv, -j4...: click reads them
        if not equals:
            value = next(tokens, None)  # type: ignore[arg-type]
            if value is None:
                return None
        if not value or value.startswith("-"):
            return None
        if _VALUES[name] == "show":
            found["show"].append(value)
        else:
            found[_VALUES[name]] = value
    jobs = found.get("jobs", "1")
    if len(paths) != 1 or paths[0].startswith("~") or not (jobs.isascii() and jobs.isdigit() and 1 <= int(jobs) <= 64):
        return None
    found["path"] = paths[0]
    return found


def _no_settings(root: str) -> bool:
    """Whether no settings file can apply to ``root``: none of :mod:`checker.config`'s files is anywhere it looks
    (:func:`checker.settings_places.settings_folders`); any doubt is False, and click reads the settings.
    """
    from checker.settings_places import NAMES, settings_folders

    try:
        for folder in settings_folders(root):
            for name in NAMES:
                try:
                    os.stat(os.path.join(folder, name))
                except (FileNotFoundError, NotADirectoryError):
                    continue
                return False
    except OSError:
        return False
    return True


def _served(argv: list[str]) -> tuple[int, str] | None:
    """The report a plain re-check wrote before, when its tree is unchanged; None to run the click command (which
    then reuses this lookup, :func:`checker.recheck.prime`).
    """
    asked = parse_check(argv)
    fmt = asked.get("fmt", "text") if asked else None
    if asked is None or fmt not in _TEXT_FORMATS:
        return None
    try:
        root = os.path.realpath(asked["path"], strict=True)
        rules = asked.get("rules")
        rules_at = os.path.realpath(rules) if rules else None
    except (OSError, ValueError):
        return None
    if not os.path.isdir(root) or not _no_settings(root):
        return None
    from checker.recheck import check_key, lookup, prime, render_shape
    from checker.width import width_for

    flags = {name: bool(asked.get(name)) for name in ("published", "debug")}
    picked = {name: asked.get(name) for name in ("submitter", "select", "ignore")}
    key = check_key(root, asked.get("suite", "auto"), asked.get("version"), rules_at, **picked, **flags)
    if key is None:
        return None
    found = lookup(key, root)
    stored = found[0]
    shape = render_shape(fmt, tuple(asked["show"]), bool(asked.get("verbose")), bool(asked.get("quiet")),
                         asked.get("min_severity") or "notice", width_for(sys.stdout), None)  # fmt: skip
    written = stored.renders.get(shape) if stored is not None else None
    if written is None:
        prime(key, root, found)
    return written


def program() -> None:
    """The ``subcheck`` executable: a served re-check or ``--version`` here, everything else in click's
    :func:`checker.cli_app.main`.
    """
    global _PROGRAM  # noqa: PLW0603 - one switch for the whole process, set once before anything runs
    _PROGRAM = True
    argv = sys.argv[1:]
    if argv == ["--version"]:
        from checker import __version__

        sys.stdout.write(f"subcheck, version {__version__}\n")
        sys.exit(0)
    try:
        written = _served(argv)
    except KeyboardInterrupt:
        sys.stderr.write("subcheck: interrupted\n")
        sys.exit(2)
    except Exception:  # noqa: BLE001 - any surprise: the click command runs and reports as always
        written = None
    if written is not None:
        serve(written)
    from checker.cli_app import main

    main()


if __name__ == "__main__":
    program()
