"""Reading a column with several styles in turn (ddinc.timestamps._cascade)."""

from __future__ import annotations

from tests.timestamps._helpers import parse, utc


def test_mixed_styles_in_one_column_all_parse() -> None:
    parsed = parse(
        ["5/3/2016 12:00", "05-03-2016 12:00", "2016-03-05T12:00:00", "5.3.2016 12:00:00", "?"]
    )
    assert parsed.values.to_list() == [utc(2016, 3, 5, 12)] * 4 + [None]
    assert not parsed.invalid.any()
    assert len(parsed.styles) == len(parsed.format_codes) == 4


def test_repeated_garbage_in_a_long_column_is_flagged_row_by_row() -> None:
    values = ["13/3/2016 12:00", "unknown", "TBD", "?"] * 1000
    parsed = parse(values)
    assert parsed.invalid.sum() == 2000
    assert parsed.invalid.to_list()[:4] == [False, True, True, False]
    assert parsed.values.null_count() == 3000
