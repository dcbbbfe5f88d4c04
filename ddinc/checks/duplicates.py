"""Checks that compare incidents with each other: repeated ids and probable duplicates.

A probable duplicate is an incident with the same title (ignoring case and spacing) as another
one under a different id, at overlapping times: typically one outage recorded in two tools,
or twice in one. Finding them is sort-based, O(n log n): within one normalised title, sort by
``declared`` and start a new cluster whenever an incident starts after every earlier one has
ended. Every incident of a cluster of two or more overlaps at least one other, so a cluster
holding two or more ids is a group of probable duplicates. Nothing compares pairs, so one
title shared by thousands of incidents costs no more than thousands of distinct titles.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import polars as pl

from ddinc.checks._text import is_blank
from ddinc.checks.model import Check, CheckContext, Level

__all__ = [
    "DUPLICATE_CHECKS",
    "DUPLICATE_SOURCE_ID",
    "PROBABLE_DUPLICATE",
    "duplicate_clusters",
    "normalised_title",
]

_SHOWN: Final = 5
_SAME_ID: Final = ("source", "source_id")


def normalised_title() -> pl.Expr:
    """``title`` lowercased, runs of whitespace collapsed to one space, trimmed; blank -> null.

    >>> pl.DataFrame({"title": ["  DB   down ", "db down", " "]}).select(normalised_title())
    shape: (3, 1)
    ┌─────────┐
    │ title   │
    │ ---     │
    │ str     │
    ╞═════════╡
    │ db down │
    │ db down │
    │ null    │
    └─────────┘
    """
    title = pl.col("title").str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars()
    return pl.when(title != "").then(title).alias("title")


def _identity() -> pl.Expr:
    """``source/source_id``; a row without an id is only itself (its row key)."""
    source_id = pl.when(~is_blank(pl.col("source_id"))).then(pl.col("source_id"))
    same_id = pl.concat_str([pl.col("source").fill_null(""), source_id], separator="/")
    return pl.coalesce(same_id, pl.col("row_key"))


# The predicate and the message of probable_duplicate both need the clusters of the same
# frame in one run_checks call: remember the last answer (holding the frame itself, so an
# identity match can never be a different, recycled object).
_last_clusters: list[tuple[pl.DataFrame, CheckContext, pl.DataFrame]] = []


def _clusters_once(frame: pl.DataFrame, context: CheckContext) -> pl.DataFrame:
    if _last_clusters and _last_clusters[0][0] is frame and _last_clusters[0][1] == context:
        return _last_clusters[0][2]
    clusters = duplicate_clusters(frame, context)
    _last_clusters[:] = [(frame, context, clusters)]
    return clusters


def duplicate_clusters(frame: pl.DataFrame, context: CheckContext) -> pl.DataFrame:
    """The rows of ``frame`` that are probable duplicates, with their cluster.

    ``frame`` needs ``row`` (its positions), ``row_key``, ``source``, ``source_id``, ``title``,
    ``declared``, ``resolved``.
    Each incident spans ``[declared, resolved + slack]``, or the instant ``declared`` (plus
    slack) when it has no resolved time; a reversed interval spans ``[resolved, declared]``.
    Rows without a normalised title or a declared time are never duplicates.
    Returns columns ``row``, ``cluster``, ``identity``, one row per duplicate, in no
    particular order.
    """
    # min/max: a reversed interval still covers the span between its two ends.
    declared, resolved = pl.col("declared"), pl.col("resolved")
    start = pl.when(declared.is_not_null()).then(pl.min_horizontal(declared, resolved))
    end = pl.max_horizontal(declared, resolved) + pl.lit(context.duplicate_slack)
    spans = (
        frame.select(
            "row",
            normalised_title().alias("key"),
            start.alias("start"),
            end.alias("end"),
            _identity().alias("identity"),
        )
        .filter(pl.col("key").is_not_null() & pl.col("start").is_not_null())
        .filter(pl.len().over("key") > 1)
        .sort("key", "start")
    )
    # Integer group ids on the sorted frame: cheaper window keys than the titles themselves.
    new_key = (pl.col("key") != pl.col("key").shift(1)).fill_null(True)
    latest_end = pl.col("end").cum_max().shift(1).over("group")
    starts_cluster = (pl.col("start") > pl.col("latest_end")).fill_null(True)
    return (
        spans.with_columns(group=new_key.cum_sum())
        .with_columns(latest_end=latest_end)
        .with_columns(cluster=starts_cluster.cum_sum())
        .filter(pl.col("identity").n_unique().over("cluster") > 1)
        .select("row", "cluster", "identity")
    )


def _probable_duplicate(frame: pl.DataFrame, context: CheckContext) -> pl.Expr:
    rows = _clusters_once(frame, context)["row"]
    return pl.col("row").is_in(rows.implode())


def _probable_duplicate_details(
    frame: pl.DataFrame, context: CheckContext
) -> Mapping[str, pl.Expr]:
    clusters = _clusters_once(frame, context)
    members = clusters.group_by("cluster").agg(
        shown=pl.col("identity").unique().sort().head(_SHOWN + 1),
        n_ids=pl.col("identity").n_unique(),
    )
    # Each row against its cluster's first ids, less its own: a join and a filter, because a
    # per-row list difference costs seconds when most of a million-event log clusters.
    pairs = (
        clusters.join(members.explode("shown"), on="cluster")
        .filter(pl.col("shown") != pl.col("identity"))
        .group_by("row")
        .agg(pl.col("shown").sort().head(_SHOWN).alias("others"), pl.col("n_ids").first())
    )
    more = pl.col("n_ids") - 1 - pl.col("others").list.len()
    suffix = pl.when(more > 0).then(pl.format(" and {} more", more)).otherwise(pl.lit(""))
    text = pairs.select("row", others=pl.concat_str([pl.col("others").list.join(", "), suffix]))
    aligned = frame.select("row").join(text, on="row", how="left", maintain_order="left")
    return {"others": pl.lit(aligned["others"])}


PROBABLE_DUPLICATE: Final = Check(
    name="probable_duplicate",
    level=Level.WARNING,
    description="Same title (ignoring case and spacing) and overlapping [declared, resolved] "
    "under another id: probably one incident recorded twice.",
    message="same title as {others}, at overlapping times: probably the same incident; keep "
    "one, or confirm they are distinct",
    predicate=_probable_duplicate,
    columns=("declared", "resolved"),
    details=_probable_duplicate_details,
)


def _file_rows() -> pl.Expr:
    """Where each incident sits in its export: ``"4"``, ``"4+9"`` for an event log's rows.

    A frame built by hand has no file rows; its row key is the next best name."""
    rows = pl.col("source_rows").list.eval(pl.element().cast(pl.String)).list.join("+")
    return pl.when(pl.col("source_rows").list.len() > 0).then(rows).otherwise(pl.col("row_key"))


def _repeated_id() -> pl.Expr:
    return ~is_blank(pl.col("source_id")) & (pl.len().over(_SAME_ID) > 1)


DUPLICATE_SOURCE_ID: Final = Check(
    name="duplicate_source_id",
    level=Level.ERROR,
    description="The same source id more than once in a source: the import state file keys on "
    "it, so only one could be imported.",
    message="source id appears {count} times in this source (file rows {rows}); collapse "
    "event rows into one incident or make the ids unique",
    predicate=lambda frame, context: _repeated_id(),
    columns=("source_id",),
    details=lambda frame, context: {
        "count": pl.len().over(_SAME_ID).cast(pl.String),
        "rows": _file_rows().head(2 * _SHOWN).str.join(", ").over(_SAME_ID),
    },
)

DUPLICATE_CHECKS: Final = (DUPLICATE_SOURCE_ID, PROBABLE_DUPLICATE)
"""Checks that compare incidents with each other."""
