"""Clustering near-duplicate values, with counts, and sampling on large columns."""

from __future__ import annotations

import re

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddinc.clean import cluster_values, replay
from ddinc.clean.cluster import (
    Cluster,
    distinct_reason,
    fingerprint,
    ngram_key,
    tidy_spelling,
    well_formed,
)
from ddinc.errors import ConfigError
from ddinc.rowkey import ROW_KEY
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


def test_levenshtein_groups_typing_slips_and_counts_list_entries() -> None:
    frame = frame_of(
        incident(teams=["payments", "net"]),
        incident(teams=["paymentss"]),
        incident(teams=["paymnets"]),
        incident(teams=["payments"]),
    )
    (cluster,) = cluster_values(frame, "teams", "levenshtein", threshold=0.85)
    assert cluster.values == (("payments", 2), ("paymentss", 1), ("paymnets", 1))
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
    values += [f"zare {i}" for i in range(50)] + ["zaer 1"]
    # "value 1" / "valeu 1": two neighbouring letters swapped, a typing slip.
    clusters = cluster_values(
        pl.DataFrame({"v": values}), "v", "levenshtein", threshold=0.7, max_values=5
    )
    # Only the 5 most frequent distinct values were compared: "zare 1" / "zaer 1" (1 each) not.
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


# The pairs of issue 15: different things that an edit-distance clustering merged.
DISTINCT = [
    ("Cloud Firestore", "Cloud Filestore"),
    ("Google Cloud Dataproc", "Google Cloud Dataflow"),
    ("Amazon Elastic Compute Cloud (Milan)", "Amazon Elastic Compute Cloud (Ohio)"),
    ("Amazon Elastic Compute Cloud (Ohio)", "Amazon Elastic Compute Cloud (Seoul)"),
    ("AWS Internet Connectivity (Ohio)", "AWS Internet Connectivity (Oregon)"),
    ("ben.larsen@example.com", "ines.larsen@example.com"),
    ("priya.nunez@example.com", "maya.nunez@example.com"),
    ("Resolver 17", "Resolver 71"),
    ("SEV-1", "SEV-2"),
    ("Checkout (staging)", "Checkout (testing)"),
]


@pytest.mark.parametrize(("a", "b"), DISTINCT)
def test_different_things_are_never_clustered_by_any_method(a: str, b: str) -> None:
    assert distinct_reason(a, b) is not None
    frame = pl.DataFrame({"services": [a, a, a, b]})
    for method in ("spelling", "fingerprint", "ngram", "levenshtein"):
        clusters = cluster_values(frame, "services", method, threshold=0.5)
        assert clusters == [], (method, clusters)


def test_people_columns_are_not_clustered_but_matched_to_users() -> None:
    frame = pl.DataFrame({"commander": ["ann.lee@example.com", "Ann.Lee@example.com"]})
    with pytest.raises(ConfigError, match="users"):
        cluster_values(frame, "commander", "spelling")


def test_a_spelling_cluster_merges_into_the_well_formed_value_not_the_most_frequent() -> None:
    frame = frame_of(*(incident(teams=[t]) for t in ["Identity , Checkout"] * 3))
    frame = pl.concat([frame, frame_of(incident(teams=["Identity, Checkout"]))])
    frame = frame.with_columns(pl.Series(ROW_KEY, [f"k{i}" for i in range(frame.height)]))
    (cluster,) = cluster_values(frame, "teams", "spelling")
    assert cluster.values[0] == ("Identity , Checkout", 3)
    assert cluster.safe
    assert cluster.into == "Identity, Checkout"
    assert "well-formed" in cluster.evidence
    merged = replay(frame, [cluster.merge()]).frame
    assert merged["teams"].to_list() == [["Identity, Checkout"]] * 4


def test_spelling_groups_case_spacing_and_punctuation_only() -> None:
    values = ["db-team", "DB team", "DB  team", "team DB", "pen island", "penis land", "Datadog"]
    values += ["Data dog"]
    clusters = cluster_values(pl.DataFrame({"t": values}), "t", "spelling")
    assert sorted(sorted(v for v, _ in c.values) for c in clusters) == [
        ["DB  team", "DB team", "db-team"],
        ["Data dog", "Datadog"],
    ]
    assert all(c.safe for c in clusters)


def test_without_a_well_formed_spelling_the_cluster_is_a_guess_with_a_new_target() -> None:
    frame = pl.DataFrame({"t": ["Identity ,Checkout", "identity ,  checkout"]})
    (cluster,) = cluster_values(frame, "t", "spelling")
    assert cluster.confidence == "guess"
    assert cluster.into == "Identity, Checkout"
    assert cluster.into not in {v for v, _ in cluster.values}


def test_word_order_and_typing_slips_are_guesses_with_their_evidence() -> None:
    frame = pl.DataFrame({"t": ["Data, Payments"] * 2 + ["Payments, Data"]})
    (cluster,) = cluster_values(frame, "t", "fingerprint")
    assert not cluster.safe
    assert "fingerprint" in cluster.evidence
    assert "(2)" in cluster.evidence
    (typo,) = cluster_values(pl.DataFrame({"t": ["Payments", "Paymnets"]}), "t", "levenshtein")
    assert typo.confidence == "guess"
    assert "1 edit(s)" in typo.evidence


def test_a_merge_takes_any_target_one_of_the_values_or_a_new_one() -> None:
    frame = frame_of(*(incident(teams=[t]) for t in ["db-team", "DB team", "DB team"]))
    (cluster,) = cluster_values(frame, "teams", "spelling")
    assert cluster.into == "DB team"
    for target in ("db-team", "Database"):
        chosen = cluster.with_target(target)
        assert isinstance(chosen, Cluster)
        assert chosen.into == target
        merged = replay(frame, [chosen.merge()]).frame
        assert merged["teams"].to_list() == [[target]] * 3
        assert cluster.merge(target).into == target
    with pytest.raises(ConfigError, match="merge into"):
        cluster.with_target("  ")


@pytest.mark.parametrize(
    ("text", "formed"),
    [
        ("Identity, Checkout", True),
        ("Identity , Checkout", False),
        (" Payments", False),
        ("db\tteam", False),
        ("EC2 (Ohio)", True),
        ("EC2 (Ohio", False),
        ("EC2 ( Ohio)", False),
        ("a,b", False),
        ("1,000 users", True),
        ("a,, b", False),
        ("", False),
    ],
)
def test_well_formed_is_explicit(text: str, formed: bool) -> None:
    assert well_formed(text) is formed
    if text.strip() and text.count("(") == text.count(")") and ",," not in text:
        assert well_formed(tidy_spelling(text))


_NAMES = st.text(alphabet=st.sampled_from("abcXYZ019 -,.()"), min_size=1, max_size=16).filter(
    lambda text: any(ch.isalnum() for ch in text)
)


@pytest.mark.slow
@given(_NAMES, _NAMES)
def test_distinct_reason_is_symmetric(a: str, b: str) -> None:
    assert (distinct_reason(a, b) is None) == (distinct_reason(b, a) is None)


@pytest.mark.slow
@given(_NAMES)
def test_a_respelling_is_never_a_different_thing_and_tidies_well_formed(name: str) -> None:
    respelled = "  " + name.upper().replace(" ", "   ") + " "
    assert distinct_reason(name, respelled) is None
    tidy = tidy_spelling(name)
    if _balanced_and_single(name):
        assert well_formed(tidy), tidy
    assert distinct_reason(name, tidy) is None


def _balanced_and_single(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0 and not re.search(r"[,;:]\s*[,;:]", text)
