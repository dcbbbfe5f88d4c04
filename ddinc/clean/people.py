"""Legacy people (display names, handles, old emails) matched to Datadog users.

The import links a commander or a declarer by Datadog user id, found by email; a legacy
export often names people by display name. :func:`unmapped_people` lists who needs a
mapping; :func:`propose_user` finds the most similar user by name or email (a proposal: the
analyst confirms it, and the recipe records it as a :class:`~ddinc.clean.ops.MapPerson`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import polars as pl
from rapidfuzz import fuzz, process

from ddinc.people_match import person_key, person_keys

__all__ = ["Person", "UserChoice", "propose_user", "unmapped_people"]


@dataclass(frozen=True)
class UserChoice:
    """A Datadog user as the people panel offers it."""

    id: str
    email: str
    name: str

    @property
    def label(self) -> str:
        """``Name <email>``."""
        return f"{self.name} <{self.email}>" if self.name else self.email


@dataclass(frozen=True)
class Person:
    """A legacy person with how many rows name them, and the proposed user (if any)."""

    name: str
    rows: int
    proposal: UserChoice | None
    score: float


def unmapped_people(
    frame: pl.DataFrame,
    known_emails: Collection[str],
    columns: Sequence[str] = ("commander", "declared_by"),
) -> list[tuple[str, int]]:
    """People named in ``columns`` that are not a known Datadog email, most frequent first.

    Compared by :func:`~ddinc.people_match.person_key`, as payloads and recipe steps compare.
    """
    known = pl.Series(sorted({person_key(email) for email in known_emails}), dtype=pl.String)
    names = pl.concat(
        [frame.get_column(c).cast(pl.String).alias("name") for c in columns if c in frame.columns]
    )
    names = names.drop_nulls().filter(names.drop_nulls().str.strip_chars() != "")
    unknown = names.filter(~person_keys(names).is_in(known.implode()))
    counts = unknown.value_counts(sort=True, name="rows").sort(
        ["rows", "name"], descending=[True, False]
    )
    return [(name, rows) for name, rows in counts.iter_rows()]


def propose_user(
    name: str, users: Sequence[UserChoice], cutoff: float = 80.0
) -> tuple[UserChoice | None, float]:
    """The user whose name or email looks most like ``name`` (``None`` below ``cutoff``, 0-100).

    >>> ann = UserChoice("u1", "ann.lee@example.com", "Ann Lee")
    >>> propose_user("ann  lee", [ann])[0] == ann, propose_user("Zed", [ann])[0]
    (True, None)
    """
    if not users:
        return None, 0.0
    keys = [f"{u.name} {u.email.split('@')[0].replace('.', ' ')}" for u in users]
    match = process.extractOne(
        " ".join(name.replace(".", " ").split()),
        keys,
        scorer=fuzz.token_set_ratio,
        processor=lambda text: text.lower(),
        score_cutoff=cutoff,
    )
    if match is None:
        return None, 0.0
    return users[match[2]], float(match[1])
