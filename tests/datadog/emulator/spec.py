"""The spec subset (``../shared/datadog/openapi-incidents.yaml``) as validators, for the tests.

Skips the calling test when ``../shared`` is absent.
"""

from __future__ import annotations

import functools
from typing import Any

import yaml
from jsonschema.protocols import Validator
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator, oas30_format_checker

from tests.conftest import shared_path


@functools.cache
def _spec_cached(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        # The C loader when PyYAML has it: the spec is 3,500 lines.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        loaded: dict[str, Any] = yaml.load(handle, Loader=loader)  # both loaders are safe ones
    return loaded


def spec() -> dict[str, Any]:
    """The parsed spec (cached)."""
    return _spec_cached(str(shared_path("datadog", "openapi-incidents.yaml")))


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local ``$ref`` (``#/components/...``) once, if there is one."""
    ref = node.get("$ref")
    if ref is None:
        return node
    target: Any = spec()
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    resolved: dict[str, Any] = target
    return resolved


def validator(schema: dict[str, Any], *, response: bool = True) -> Validator:
    """An OpenAPI 3.0 validator of ``schema`` whose ``$ref`` resolve inside the spec."""
    rooted = {**schema, "components": spec()["components"]}
    cls = OAS30ReadValidator if response else OAS30WriteValidator
    built: Validator = cls(rooted, format_checker=oas30_format_checker)
    return built


def component(name: str, *, response: bool = True) -> Validator:
    """A validator of ``#/components/schemas/<name>`` (cached)."""
    spec()  # skips here, outside the cache, when ../shared is absent
    return _component(name, response)


@functools.cache
def _component(name: str, response: bool) -> Validator:
    return validator({"$ref": f"#/components/schemas/{name}"}, response=response)


def operations() -> dict[str, dict[str, Any]]:
    """Each operation id with its (resolved) ``responses`` by status string."""
    found: dict[str, dict[str, Any]] = {}
    for item in spec()["paths"].values():
        for operation in item.values():
            responses = {code: resolve(r) for code, r in operation["responses"].items()}
            found[operation["operationId"]] = responses
    return found


def response_schema(operation: str, status: int) -> dict[str, Any] | None:
    """The JSON schema the spec gives for one operation and status (None: no body)."""
    described = operations()[operation].get(str(status))
    if described is None:
        raise KeyError(f"the spec lists no {status} for {operation}")
    content = described.get("content")
    if not content:
        return None
    schema: dict[str, Any] = content["application/json"]["schema"]
    return schema
