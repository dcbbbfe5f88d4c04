"""How a person is matched, everywhere: one rule for payloads, recipe steps and the Cleaner.

A person written in a legacy export (an email, a handle, a display name) is compared by
:func:`person_key`: trimmed, inner whitespace collapsed to one space, case-folded. So
``" Ann.Lee@Example.com"`` is the user ``ann.lee@example.com`` and ``"Ann  LEE"`` is the name
``ann lee``. Nothing is matched by a looser rule: two people whose spellings are close
(``ben.larsen@`` / ``ines.larsen@``) are two people; who they are is the users API's answer.

This module sits below :mod:`ddinc.clean` and :mod:`ddinc.payloads` so both can use it.
"""

from __future__ import annotations

import polars as pl

__all__ = ["person_key", "person_keys"]


def person_key(text: str) -> str:
    """``text`` as people are matched: trimmed, single-spaced, case-folded.

    >>> person_key("  Ann   LEE "), person_key(" Ann.Lee@Example.com")
    ('ann lee', 'ann.lee@example.com')
    """
    return " ".join(text.split()).casefold()


def person_keys(values: pl.Series) -> pl.Series:
    """:func:`person_key` of every value (nulls stay null), computed once per distinct value.

    >>> person_keys(pl.Series(["Ann  Lee", None, "ann lee"])).to_list()
    ['ann lee', None, 'ann lee']
    """
    text = values.cast(pl.String)
    distinct = text.drop_nulls().unique()
    keys = pl.Series([person_key(value) for value in distinct.to_list()], dtype=pl.String)
    return text.replace_strict(distinct, keys, default=None, return_dtype=pl.String)
