"""Clustering near-duplicate values, with counts, and sampling on large columns."""

from __future__ import annotations

import polars as pl
import pytest

from ddinc.clean import cluster_values, replay
from ddinc.clean.cluster import fingerprint, ngram_key
from ddinc.errors import ConfigError
from tests.clean.conftest import frame_of, incident


def test_fingerprint_groups_case_punctuation_and_word_order() -> None:
    frame = pl.DataFrame({"team": ["DB team", "db-team", "team DB", "Team, DB", "net", None]})
    clusters = cluster_values(frame, "team", "fingerprint")
    assert [c.values for c in clusters] == [(("DB team", 1), ("Team, DB", 1), ("team DB", 1))]
    assert fingerprint("db-team") == "dbteam"


def test_ngram_catches_split_words() -> None:
    frame = pl.DataFrame({"s": ["Data dog"] * 2 + ["datadog"] * 5 + ["other"]})
    (cluster,) = cluster_values(frame, "s", "ngram")
    assert cluster.values == (("datadog", 5), ("Data dog", 2))
    assert cluster.into == "datadog"
    assert ngram_key("ab") == "ab"


def test_levenshtein_groups_typos_transitively_and_counts_list_entries() -> None:
    frame = frame_of(
        incident(teams=["payments", "net"]),
        incident(teams=["payment"]),
        incident(teams=["paymants"]),
        incident(teams=["payments"]),
    )
    (cluster,) = cluster_values(frame, "teams", "levenshtein", threshold=0.85)
    assert cluster.values == (("payments", 2), ("paymants", 1), ("payment", 1))
    assert cluster.rows == 4
    merged = replay(frame, [cluster.merge()]).frame
    assert merged["teams"].to_list() == [
        ["payments", "net"],
        ["payments"],
        ["payments"],
        ["payments"],
    ]


def test_large_columns_are_sampled_and_say_so() -> None:
    values = [f"value {i}" for i in range(50)] + ["value 1"] * 5 + ["valeu 1"] * 3
    values += [f"rare {i}" for i in range(50)] + ["raer 1"]
    clusters = cluster_values(
        pl.DataFrame({"v": values}), "v", "levenshtein", threshold=0.7, max_values=5
    )
    # Only the 5 most frequent distinct values were compared: "rare 1" / "raer 1" (1 each) not.
    assert [c.values for c in clusters] == [(("value 1", 6), ("valeu 1", 3))]
    assert clusters[0].sampled
    assert not cluster_values(pl.DataFrame({"v": values}), "v", "levenshtein", threshold=0.7)[
        0
    ].sampled


def test_unknown_method_or_column_is_refused() -> None:
    frame = pl.DataFrame({"v": ["a"]})
    with pytest.raises(ConfigError, match="not one of"):
        cluster_values(frame, "v", "soundex")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="no column"):
        cluster_values(frame, "w")


def test_values_whose_numbers_differ_never_cluster() -> None:
    frame = pl.DataFrame({"p": ["Opened by  110", "Opened by  111", "Opened by 110", "Caller 7"]})
    for method in ("ngram", "levenshtein"):
        clusters = cluster_values(frame, "p", method)  # type: ignore[arg-type]
        assert [sorted(v for v, _ in c.values) for c in clusters] == [
            ["Opened by  110", "Opened by 110"]
        ], method
