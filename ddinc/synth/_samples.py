"""The committed samples in ``data/``: which file is made how, and writing them all.

``python -m ddinc.synth data`` regenerates every file from seed 7; the same seed gives the
same bytes. :func:`sample` renders one of them in memory, with its truth, so a loader test
can compare what it read from ``data/<name>`` with what was written there.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Final

from ddinc.errors import ConfigError
from ddinc.synth._sample import Sample
from ddinc.synth.cloudstatus import cloudstatus_json, write_cloudstatus_mapping
from ddinc.synth.healtharchive import healtharchive_json, write_healtharchive_mapping
from ddinc.synth.jira import jira_csv
from ddinc.synth.opsgenie import opsgenie_csv, opsgenie_json
from ddinc.synth.pagerduty import pagerduty_csv, pagerduty_json
from ddinc.synth.servicenow import servicenow_event_log
from ddinc.synth.servicenow_incidents import servicenow_table
from ddinc.synth.spreadsheet import (
    spreadsheet_csv,
    spreadsheet_xlsx,
    write_spreadsheet_mapping,
    write_spreadsheet_recipe,
)
from ddinc.synth.statuspage import statuspage_history, statuspage_json, statuspage_jsonl

__all__ = [
    "MAPPING_FILE",
    "MAPPING_FILES",
    "SAMPLES",
    "mapping_beside",
    "recipe_beside",
    "sample",
    "write_samples",
]

# File name -> how to render it from a seed. Sizes keep every file under 200 KB.
SAMPLES: Final[dict[str, Callable[[int], Sample]]] = {
    "servicenow_event_log.csv": lambda seed: servicenow_event_log(450, seed=seed),
    # The same incidents, re-saved through a spreadsheet: dash dates and TRUE/FALSE.
    "servicenow_event_log_resaved.csv": lambda seed: servicenow_event_log(
        450, seed=seed, style="dash"
    ),
    "servicenow_incidents.csv": lambda seed: servicenow_table(120, seed=seed),
    "statuspage_incidents.json": lambda seed: statuspage_json(60, seed=seed),
    "statuspage_incidents.jsonl": lambda seed: statuspage_jsonl(60, seed=seed),
    "pagerduty_incidents.json": lambda seed: pagerduty_json(80, seed=seed),
    "pagerduty_incidents.csv": lambda seed: pagerduty_csv(80, seed=seed),
    "opsgenie_alerts.csv": lambda seed: opsgenie_csv(80, seed=seed),
    "opsgenie_alerts.json": lambda seed: opsgenie_json(80, seed=seed),
    "jira_incidents.csv": lambda seed: jira_csv(80, seed=seed),
    "spreadsheet_incidents.xlsx": lambda seed: spreadsheet_xlsx(80, seed=seed),
    "spreadsheet_incidents.csv": lambda seed: spreadsheet_csv(80, seed=seed),
    # Shapes of real public histories that no built-in source reads: mapped by TOML files.
    "cloudstatus_incidents.json": lambda seed: cloudstatus_json(80, seed=seed),
    "healtharchive_incidents.json": lambda seed: healtharchive_json(60, seed=seed),
    "statuspage_history.json": lambda seed: statuspage_history(60, seed=seed),
}
MAPPING_FILE: Final = "spreadsheet_mapping.toml"
# Every mapping file written beside the samples (the demo finds <prefix>_mapping.toml).
MAPPING_FILES: Final[dict[str, Callable[[Path], Path]]] = {
    MAPPING_FILE: write_spreadsheet_mapping,
    "cloudstatus_mapping.toml": write_cloudstatus_mapping,
    "healtharchive_mapping.toml": write_healtharchive_mapping,
    # A hand-written review recipe: the demo applies <prefix>_recipe.json after suggestions.
    "spreadsheet_recipe.json": write_spreadsheet_recipe,
}


def recipe_beside(export: Path) -> Path | None:
    """A sample's hand-written review recipe: ``<prefix>_recipe.json`` beside it, if any."""
    recipe = export.with_name(f"{export.stem.split('_')[0]}_recipe.json")
    return recipe if recipe.exists() else None


def mapping_beside(export: Path) -> Path | None:
    """The mapping file a sample export is read with, when no built-in source reads it.

    ``spreadsheet_incidents.csv`` -> ``spreadsheet_mapping.toml`` beside it, when it exists.
    """
    mapping = export.with_name(f"{export.stem.split('_')[0]}_mapping.toml")
    return mapping if mapping.exists() else None


def sample(name: str, *, seed: int = 7) -> Sample:
    """The committed sample ``name`` (a key of :data:`SAMPLES`), rendered in memory.

    >>> sample("jira_incidents.csv").source
    'jira'
    """
    try:
        render = SAMPLES[name]
    except KeyError:
        known = ", ".join(SAMPLES)
        raise ConfigError(f"no sample named {name!r}; the samples are {known}") from None
    return render(seed)


def write_samples(directory: Path, *, seed: int = 7, truth: bool = False) -> list[Path]:
    """Write every sample of :data:`SAMPLES` and the mapping files into ``directory``.

    Parameters
    ----------
    directory
        Created if missing; existing files of the same names are replaced.
    seed
        Same seed, same bytes.
    truth
        Also write ``<stem>.truth.csv`` beside each sample.

    Returns
    -------
    list of Path
        The files written (truth files not included), in :data:`SAMPLES` order, then the
        mapping files in :data:`MAPPING_FILES` order.
    """
    directory = Path(directory)
    paths = [render(seed).write(directory / name, truth=truth) for name, render in SAMPLES.items()]
    paths += [write(directory / name) for name, write in MAPPING_FILES.items()]
    return paths
