"""ddinc.encodings: UTF-16/32 with or without a byte-order mark, Windows-1252, said in notes."""

from __future__ import annotations

import doctest

import pytest
from hypothesis import given
from hypothesis import strategies as st

import ddinc.encodings
from ddinc.encodings import decode, wide_encoding
from ddinc.errors import LoadError

TEXT = "Incident #,What happened,Opened\nINC-1,Café down,5/3/2016 12:00\n"


@pytest.mark.parametrize(
    ("codec", "name"),
    [
        ("utf-16-le", "UTF-16LE"),
        ("utf-16-be", "UTF-16BE"),
        ("utf-32-le", "UTF-32LE"),
        ("utf-32-be", "UTF-32BE"),
    ],
)
def test_bomless_wide_text_decodes_and_the_note_names_the_encoding(codec: str, name: str) -> None:
    data, notes = decode(TEXT.encode(codec), "x.csv")
    assert data.decode() == TEXT
    assert notes == (f"x.csv: decoded from {name} without a byte-order mark",)


def test_utf8_is_left_alone() -> None:
    assert decode(TEXT.encode(), "x.csv") == (TEXT.encode(), ())


def test_cp1252_falls_back_with_the_line_of_the_first_bad_byte() -> None:
    data, (note,) = decode(TEXT.encode("cp1252"), "x.csv")
    assert data.decode() == TEXT
    assert "line 2" in note


def test_damaged_wide_text_is_a_load_error_saying_how_to_resave() -> None:
    with pytest.raises(LoadError, match=r"UTF-32LE.*CSV UTF-8"):
        decode(TEXT.encode("utf-32-le")[:-2], "x.csv")


@given(st.text(min_size=8), st.lists(st.integers(min_value=0, max_value=10_000), max_size=20))
def test_nul_bytes_in_utf8_text_never_look_like_a_wide_encoding(
    text: str, places: list[int]
) -> None:
    data = bytearray(text.encode())
    for place in places:
        data.insert(place % (len(data) + 1), 0)
    if data.count(0) * 2 < len(data):  # a file that is mostly NUL is not text in any encoding
        assert wide_encoding(bytes(data)) is None


@given(st.text(alphabet=st.characters(max_codepoint=0x7F), min_size=4))
def test_ascii_text_in_any_wide_encoding_is_recognised(text: str) -> None:
    for codec in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
        found = wide_encoding(text.encode(codec))
        if "\x00" not in text:
            assert found is not None
            assert found[0] == codec


def test_the_docstring_examples_hold() -> None:
    assert doctest.testmod(ddinc.encodings).failed == 0
