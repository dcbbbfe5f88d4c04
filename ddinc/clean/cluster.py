"""Clustering: groups of values that probably mean the same thing (``DB team``, ``db-team``).

Three methods, as in OpenRefine, each giving clusters with the count of every value:

- ``fingerprint``: lowercase, punctuation dropped, words deduplicated and sorted; values with
  the same key cluster. Exact and fast (vectorised over every distinct value).
- ``ngram``: the sorted set of character bigrams of the value without spaces and punctuation;
  catches ``Datadog`` / ``Data dog`` / ``datadgo``-style typos fingerprint misses.
- ``levenshtein``: normalised edit similarity (rapidfuzz) at or above ``threshold``, grouped
  transitively.

The last two compare distinct values with each other, so on a large column they look at the
``max_values`` most frequent ones and say so (``Cluster.sampled``). Neither groups values whose
digits differ: ``Opened by 110`` and ``Opened by 111`` are two people, not a typo.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

import polars as pl
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from ddinc.clean.facets import Where
from ddinc.clean.ops import MergeCluster
from ddinc.errors import ConfigError

__all__ = [
    "METHODS",
    "Cluster",
    "Method",
    "cluster_values",
    "fingerprint",
    "ngram_key",
]

Method = Literal["fingerprint", "ngram", "levenshtein"]
METHODS: Final = ("fingerprint", "ngram", "levenshtein")
_PUNCTUATION: Final = re.compile(r"[^\w\s]", re.UNICODE)
_NOT_WORD: Final = re.compile(r"[\W_]+", re.UNICODE)
_DIGITS: Final = re.compile(r"\d+")


def _digits(value: str) -> tuple[str, ...]:
    return tuple(_DIGITS.findall(value))


@dataclass(frozen=True)
class Cluster:
    """Values of ``column`` that probably mean the same, most frequent first, with counts."""

    column: str
    method: str
    values: tuple[tuple[str, int], ...]
    sampled: bool = False

    @property
    def into(self) -> str:
        """The value to merge into: the most frequent one."""
        return self.values[0][0]

    @property
    def rows(self) -> int:
        """Rows holding any value of the cluster."""
        return sum(count for _, count in self.values)

    def merge(self, into: str | None = None, where: Where | None = None) -> MergeCluster:
        """The recipe step merging this cluster (into the most frequent value by default)."""
        return MergeCluster(
            column=self.column,
            values=[value for value, _ in self.values],
            into=self.into if into is None else into,
            where=where,
            note=f"{self.method} cluster of {len(self.values)} values, {self.rows} rows",
        )


def fingerprint(value: str) -> str:
    """OpenRefine's fingerprint key of ``value``.

    >>> fingerprint("  Payments-Team, payments ")
    'payments paymentsteam'
    """
    words = _PUNCTUATION.sub("", value.strip().lower()).split()
    return " ".join(sorted(set(words)))


def ngram_key(value: str, n: int = 2) -> str:
    """Sorted distinct character ``n``-grams of ``value`` without spaces or punctuation.

    >>> ngram_key("Data dog") == ngram_key("datadog")
    True
    """
    text = _NOT_WORD.sub("", value.lower())
    grams = {text[i : i + n] for i in range(max(len(text) - n + 1, 1))}
    return "".join(sorted(grams))


def _counts(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    if column not in frame.columns:
        raise ConfigError(
            f"no column {column!r} to cluster; columns are {', '.join(frame.columns)}"
        )
    values = frame.get_column(column)
    if isinstance(values.dtype, pl.List):
        values = values.explode(empty_as_null=False)
    values = values.cast(pl.String).drop_nulls().alias("value")
    return (
        values.value_counts(sort=True, name="count")
        .filter(pl.col("value").str.strip_chars() != "")
        .sort(["count", "value"], descending=[True, False])
    )


def _groups(values: list[str], labels: list[object]) -> list[list[int]]:
    by_label: dict[object, list[int]] = {}
    for index, label in enumerate(labels):
        by_label.setdefault(label, []).append(index)
    return [members for members in by_label.values() if len(members) > 1]


def _similar(values: list[str], threshold: float) -> list[list[int]]:
    matrix = process.cdist(
        values,
        values,
        scorer=Levenshtein.normalized_similarity,
        processor=lambda text: text.strip().lower(),
        score_cutoff=threshold,
        workers=1,
    )
    parent = list(range(len(values)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    digits = [_digits(value) for value in values]
    rows, cols = matrix.nonzero()
    for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
        if i < j and digits[i] == digits[j]:
            parent[root(i)] = root(j)
    return _groups(values, [root(i) for i in range(len(values))])


def cluster_values(
    frame: pl.DataFrame,
    column: str,
    method: Method = "fingerprint",
    *,
    threshold: float = 0.85,
    max_values: int = 2_000,
) -> list[Cluster]:
    """Clusters of near-duplicate values of ``column``, biggest first.

    Parameters
    ----------
    frame
        Any frame; a list column (teams, services) is clustered over its entries.
    method
        ``fingerprint``, ``ngram`` or ``levenshtein`` (see the module docstring).
    threshold
        Normalised Levenshtein similarity (0-1) for ``levenshtein``.
    max_values
        Distinct values compared pairwise (``ngram``, ``levenshtein``) at most: the most
        frequent ones. ``fingerprint`` always looks at every value.
    """
    if method not in METHODS:
        raise ConfigError(f"clustering method {method!r} is not one of {', '.join(METHODS)}")
    counts = _counts(frame, column)
    sampled = False
    if method == "fingerprint":
        keyed = counts.with_columns(
            key=pl.col("value")
            .str.to_lowercase()
            .str.replace_all(r"[^\w\s]", "")
            .str.strip_chars()
            .str.split(" ")
            .list.eval(pl.element().filter(pl.element() != ""))
            .list.unique()
            .list.sort()
            .list.join(" ")
        )
        grouped = (
            keyed.group_by("key", maintain_order=True)
            .agg(pl.col("value"), pl.col("count"))
            .filter(pl.col("value").list.len() > 1)
        )
        found = [
            list(zip(row["value"], row["count"], strict=True))
            for row in grouped.iter_rows(named=True)
        ]
    else:
        if counts.height > max_values:
            counts, sampled = counts.head(max_values), True
        values = counts.get_column("value").to_list()
        tallies = counts.get_column("count").to_list()
        members = (
            _groups(values, [(ngram_key(v), _digits(v)) for v in values])
            if method == "ngram"
            else _similar(values, threshold)
        )
        found = [[(values[i], tallies[i]) for i in group] for group in members]
    clusters = [
        Cluster(
            column=column,
            method=method,
            values=tuple(sorted(group, key=lambda item: (-item[1], item[0]))),
            sampled=sampled,
        )
        for group in found
    ]
    return sorted(clusters, key=lambda c: (-c.rows, c.into))
