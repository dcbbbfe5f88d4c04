"""Fixes proposed by the checks: recipe steps the analyst previews and accepts, a group at a time.

- times the record's own text states (its ``notes`` and carried ``field.*`` text, see
  :mod:`ddinc.clean.text_times`): back-filled records (``zero_length_incident``) get declared
  from their first update and resolved from the last one saying resolved, resolved records
  without a time (``resolved_time_missing``) their resolved time, records without an impact
  window the one their text writes; each cell names the words it came from, enabled by
  default. Records whose text holds no time stay flagged.
- ``whole_hour_offset``: a source whose span is the same whole number of hours for many rows
  gets a time zone change of the later column.
- ``state_unmapped``: the nearest known state, proposed *disabled* (never applied unasked).
- ``title_missing``: a title built from named legacy columns (ServiceNow: category,
  subcategory, symptom; :data:`TITLE_PARTS`), proposed *disabled*.
- near-duplicate teams, services, incident types and carried categorical fields
  (:mod:`ddinc.clean.cluster`): values differing only in case, spacing or punctuation merge
  into the well-formed spelling (enabled); fuzzy clusters are offered *disabled*, labelled as
  guesses with their evidence. People are never merged by spelling: they are matched to
  Datadog users (:mod:`ddinc.people_match`).

Every suggestion is ``safe`` (enabled by default: evidence a person would accept unread) or a
``guess`` (:attr:`Suggestion.confidence`); :func:`proposals_recipe` writes guesses disabled
and labels every step with its confidence.

Nothing here changes a frame: :func:`suggest` returns :class:`Suggestion` values;
:func:`proposals_recipe` turns them into a recipe (what ``ddinc suggest`` writes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

import polars as pl
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from ddinc.checks import CheckContext, CheckReport, run_checks
from ddinc.clean.cluster import Cluster, cluster_values
from ddinc.clean.ops import FillFromText, Op, SetValues, Shift, TextCell
from ddinc.clean.recipe import Recipe, replay
from ddinc.clean.text_times import text_fills
from ddinc.clean.values import to_json
from ddinc.errors import ConfigError
from ddinc.rowkey import ROW_KEY
from ddinc.schema import FIELD_PREFIX, STATES
from ddinc.timeline import DEFINITIONS

__all__ = [
    "TITLE_PARTS",
    "Suggestion",
    "nearest_state",
    "proposals_recipe",
    "suggest",
]

# Words of legacy states that say which Datadog state they mean, before any fuzzy match.
_STATE_WORDS: Final = {
    "closed": "resolved",
    "close": "resolved",
    "done": "resolved",
    "fixed": "resolved",
    "solved": "resolved",
    "resolve": "resolved",
    "open": "active",
    "new": "active",
    "in progress": "active",
    "investigating": "active",
    "identified": "active",
    "triggered": "active",
    "acknowledged": "active",
    "monitoring": "stable",
    "mitigated": "stable",
    "on hold": "stable",
}
# People (commander, declared_by) are matched to Datadog users, never clustered.
_CLUSTER_COLUMNS: Final = ("teams", "services", "incident_type")
# A carried field is clustered when it looks like a vocabulary: at most this share distinct.
_CATEGORICAL_SHARE: Final = 0.5
_CLUSTER_METHODS: Final = ("spelling", "fingerprint", "levenshtein")
TITLE_PARTS: Final[dict[str, tuple[str, ...]]] = {
    "servicenow": ("category", "subcategory", "u_symptom"),
}
"""Per source, the legacy columns a missing title is built from (joined with `` / ``)."""


@dataclass(frozen=True)
class Suggestion:
    """A proposed group of steps, from one failing check, with why.

    ``needs_review`` proposals are guesses (a nearest value, a fuzzy cluster): they are not
    :attr:`enabled`, and their steps are written disabled until the analyst enables them.
    ``kind`` names the sort of fix (``spelling``, ``cluster``, ``title``, ``state``,
    ``time_zone``, ``times_from_text``...); ``cluster`` is the cluster a merge comes from
    (see :meth:`with_target`).
    """

    check: str
    title: str
    explanation: str
    steps: tuple[Op, ...]
    rows: int
    needs_review: bool = False
    kind: str = ""
    cluster: Cluster | None = None

    @property
    def enabled(self) -> bool:
        """True when the proposal applies by default (not a guess)."""
        return not self.needs_review

    @property
    def confidence(self) -> Literal["safe", "guess"]:
        """``safe`` (enabled by default) or ``guess`` (offered disabled, for review)."""
        return "guess" if self.needs_review else "safe"

    def with_target(self, value: str) -> Suggestion:
        """The same merge into ``value``: one of the cluster's values or a new one.

        >>> import polars as pl
        >>> from ddinc.clean.cluster import cluster_values
        >>> frame = pl.DataFrame({"teams": ["DB team", "db-team"]})
        >>> merge = _merge(cluster_values(frame, "teams", "spelling")[0])
        >>> merge.with_target("Database").steps[0].into
        'Database'
        """
        if self.cluster is None:
            raise ConfigError(
                f"{self.title!r} is not a merge: only merges take a target; edit its steps instead"
            )
        return _merge(self.cluster.with_target(value))

    def preview(self, frame: pl.DataFrame, limit: int = 50) -> pl.DataFrame:
        """Rows the steps would change: row_key, column, before, after (as text)."""
        after = replay(frame, [step.model_copy(update={"enabled": True}) for step in self.steps])
        columns = sorted(
            {c for step in self.steps for c in step.columns_needed()} - {ROW_KEY, "raw"}
        )
        new = after.marked
        parts = []
        for column in columns:
            if column not in frame.columns:
                continue
            changed = frame.get_column(column).ne_missing(new.get_column(column))
            if not changed.any():
                continue
            parts.append(
                pl.DataFrame(
                    {
                        ROW_KEY: frame.get_column(ROW_KEY).filter(changed),
                        "column": column,
                        "before": _as_text(frame.get_column(column).filter(changed)),
                        "after": _as_text(new.get_column(column).filter(changed)),
                    }
                )
            )
        if not parts:
            return pl.DataFrame(
                schema=dict.fromkeys([ROW_KEY, "column", "before", "after"], pl.String)
            )
        return pl.concat(parts).head(limit)


def _as_text(values: pl.Series) -> pl.Series:
    if isinstance(values.dtype, pl.List):
        return values.list.join("; ")
    if isinstance(values.dtype, pl.Datetime):
        return values.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return values.cast(pl.String)


def _keys(frame: pl.DataFrame, report: CheckReport, check: str) -> pl.DataFrame:
    keys = report.failing(check)[ROW_KEY]
    return frame.filter(pl.col(ROW_KEY).is_in(keys.implode()))


def _from_text(frame: pl.DataFrame, report: CheckReport, context: CheckContext) -> list[Suggestion]:
    failing = {
        check: set(report.failing(check)[ROW_KEY].to_list())
        for check in ("zero_length_incident", "resolved_time_missing")
    }
    return [
        Suggestion(
            check=fill.check,
            title=fill.title,
            explanation=fill.explanation,
            steps=(fill.step,),
            rows=fill.rows,
            needs_review=fill.needs_review,
            kind="times_from_text",
        )
        for fill in text_fills(frame, failing, tolerance=context.order_tolerance)
    ]


def _hour_offsets(
    frame: pl.DataFrame, report: CheckReport, context: CheckContext
) -> list[Suggestion]:
    failing = _keys(frame, report, "whole_hour_offset")
    if failing.is_empty():
        return []
    from_zone = context.assumed_timezone or "UTC"
    found = []
    spans = [(n, s, e) for n, (s, e) in DEFINITIONS.items()] + [
        ("impact_window", "impact_start", "impact_end")
    ]
    for label, start, end in spans:
        micros = (pl.col(end) - pl.col(start)).dt.total_microseconds()
        hours = (micros.cast(pl.Float64) / 3.6e9).round()
        tolerance = context.hour_offset_tolerance.total_seconds() * 1e6
        exact = (micros.cast(pl.Float64) - hours * 3.6e9).abs() <= tolerance
        tagged = failing.with_columns(
            hours=pl.when(exact & (hours != 0)).then(hours.cast(pl.Int64))
        )
        groups = (
            tagged.filter(pl.col("hours").is_not_null())
            .group_by("source", "hours", maintain_order=True)
            .agg(pl.col(ROW_KEY), pl.col(end))
            .filter(pl.col(ROW_KEY).list.len() >= context.hour_offset_min_rows)
        )
        for row in groups.iter_rows(named=True):
            offset = int(row["hours"])
            zone = f"Etc/GMT{-offset:+d}"
            keys = list(row[ROW_KEY])
            expected = {k: {end: to_json(v)} for k, v in zip(keys, row[end], strict=True)}
            step = Shift(
                columns=[end],
                from_zone=from_zone,
                to_zone=zone,
                keys=keys,
                expected=expected,
                note=f"{label} is exactly {offset:+d}h in {len(keys)} {row['source']} rows",
            )
            found.append(
                Suggestion(
                    check="whole_hour_offset",
                    title=f"{row['source']}: {end} looks {offset:+d}h off ({len(keys)} rows)",
                    explanation=(
                        f"{len(keys)} {row['source']} record(s) have {label} ({start} to {end}) of "
                        f"exactly {offset:+d}h: {end} looks like UTC{offset:+d} wall-clock "
                        "time read "
                        f"as {from_zone}. Proposed: re-read {end} as {zone} (UTC{offset:+d}). If "
                        f"{start} is the column that was off, edit the step."
                    ),
                    steps=(step,),
                    rows=len(keys),
                    # A pattern over many rows, not a time cited from a record: a guess.
                    needs_review=True,
                    kind="time_zone",
                )
            )
    return found


def nearest_state(text: str) -> str | None:
    """The Datadog state a legacy state most probably means (``None`` when nothing is close).

    >>> nearest_state("Closed"), nearest_state("stabel"), nearest_state("zzz")
    ('resolved', 'stable', None)
    """
    words = " ".join(text.strip().lower().replace("_", " ").replace("-", " ").split())
    if words in _STATE_WORDS:
        return _STATE_WORDS[words]
    for word, state in _STATE_WORDS.items():
        if word in words:
            return state
    match = process.extractOne(
        words, STATES, scorer=Levenshtein.normalized_similarity, score_cutoff=0.6
    )
    return str(match[0]) if match else None


def _unmapped_states(frame: pl.DataFrame, report: CheckReport) -> list[Suggestion]:
    failing = _keys(frame, report, "state_unmapped")
    if failing.is_empty():
        return []
    failing = failing.with_columns(raw_state=pl.col("raw").struct.field("state"))
    found = []
    for row in (
        failing.group_by("raw_state", maintain_order=True)
        .agg(pl.col(ROW_KEY))
        .iter_rows(named=True)
    ):
        state = nearest_state(row["raw_state"] or "")
        if state is None:
            continue
        keys = list(row[ROW_KEY])
        found.append(
            Suggestion(
                check="state_unmapped",
                title=f"state {row['raw_state']!r} -> {state} ({len(keys)} rows)",
                explanation=(
                    f"no mapping covers the state {row['raw_state']!r}; the nearest known state is "
                    f"{state!r}. A guess: it applies only once you accept it."
                ),
                steps=(
                    SetValues(
                        column="state",
                        value=state,
                        keys=keys,
                        expected=dict.fromkeys(keys),
                        enabled=False,
                        note=f"nearest known state to {row['raw_state']!r}",
                    ),
                ),
                rows=len(keys),
                needs_review=True,
                kind="state",
            )
        )
    return found


def _merge(cluster: Cluster) -> Suggestion:
    """The proposal merging ``cluster``: enabled when safe, else a labelled guess."""
    column, into, count = cluster.column, cluster.into, len(cluster.values)
    if cluster.safe:
        title = f"{column}: {count} spellings of {into!r} (case, spacing, punctuation)"
        explanation = f"{cluster.evidence}: merge them into {into!r}."
    else:
        title = f"{column}: merge {count} values into {into!r}? (a guess, {cluster.method})"
        explanation = (
            f"A guess: {cluster.evidence}. Written disabled: enable it only if these are one "
            f"{column} value, and pick the value to merge into (any of them, or a new one)."
        )
    return Suggestion(
        check="near_duplicate_values",
        title=title,
        explanation=explanation,
        steps=(cluster.merge(),),
        rows=cluster.rows,
        needs_review=not cluster.safe,
        kind="spelling" if cluster.safe else "cluster",
        cluster=cluster,
    )


def _cluster_columns(frame: pl.DataFrame) -> list[str]:
    carried = []
    for name, dtype in frame.schema.items():
        text = dtype == pl.String or (isinstance(dtype, pl.List) and dtype.inner == pl.String)
        if not (name.startswith(FIELD_PREFIX) and text):
            continue
        values = frame.get_column(name)
        if isinstance(dtype, pl.List):
            values = values.explode(empty_as_null=False)
        values = values.drop_nulls()
        if values.len() and values.n_unique() <= _CATEGORICAL_SHARE * values.len():
            carried.append(name)
    return [c for c in _CLUSTER_COLUMNS if c in frame.columns] + carried


def _near_duplicates(frame: pl.DataFrame, max_clusters: int) -> list[Suggestion]:
    found = []
    for column in _cluster_columns(frame):
        seen: list[frozenset[str]] = []
        for method in _CLUSTER_METHODS:
            for cluster in cluster_values(frame, column, method)[:max_clusters]:
                values = frozenset(value for value, _ in cluster.values)
                if any(values <= other for other in seen):
                    continue
                seen.append(values)
                found.append(_merge(cluster))
    return found


def _titles(
    frame: pl.DataFrame, report: CheckReport, parts: pl.DataFrame | None
) -> list[Suggestion]:
    """Titles for rows without one, built from ``parts`` (row_key + the named columns)."""
    failing = _keys(frame, report, "title_missing")
    if failing.is_empty() or parts is None:
        return []
    named = [c for c in parts.columns if c != ROW_KEY]
    built = parts.select(
        ROW_KEY,
        pl.concat_str(
            [
                pl.when(pl.col(c).cast(pl.String).str.strip_chars() != "").then(
                    pl.col(c).cast(pl.String).str.strip_chars()
                )
                for c in named
            ],
            separator=" / ",
            ignore_nulls=True,
        ).alias("__title"),
    ).filter(pl.col("__title").is_not_null() & (pl.col("__title") != ""))
    rows = failing.select(ROW_KEY, "title").join(
        built.join(parts, on=ROW_KEY, how="left"), on=ROW_KEY, how="inner", maintain_order="left"
    )
    if rows.is_empty():
        return []
    names = ", ".join(named)
    cells = [
        TextCell(
            key=row[ROW_KEY],
            column="title",
            expected=to_json(row["title"]),
            value=row["__title"],
            evidence="; ".join(f"{c}: {row[c]}" for c in named if row[c] is not None),
        )
        for row in rows.iter_rows(named=True)
    ]
    left = failing.height - rows.height
    return [
        Suggestion(
            check="title_missing",
            title=f"titles built from {names} ({rows.height} rows)",
            explanation=(
                f"{rows.height} record(s) have no title; proposed: their {names} joined with "
                f"' / ' (e.g. {cells[0].value!r}). A guess at a useful title: written "
                f"disabled, enable it or edit the titles. {left} record(s) have none of "
                f"{names} and stay flagged."
            ),
            steps=(
                FillFromText(
                    text_column=names,
                    cells=cells,
                    note=f"title built from {names}",
                ),
            ),
            rows=rows.height,
            needs_review=True,
            kind="title",
        )
    ]


def suggest(
    frame: pl.DataFrame,
    report: CheckReport | None = None,
    *,
    context: CheckContext | None = None,
    max_clusters: int = 20,
    title_parts: pl.DataFrame | None = None,
) -> list[Suggestion]:
    """Every fix the checks of ``frame`` can propose, grouped (see the module docstring).

    ``report`` is the checks of ``frame`` (run here when not given, with ``context``).
    ``title_parts`` (``row_key`` and legacy columns, in order) is what a missing title is
    built from; ``ddinc suggest`` reads the :data:`TITLE_PARTS` of the source.
    """
    context = context or (report.context if report is not None else CheckContext())
    report = report or run_checks(frame, context=context)
    return [
        *_from_text(frame, report, context),
        *_hour_offsets(frame, report, context),
        *_unmapped_states(frame, report),
        *_titles(frame, report, title_parts),
        *_near_duplicates(frame, max_clusters),
    ]


def proposals_recipe(suggestions: Sequence[Suggestion], description: str = "") -> Recipe:
    """Every proposal as one recipe: guesses written disabled, each step labelled with its
    confidence (``safe`` / ``guess``)."""
    steps: list[Op] = []
    for suggestion in suggestions:
        for step in suggestion.steps:
            note = step.note or suggestion.title
            update = {
                "enabled": suggestion.enabled,
                "note": note,
                "confidence": suggestion.confidence,
            }
            steps.append(step.model_copy(update=update))
    return Recipe(description=description or "proposed by ddinc suggest", steps=steps)
