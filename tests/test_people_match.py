"""The one rule people are matched by, and the modules that must use it."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddinc.clean import MapPerson, replay
from ddinc.clean.people import unmapped_people
from ddinc.payloads import normalize_email, normalize_name
from ddinc.people_match import person_key, person_keys
from tests.clean.conftest import frame_of, incident

SPELLINGS = [" Ann.Lee@Example.com", "ann.lee@example.com ", "ANN.LEE@EXAMPLE.COM"]


def test_one_person_written_three_ways_is_one_key() -> None:
    assert {person_key(text) for text in SPELLINGS} == {"ann.lee@example.com"}
    assert person_key("Ann \t  Lee") == "ann lee"
    assert person_key("Straße") == person_key("STRASSE")


def test_close_spellings_are_different_people() -> None:
    assert person_key("ben.larsen@example.com") != person_key("ines.larsen@example.com")
    assert person_key("priya.nunez@example.com") != person_key("maya.nunez@example.com")


@pytest.mark.slow
@given(st.lists(st.one_of(st.none(), st.text(max_size=12)), max_size=20))
def test_the_series_form_is_the_same_rule(values: list[str | None]) -> None:
    keys = person_keys(pl.Series(values, dtype=pl.String)).to_list()
    assert keys == [None if v is None else person_key(v) for v in values]


def test_payloads_recipe_steps_and_people_list_use_the_rule() -> None:
    for text in ("  Ann   LEE ", "Ann.Lee@Example.com "):
        assert normalize_name(text) == person_key(text)
        assert normalize_email(text) == person_key(text)
    frame = frame_of(
        incident(commander="Ann   Lee", declared_by="ann lee"),
        incident(commander="ANN LEE ", declared_by="Anne Lee"),
    )
    done = replay(frame, [MapPerson(person="ann lee", email="ann.lee@example.com")]).frame
    assert done["commander"].to_list() == ["ann.lee@example.com"] * 2
    assert done["declared_by"].to_list() == ["ann.lee@example.com", "Anne Lee"]
    known = frame_of(incident(commander="Ann.Lee@Example.com  ", declared_by="x  Y"))
    assert unmapped_people(known, ["ann.lee@example.com", "X y"]) == []
