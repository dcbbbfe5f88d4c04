"""The README's quick start is what CI runs, and every CLI command is documented."""

from __future__ import annotations

import re

from ddinc.cli import build_parser
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(?:sh|bash|console)?\n(.*?)\n```", section, flags=re.S)


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    commands = quick_start_commands()
    assert len(commands) == 2, commands
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1].strip() in ci.splitlines()


def test_demo_command_runs_the_demo() -> None:
    assert commands_demo().endswith("ddinc demo")


def commands_demo() -> str:
    return quick_start_commands()[0].strip()


def test_every_cli_command_is_documented_in_the_readme() -> None:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    for name in subparsers.choices:  # type: ignore[attr-defined]
        assert f"ddinc {name}" in README, f"README does not document `ddinc {name}`"
