"""Seeded, realistically dirty sample exports of every legacy source ddinc reads.

Everything starts from :func:`world`, a population of true incidents with lognormal
timelines. One writer module per legacy system renders those incidents in that system's
native export shape, with that system's dirt, at documented rates (see ``data/README.md``
and :mod:`ddinc.synth._dirt`). Each renderer returns a :class:`Sample`: the file's bytes
and a truth frame saying, record by record, what was written and which dirt it carries.

- :func:`write_samples` writes the small committed samples of ``data/``
  (``python -m ddinc.synth data`` does the same); :func:`sample` renders one in memory.
- :func:`write_servicenow_event_log` writes event logs of any size, a million rows in
  seconds, for benchmarks.

Same seed, same bytes, on every run.
"""

from ddinc.synth._dirt import NULL_SPELLINGS, DirtSpec, planned_count
from ddinc.synth._sample import TRUTH_SCHEMA, Sample, truth_path
from ddinc.synth._samples import (
    MAPPING_FILE,
    MAPPING_FILES,
    SAMPLES,
    mapping_beside,
    recipe_beside,
    sample,
    write_samples,
)
from ddinc.synth._world import WORLD_SCHEMA, people, world
from ddinc.synth.cloudstatus import cloudstatus_json
from ddinc.synth.healtharchive import healtharchive_json
from ddinc.synth.jira import jira_csv, write_jira
from ddinc.synth.opsgenie import opsgenie_csv, opsgenie_json, write_opsgenie
from ddinc.synth.pagerduty import pagerduty_csv, pagerduty_json, write_pagerduty
from ddinc.synth.servicenow import servicenow_event_log, write_servicenow_event_log
from ddinc.synth.servicenow_incidents import servicenow_table, write_servicenow_table
from ddinc.synth.spreadsheet import (
    MAPPING_TOML,
    spreadsheet_csv,
    spreadsheet_xlsx,
    write_spreadsheet,
    write_spreadsheet_mapping,
)
from ddinc.synth.statuspage import (
    statuspage_history,
    statuspage_json,
    statuspage_jsonl,
    write_statuspage,
)

__all__ = [
    "MAPPING_FILE",
    "MAPPING_FILES",
    "MAPPING_TOML",
    "NULL_SPELLINGS",
    "SAMPLES",
    "TRUTH_SCHEMA",
    "WORLD_SCHEMA",
    "DirtSpec",
    "Sample",
    "cloudstatus_json",
    "healtharchive_json",
    "jira_csv",
    "mapping_beside",
    "opsgenie_csv",
    "opsgenie_json",
    "pagerduty_csv",
    "pagerduty_json",
    "people",
    "planned_count",
    "recipe_beside",
    "sample",
    "servicenow_event_log",
    "servicenow_table",
    "spreadsheet_csv",
    "spreadsheet_xlsx",
    "statuspage_history",
    "statuspage_json",
    "statuspage_jsonl",
    "truth_path",
    "world",
    "write_jira",
    "write_opsgenie",
    "write_pagerduty",
    "write_samples",
    "write_servicenow_event_log",
    "write_servicenow_table",
    "write_spreadsheet",
    "write_spreadsheet_mapping",
    "write_statuspage",
]
