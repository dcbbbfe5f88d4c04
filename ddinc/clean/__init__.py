"""Cleaning: a replayable recipe of typed edits, fixes proposed by the checks, clustering.

The loaded frame is never changed; the cleaned frame is always ``original + recipe``::

    result = ddinc.load("data/statuspage_incidents.json")
    history = History(result.incidents)
    history.do(SetCell(key="statuspage:abc", column="title", expected="Dsk", value="Disk"))
    history.undo(); history.redo()
    history.recipe.save("recipe.json")
    Recipe.load("recipe.json").apply(next_week.incidents, allow_partial=True).report_text()
    print(to_polars_code(history.recipe, frame=result.incidents))

Nothing here imports widgets: :mod:`ddinc.widgets` sits on top.
"""

from ddinc.clean.cluster import Cluster, cluster_values
from ddinc.clean.codegen import to_polars_code
from ddinc.clean.facets import FACETS, Where, facet_expr, where_mask
from ddinc.clean.fingerprint import MadeOn
from ddinc.clean.history import History
from ddinc.clean.ops import (
    Deselect,
    Exclude,
    FillFrom,
    FillFromText,
    Include,
    MapPerson,
    MapValues,
    MergeCluster,
    Op,
    Operation,
    Reparse,
    Select,
    SetCell,
    SetValues,
    Shift,
    TextCell,
)
from ddinc.clean.recipe import (
    Recipe,
    RecipeMismatchError,
    RecipePartialError,
    Replay,
    ReplayReport,
    StepReport,
    replay,
)
from ddinc.clean.suggest import Suggestion, suggest

__all__ = [
    "FACETS",
    "Cluster",
    "Deselect",
    "Exclude",
    "FillFrom",
    "FillFromText",
    "History",
    "Include",
    "MadeOn",
    "MapPerson",
    "MapValues",
    "MergeCluster",
    "Op",
    "Operation",
    "Recipe",
    "RecipeMismatchError",
    "RecipePartialError",
    "Reparse",
    "Replay",
    "ReplayReport",
    "Select",
    "SetCell",
    "SetValues",
    "Shift",
    "StepReport",
    "Suggestion",
    "TextCell",
    "Where",
    "cluster_values",
    "facet_expr",
    "replay",
    "suggest",
    "to_polars_code",
    "where_mask",
]
