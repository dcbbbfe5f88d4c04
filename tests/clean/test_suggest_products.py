"""Merges on product, service and region names: only spellings of one name are ever enabled.

Issue 15: on Google Cloud's and AWS's status histories an edit-distance clustering enabled
merges of different products (``Cloud Firestore`` into ``Cloud Filestore``) and regions
(``(Ohio)`` into ``(Oregon)``). Here the names of both providers' catalogues (typed in this
file) and every short text of the real exports under ``../shared/datasets`` are clustered as
``suggest`` clusters a column: every enabled merge joins spellings of one value (case, spacing,
punctuation), and no proposal joins two values :func:`distinct_reason` tells apart.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ddinc.clean.cluster import distinct_reason
from ddinc.clean.suggest import suggest
from tests.clean.conftest import CONTEXT, frame_of, incident
from tests.conftest import SHARED, shared_path

GOOGLE = [
    "Cloud Firestore",
    "Cloud Filestore",
    "Google Cloud Dataproc",
    "Google Cloud Dataflow",
    "Cloud Data Fusion",
    "Cloud Datastore",
    "Google Cloud Storage",
    "Google Cloud SQL",
    "Google Cloud Spanner",
    "Google Cloud Bigtable",
    "Google BigQuery",
    "Google Compute Engine",
    "Google Kubernetes Engine",
    "Google Cloud Functions",
    "Google Cloud Run",
    "Google Cloud Build",
    "Google Cloud Composer",
    "Google Cloud Pub/Sub",
    "Google Cloud Tasks",
    "Google Cloud Scheduler",
    "Google Cloud DNS",
    "Cloud Load Balancing",
    "Cloud Logging",
    "Cloud Monitoring",
    "Cloud NAT",
    "Cloud VPN",
    "Cloud Interconnect",
    "Cloud Armor",
    "Cloud CDN",
    "Cloud Memorystore",
    "Memorystore for Redis",
    "Memorystore for Memcached",
    "Artifact Registry",
    "Container Registry",
    "Vertex AI Workbench",
    "Vertex AI Search",
    "Identity and Access Management",
    "Cloud Key Management Service",
    "Google Cloud Console",
    "Google Cloud Support",
    "Cloud Deploy",
    "Cloud Workstations",
    "AlloyDB for PostgreSQL",
    "Database Migration Service",
    "Dataplex",
    "Dataform",
    "Datastream",
]
AWS_SERVICES = [
    "Amazon Elastic Compute Cloud",
    "AWS Internet Connectivity",
    "Amazon Simple Storage Service",
    "AWS Lambda",
    "Amazon Relational Database Service",
    "Amazon DynamoDB",
    "Amazon Elastic Load Balancing",
    "Amazon Elastic Container Service",
    "Amazon Elastic Kubernetes Service",
    "Amazon Simple Queue Service",
    "Amazon Simple Notification Service",
    "Amazon CloudWatch",
    "AWS CloudFormation",
    "Amazon API Gateway",
    "Amazon ElastiCache",
    "Amazon Kinesis Data Streams",
    "Amazon Kinesis Firehose",
    "AWS Management Console",
    "AWS Direct Connect",
    "Amazon Connect",
    "Amazon WorkSpaces",
    "Amazon Elastic File System",
]
AWS_REGIONS = [
    "N. Virginia",
    "Ohio",
    "Oregon",
    "N. California",
    "Milan",
    "Seoul",
    "Tokyo",
    "Osaka",
    "Frankfurt",
    "Ireland",
    "London",
    "Paris",
    "Stockholm",
    "Mumbai",
    "Singapore",
    "Sydney",
    "Jakarta",
    "Hong Kong",
    "Bahrain",
    "Cape Town",
    "Canada",
    "Sao Paulo",
]
AWS = [f"{service} ({region})" for service in AWS_SERVICES for region in AWS_REGIONS]
# A long text is prose, not a name: what a product/service column holds is short.
_NAME_CHARS = 80


def _spelling(value: str) -> str:
    return "".join(ch for ch in value.casefold() if ch.isalnum())


def _assert_only_spellings_are_enabled(names: list[str]) -> int:
    """Suggest over ``names`` as a services column; return how many merges were enabled."""
    frame = frame_of(*(incident(services=[name]) for name in names))
    enabled = 0
    for proposal in suggest(frame, context=CONTEXT):
        if proposal.cluster is None:
            continue
        values = [value for value, _ in proposal.cluster.values]
        for value in values[1:]:
            assert distinct_reason(values[0], value) is None, (values[0], value)
        if proposal.enabled:
            enabled += 1
            assert len({_spelling(value) for value in values}) == 1, values
    return enabled


def test_no_merge_of_distinct_google_cloud_products_or_aws_regions() -> None:
    names = [*GOOGLE, *GOOGLE[:10], *AWS]
    assert _assert_only_spellings_are_enabled(names) == 0


def test_spellings_of_one_product_are_merged_into_the_well_formed_one() -> None:
    names = [*GOOGLE, *AWS, "Cloud  Firestore", "amazon elastic compute cloud ( ohio )"]
    frame = frame_of(*(incident(services=[name]) for name in names))
    enabled = [
        proposal.steps[0].into  # type: ignore[attr-defined]
        for proposal in suggest(frame, context=CONTEXT)
        if proposal.enabled and proposal.cluster is not None
    ]
    assert sorted(enabled) == ["Amazon Elastic Compute Cloud (Ohio)", "Cloud Firestore"]


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        if 0 < len(node) <= _NAME_CHARS:
            yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _names_in(path: Path) -> list[str]:
    if path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as handle:
            return [cell for row in csv.reader(handle) for cell in row if cell][:20_000]
    if path.suffix == ".jsonl":
        lines = path.read_text(encoding="utf-8").splitlines()
        return [s for line in lines if line.strip() for s in _strings(json.loads(line))]
    return list(_strings(json.loads(path.read_text(encoding="utf-8"))))[:20_000]


def _held_out(*words: str) -> list[Path]:
    folder = SHARED / "datasets"
    return sorted(
        path
        for path in folder.rglob("*")
        if path.suffix in {".json", ".jsonl", ".csv"}
        and any(word in path.name.lower() for word in words)
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "parts",
    [
        ("datasets", "statuspage", "githubstatus_incidents_2021-2022.json"),
        ("datasets", "servicenow", "incident_event_log.sample.csv"),
    ],
)
def test_real_exports_get_no_enabled_merge_of_different_values(parts: tuple[str, ...]) -> None:
    names = _names_in(shared_path(*parts))
    assert names
    _assert_only_spellings_are_enabled(names)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("provider", "words"), [("Google Cloud", ("google", "gcp")), ("AWS", ("aws",))]
)
def test_held_out_cloud_histories_get_no_enabled_merge_of_products_or_regions(
    provider: str, words: tuple[str, ...]
) -> None:
    paths = _held_out(*words)
    if not paths:
        pytest.skip(
            f"{provider}'s status history is held out of ../shared/datasets (measured where "
            "it is present)"
        )
    for path in paths:
        names = _names_in(path)
        assert names, path
        _assert_only_spellings_are_enabled(names)
