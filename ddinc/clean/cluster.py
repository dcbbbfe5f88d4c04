"""Clustering: groups of values that probably mean the same thing (``DB team``, ``db-team``).

Four methods, each giving clusters with the count of every value:

- ``spelling``: values equal once case, spacing and punctuation are ignored (``Identity ,
  Checkout`` / ``Identity, Checkout``). The one method whose clusters can be *safe*.
- ``fingerprint`` (as in OpenRefine): lowercase, punctuation dropped, words deduplicated and
  sorted; catches the same words in another order.
- ``ngram``: the sorted set of character bigrams of the value without spaces and punctuation.
- ``levenshtein``: normalised edit similarity (rapidfuzz's optimal string alignment: two
  swapped neighbouring letters are one edit) at or above ``threshold``, grouped transitively.

Whatever the method, two values are never put in one cluster when :func:`distinct_reason`
names a reason they are different things: a different number (``Resolver 17`` / ``Resolver
71``, ``SEV-1`` / ``SEV-2``), a different parenthesised qualifier (``EC2 (Ohio)`` / ``EC2
(Seoul)``), a different word (``Cloud Firestore`` / ``Cloud Filestore``: a word is only "the
same" with two neighbouring letters swapped or one letter doubled), or an email address (people
are matched to Datadog users through the users API, never by spelling). Columns of people
(``commander``, ``declared_by``) are not clustered at all.

A cluster is **safe** (:attr:`Cluster.confidence` ``"spelling"``) when its values differ only
in case, spacing or punctuation and one of them is :func:`well_formed`; it merges into the
well-formed spelling, never into a malformed one however frequent. Every other cluster is a
**guess**, with its evidence (:attr:`Cluster.evidence`: method, edit distance, counts).

``ngram`` and ``levenshtein`` compare distinct values with each other, so on a large column
they look at the ``max_values`` most frequent ones and say so (``Cluster.sampled``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Final, Literal

import polars as pl
from rapidfuzz import process
from rapidfuzz.distance import OSA

from ddinc.clean.facets import Where
from ddinc.clean.ops import MergeCluster
from ddinc.errors import ConfigError

__all__ = [
    "METHODS",
    "PEOPLE_COLUMNS",
    "Cluster",
    "Confidence",
    "Method",
    "cluster_values",
    "distinct_reason",
    "fingerprint",
    "ngram_key",
    "tidy_spelling",
    "well_formed",
]

Method = Literal["spelling", "fingerprint", "ngram", "levenshtein"]
METHODS: Final = ("spelling", "fingerprint", "ngram", "levenshtein")
Confidence = Literal["spelling", "guess"]
"""``spelling``: safe to apply unread; ``guess``: offered for review only."""

PEOPLE_COLUMNS: Final = ("commander", "declared_by")
"""Columns of people: matched to Datadog users (``map_person``), never clustered."""

_PUNCTUATION: Final = re.compile(r"[^\w\s]", re.UNICODE)
_NOT_WORD: Final = re.compile(r"[\W_]+", re.UNICODE)
_DIGITS: Final = re.compile(r"\d+")
# Runs of letters and runs of digits: "EC2-a" -> "ec", "2", "a".
_TOKEN: Final = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)
_PARENTHESISED: Final = re.compile(r"\(([^()]*)\)")
_SPACE_BEFORE: Final = re.compile(r"\s+([,.;:!?)\]}])")
_SPACE_AFTER: Final = re.compile(r"([(\[{])\s+")
_GLUED_AFTER: Final = re.compile(r"([,;])(?=[^\W\d_])", re.UNICODE)
_DOUBLED: Final = re.compile(r"([,;:])\s*\1")
_PAIRS: Final = {")": "(", "]": "[", "}": "{"}
# Shorter words are too easily another word with two letters swapped ("ab" / "ba").
_TYPO_MIN_LETTERS: Final = 4


def _digits(value: str) -> tuple[str, ...]:
    return tuple(_DIGITS.findall(value))


def _tokens(value: str) -> list[str]:
    return _TOKEN.findall(value.casefold())


def _balanced(value: str) -> bool:
    stack: list[str] = []
    for char in value:
        if char in "([{":
            stack.append(char)
        elif char in _PAIRS and (not stack or stack.pop() != _PAIRS[char]):
            return False
    return not stack


def well_formed(value: str) -> bool:
    """True when ``value`` is written as a person would write it.

    Well formed means: no space at either end; words separated by single spaces (no tab, no
    newline); no space before ``, . ; : ! ? ) ] }`` and none after ``( [ {``; a comma or
    semicolon followed by a space before the next word; no doubled ``,`` ``;`` ``:``; balanced
    parentheses and brackets; not blank.

    >>> well_formed("Identity, Checkout"), well_formed("Identity , Checkout")
    (True, False)
    >>> well_formed("EC2 (Ohio)"), well_formed("EC2 ( Ohio"), well_formed("db  team ")
    (True, False, False)
    """
    return (
        bool(value.strip())
        and value == value.strip()
        and " ".join(value.split(" ")) == value
        and "  " not in value
        and not any(char.isspace() and char != " " for char in value)
        and not _SPACE_BEFORE.search(value)
        and not _SPACE_AFTER.search(value)
        and not _GLUED_AFTER.search(value)
        and not _DOUBLED.search(value)
        and _balanced(value)
    )


def tidy_spelling(value: str) -> str:
    """``value`` with its spacing fixed (a new merge target when no spelling is well formed).

    >>> tidy_spelling("  Identity ,Checkout ( EU )")
    'Identity, Checkout (EU)'
    """
    text = " ".join(value.split())
    text = _SPACE_BEFORE.sub(r"\1", text)
    text = _SPACE_AFTER.sub(r"\1", text)
    return _GLUED_AFTER.sub(r"\1 ", text)


def _boundaries(tokens: list[str]) -> set[int]:
    ends, at = set(), 0
    for token in tokens[:-1]:
        at += len(token)
        ends.add(at)
    return ends


def _same_spelling(a: str, b: str) -> bool:
    """Equal up to case, spacing and punctuation, and the words of one are the other's words,
    some split or joined ("Data dog" / "Datadog"; never "pen island" / "penis land")."""
    ta, tb = _tokens(a), _tokens(b)
    if "".join(ta) != "".join(tb):
        return False
    ba, bb = _boundaries(ta), _boundaries(tb)
    return ba <= bb or bb <= ba


def _typo(a: str, b: str) -> bool:
    """Two words one typing slip apart: two neighbouring letters swapped, or a letter doubled."""
    if not (a.isalpha() and b.isalpha()) or min(len(a), len(b)) < _TYPO_MIN_LETTERS:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and (a[diff[0]], a[diff[1]]) == (b[diff[1]], b[diff[0]])
        )
    short, long = sorted((a, b), key=len)
    if len(long) != len(short) + 1:
        return False
    return any(
        long[i] == long[i - 1] and long[:i] + long[i + 1 :] == short for i in range(1, len(long))
    )


def _word_difference(a: str, b: str) -> tuple[str, str] | None:
    """The first pair of words that makes ``a`` and ``b`` different things, if any."""
    if _same_spelling(a, b):
        return None
    ca, cb = Counter(_tokens(a)), Counter(_tokens(b))
    only_a = sorted((ca - cb).elements())
    only_b = sorted((cb - ca).elements())
    if len(only_a) != len(only_b):
        return (" ".join(only_a) or "-", " ".join(only_b) or "-")
    left = list(only_b)
    for word in only_a:
        match = next((other for other in left if _typo(word, other)), None)
        if match is None:
            return (word, left[0] if left else "-")
        left.remove(match)
    return None


def distinct_reason(a: str, b: str) -> str | None:
    """Why ``a`` and ``b`` are different things and must never be merged (``None``: may be).

    >>> distinct_reason("Cloud Firestore", "Cloud Filestore")
    "a different word ('firestore' / 'filestore')"
    >>> distinct_reason("AWS EC2 (Milan)", "AWS EC2 (Seoul)")
    "a different qualifier in parentheses ('Milan' / 'Seoul')"
    >>> distinct_reason("SEV-1", "SEV-2"), distinct_reason("db-team", "DB team")
    ('a different number (1 / 2)', None)
    """
    if "@" in a or "@" in b:
        return "email addresses or handles are people: matched through the users API"
    if _digits(a) != _digits(b):
        numbers_a, numbers_b = " ".join(_digits(a)) or "-", " ".join(_digits(b)) or "-"
        return f"a different number ({numbers_a} / {numbers_b})"
    qa, qb = _PARENTHESISED.findall(a), _PARENTHESISED.findall(b)
    if [_tokens(q) for q in qa] != [_tokens(q) for q in qb] and not _same_spelling(a, b):
        shown_a = ", ".join(q.strip() for q in qa) or "-"
        shown_b = ", ".join(q.strip() for q in qb) or "-"
        return f"a different qualifier in parentheses ({shown_a!r} / {shown_b!r})"
    words = _word_difference(a, b)
    if words is not None:
        return f"a different word ({words[0]!r} / {words[1]!r})"
    return None


@dataclass(frozen=True)
class Cluster:
    """Values of ``column`` that probably mean the same, most frequent first, with counts.

    ``target`` is the value to merge into when the analyst chose one (any text: one of the
    values or a new one, see :meth:`with_target`); otherwise :attr:`into` picks it.
    """

    column: str
    method: str
    values: tuple[tuple[str, int], ...]
    sampled: bool = False
    target: str | None = None

    @property
    def confidence(self) -> Confidence:
        """``spelling`` when the values differ only in case, spacing or punctuation and one of
        them is well formed (safe to apply unread); ``guess`` otherwise."""
        names = [value for value, _ in self.values]
        same = all(_same_spelling(names[0], other) for other in names[1:])
        return "spelling" if same and any(well_formed(v) for v in names) else "guess"

    @property
    def safe(self) -> bool:
        """True for a ``spelling`` cluster (see :attr:`confidence`)."""
        return self.confidence == "spelling"

    @property
    def into(self) -> str:
        """The value to merge into: the chosen target, else the most frequent well-formed
        value, else the most frequent value with its spacing fixed (:func:`tidy_spelling`)."""
        if self.target is not None:
            return self.target
        formed = [value for value, _ in self.values if well_formed(value)]
        if formed:
            return formed[0]
        tidy = tidy_spelling(self.values[0][0])
        return tidy if well_formed(tidy) else self.values[0][0]

    @property
    def rows(self) -> int:
        """Rows holding any value of the cluster."""
        return sum(count for _, count in self.values)

    @property
    def evidence(self) -> str:
        """Why the values were grouped: the method, the counts and the edit distances."""
        counts = ", ".join(f"{value!r} ({count})" for value, count in self.values)
        if self.safe:
            return (
                f"{counts} differ only in case, spacing or punctuation; {self.into!r} is "
                "the well-formed spelling"
            )
        if self.method == "fingerprint":
            return f"fingerprint clustering of {counts}: the same words, in another order"
        distance = max(
            OSA.distance(value.casefold(), self.into.casefold()) for value, _ in self.values
        )
        return (
            f"{self.method} clustering of {counts}; at most {distance} edit(s) from {self.into!r}"
        )

    def with_target(self, value: str) -> Cluster:
        """The same cluster merging into ``value``: one of its values or a new one."""
        if not value.strip():
            raise ConfigError(
                f"a merge of {self.column} needs a value to merge into; type one or pick one "
                f"of {', '.join(repr(v) for v, _ in self.values)}"
            )
        return replace(self, target=value)

    def merge(self, into: str | None = None, where: Where | None = None) -> MergeCluster:
        """The recipe step merging this cluster into ``into`` (default :attr:`into`)."""
        target = self.into if into is None else self.with_target(into).into
        return MergeCluster(
            column=self.column,
            values=[value for value, _ in self.values],
            into=target,
            where=where,
            enabled=True,
            note=f"{self.confidence}: {self.evidence}",
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


def _spelling_key(value: str) -> str:
    return "".join(_tokens(value)) + "|" + " ".join(_digits(value))


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


def _groups(labels: list[object]) -> list[list[int]]:
    by_label: dict[object, list[int]] = {}
    for index, label in enumerate(labels):
        by_label.setdefault(label, []).append(index)
    return [members for members in by_label.values() if len(members) > 1]


def _similar(values: list[str], threshold: float) -> list[list[int]]:
    matrix = process.cdist(
        values,
        values,
        scorer=OSA.normalized_similarity,
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

    rows, cols = matrix.nonzero()
    for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
        if i < j and distinct_reason(values[i], values[j]) is None:
            parent[root(i)] = root(j)
    return _groups([root(i) for i in range(len(values))])


def _split(
    group: list[tuple[str, int]], together: Callable[[str, str], bool]
) -> list[list[tuple[str, int]]]:
    """``group`` (most frequent first) cut so that each value of a part goes together with
    the part's first (most frequent) value: two slips of one word stay with it."""
    parts: list[list[tuple[str, int]]] = []
    for item in group:
        home = next((p for p in parts if together(p[0][0], item[0])), None)
        if home is None:
            parts.append([item])
        else:
            home.append(item)
    return [part for part in parts if len(part) > 1]


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
    column
        Not a column of people (:data:`PEOPLE_COLUMNS`): those are matched to Datadog users.
    method
        ``spelling``, ``fingerprint``, ``ngram`` or ``levenshtein`` (see the module docstring).
    threshold
        Normalised Levenshtein similarity (0-1) for ``levenshtein``.
    max_values
        Distinct values compared pairwise (``ngram``, ``levenshtein``) at most: the most
        frequent ones. ``spelling`` and ``fingerprint`` always look at every value.
    """
    if method not in METHODS:
        raise ConfigError(f"clustering method {method!r} is not one of {', '.join(METHODS)}")
    if column in PEOPLE_COLUMNS:
        raise ConfigError(
            f"{column} holds people: they are matched to Datadog users (the people panel, "
            "a map_person step), never merged by spelling"
        )
    counts = _counts(frame, column)
    sampled = False
    if method in ("spelling", "fingerprint"):
        values = counts.get_column("value").to_list()
        key = _spelling_key if method == "spelling" else fingerprint
        members = _groups([key(v) for v in values])
    else:
        if counts.height > max_values:
            counts, sampled = counts.head(max_values), True
        values = counts.get_column("value").to_list()
        members = (
            _groups([ngram_key(v) for v in values])
            if method == "ngram"
            else _similar(values, threshold)
        )
    tallies = counts.get_column("count").to_list()

    def together(a: str, b: str) -> bool:
        if method == "spelling":
            return "@" not in a + b and _same_spelling(a, b)
        return distinct_reason(a, b) is None

    clusters = [
        Cluster(
            column=column,
            method=method,
            values=tuple(sorted(part, key=lambda item: (-item[1], item[0]))),
            sampled=sampled,
        )
        for group in members
        for part in _split([(values[i], tallies[i]) for i in group], together)
    ]
    return sorted(clusters, key=lambda c: (-c.rows, c.into))
