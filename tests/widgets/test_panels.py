"""The panels' previews: the same table wherever a frame is shown in a panel."""

from __future__ import annotations

import polars as pl

from ddinc.widgets.panels import frame_html


def test_previews_show_null_and_empty_apart_escaped_and_cut() -> None:
    frame = pl.DataFrame({"title": [None, "", "<b>x</b>", "abcdef"]})
    shown = frame_html(frame, limit=3, max_chars=4)
    assert "<td><i>null</i></td>" in shown
    assert "<td></td>" in shown
    assert "<b>x" not in shown
    # Cut at 4 characters, then escaped; the whole text is the cell's tooltip.
    assert "title='&lt;b&gt;x&lt;/b&gt;'>&lt;b&gt;x</td>" in shown
    assert "abcd" not in shown  # the fourth row is past the limit
    assert "1 more" in shown
