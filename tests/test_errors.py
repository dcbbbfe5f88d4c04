"""ddinc.errors: one tree, messages that say where, and never a control character raw."""

from __future__ import annotations

import doctest
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import ddinc
import ddinc.errors
from ddinc.datadog.errors import DatadogConnectionError
from ddinc.errors import ConfigError, DdincError, LoadError, printable

ESC = "\x1b[2J\x1b[31m"  # clear the screen, then red


def test_printable_escapes_what_a_terminal_would_act_on() -> None:
    assert printable(f"id{ESC}") == "id\\x1b[2J\\x1b[31m"
    # NUL, CR, LF, a bidi override and a BOM all act instead of showing.
    assert printable("a\x00b\rc\nd\u202ee\ufefff") == "a\\x00b\\rc\\nd\\u202ee\\ufefff"


def test_printable_keeps_ordinary_text_of_any_script() -> None:
    text = "Café down, Zürich slow, 東京 障害, naïve — “quoted”"
    assert printable(text) == text


@given(st.text())
def test_printable_output_is_printable_and_only_grows(text: str) -> None:
    shown = printable(text)
    acting = {"Cc", "Cf", "Cs", "Zl", "Zp"}
    assert not any(unicodedata.category(char) in acting for char in shown)
    assert len(shown) >= len(text)


def test_load_error_escapes_every_part_that_quotes_the_file() -> None:
    error = LoadError(
        f"the mapping needs column 'id{ESC}'",
        hint=f"columns in the file: a{ESC}, b\rc",
        file=f"ex{ESC}port.csv",
        column=f"name{ESC}",
        value=f"v{ESC}",
    )
    message = str(error)
    assert "\x1b" not in message
    assert "\r" not in message
    assert message.count("\\x1b[2J") == 5
    # The attributes keep the real text: a notebook points at the real cell with them.
    assert error.column == f"name{ESC}"


@pytest.mark.parametrize(
    "make",
    [
        lambda text: ConfigError(f"unknown option {text!s}"),
        DdincError,
        lambda text: DatadogConnectionError(text, operation="import", host="h", sent=False),
    ],
)
def test_every_error_of_the_tree_is_made_printable(make: object) -> None:
    assert callable(make)
    error = make(f"x{ESC}\u202e")
    assert isinstance(error, DdincError)
    assert "\x1b" not in str(error)
    assert "\u202e" not in str(error)


def test_a_load_of_a_file_with_escapes_in_its_header_raises_a_printable_error(
    tmp_path: Path,
) -> None:
    path = tmp_path / "evil.csv"
    path.write_text(f"id{ESC},title\u202e\n1,a\n", encoding="utf-8")
    mapping = ddinc.Mapping(source="s", id="id", columns={"title": "title"})
    with pytest.raises(LoadError) as caught:
        ddinc.load(path, mapping)
    assert "\x1b" not in str(caught.value)
    assert "\u202e" not in str(caught.value)
    assert "id\\x1b[2J" in str(caught.value)


def test_the_docstring_examples_hold() -> None:
    assert doctest.testmod(ddinc.errors).failed == 0
