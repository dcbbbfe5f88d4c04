"""One error class per status, Datadog's own words, the request id, and what to do next."""

from __future__ import annotations

import json

import pytest

from ddinc.datadog.errors import (
    BadRequestError,
    DatadogAPIError,
    DatadogConnectionError,
    ForbiddenError,
    ImportOutcomeUnknownError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    ServerError,
    UnauthorizedError,
    UnexpectedStatusError,
    error_from_response,
    request_id_of,
)
from ddinc.datadog.models import IncidentImportRequest
from ddinc.errors import DatadogError, DdincError
from tests.conftest import shared_path


def build(
    status: int,
    body: bytes = b'{"errors": ["nope"]}',
    operation: str = "ImportIncident",
    **headers: str,
) -> DatadogAPIError:
    return error_from_response(
        status,
        body,
        headers,
        operation=operation,
        method="POST",
        path="/api/v2/incidents/import",
        host="api.datadoghq.eu",
    )


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, UnauthorizedError),
        (403, ForbiddenError),
        (404, NotFoundError),
        (429, RateLimitedError),
        (500, ServerError),
        (503, ServerError),
        (409, UnexpectedStatusError),
        (418, UnexpectedStatusError),
    ],
)
def test_each_status_has_its_class_under_the_package_base(
    status: int, cls: type[DatadogAPIError]
) -> None:
    error = build(status)
    assert type(error) is cls
    assert isinstance(error, DatadogError)
    assert isinstance(error, DdincError)
    assert error.status == status
    assert error.messages == ("nope",)
    assert f"answered {status}: nope." in str(error)


def test_the_recorded_error_bodies_become_messages() -> None:
    found = {}
    for name in (
        "error_delete_incident_not_found_404",
        "error_incident_impact_bad_request_400",
        "error_incident_impact_not_found_404",
        "error_notification_rule_bad_request_400",
    ):
        recorded = json.loads(shared_path("datadog", "recorded", f"{name}.json").read_text())
        answer = recorded["interactions"][-1]["response"]
        error = build(
            answer["status"],
            json.dumps(answer["body"]).encode(),
            operation="CreateIncidentImpact",
            **answer["headers"],
        )
        found[name] = error
    assert found["error_delete_incident_not_found_404"].messages == (
        "incident 6248184c-3ce0-54e7-a9f3-8db44efede9d not found",
    )
    assert isinstance(found["error_delete_incident_not_found_404"], NotFoundError)
    assert found["error_incident_impact_bad_request_400"].messages == (
        "Bad Request: invalid impact data: incident id is required: invalid impact",
    )
    assert (
        found["error_incident_impact_not_found_404"]
        .messages[0]
        .startswith("Generic Error: rpc error")
    )
    assert found["error_notification_rule_bad_request_400"].messages == (
        'Bad Request: got type "invalid_type" expected one of "incident_notification_rules"',
    )


def test_the_request_id_is_carried_and_shown() -> None:
    error = build(500, **{"X-Request-Id": "abc-123"})
    assert error.request_id == "abc-123"
    assert "Request id abc-123" in str(error)
    assert request_id_of({"dd-request-id": "z"}) == "z"
    assert request_id_of({"content-type": "application/json"}) is None


def test_each_message_says_what_to_do() -> None:
    assert "list_user_defined_fields" in str(build(400))
    assert "DD_SITE" in str(build(401))
    assert "api.datadoghq.eu" in str(build(401))
    forbidden = str(build(403))
    assert "incident_write" in forbidden
    assert "Preview" in forbidden
    assert "invalid API or application key" in forbidden
    assert "user_access_read" in str(build(403, operation="ListUsers"))
    assert "Preview" not in str(build(403, operation="ListUsers"))
    assert "Preview" in str(build(404))
    assert "another site" in str(build(404, operation="GetIncident"))
    assert "status.datadoghq.com" in str(build(502))


def test_a_rate_limited_error_names_the_limit() -> None:
    error = build(
        429,
        **{
            "x-ratelimit-limit": "60",
            "x-ratelimit-period": "10",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": "7",
            "x-ratelimit-name": "incidents_import",
        },
    )
    assert error.rate_limit is not None
    assert "'incidents_import' is 60 per 10 s; it resets in 7 s" in str(error)


def test_an_unreadable_error_body_still_makes_an_error() -> None:
    error = build(502, b"<html>502 Bad Gateway</html>")
    assert error.messages == ("<html>502 Bad Gateway</html>",)
    assert build(500, b"").messages == ()
    assert "no message" in str(build(500, b""))


def test_an_unknown_import_outcome_carries_the_request_and_warns() -> None:
    request = IncidentImportRequest.of("Checkout down")
    unknown = ImportOutcomeUnknownError(
        "Datadog answered 502",
        request=request,
        host="api.datadoghq.com",
        status=502,
        request_id="r-1",
    )
    assert isinstance(unknown, OutcomeUnknownError)
    assert unknown.request is request
    assert unknown.title == "Checkout down"
    text = str(unknown)
    assert "'Checkout down'" in text
    assert "may or may not have created" in text
    assert "Do not import it again blindly" in text
    assert "Request id r-1" in text


def test_a_connection_error_says_whether_it_was_sent() -> None:
    error = DatadogConnectionError(
        "ConnectError: refused", operation="ListUsers", host="127.0.0.1:8126", sent=False
    )
    assert error.sent is False
    assert "emulator" in str(error)


PROXY_502 = b"<html><body><h1>502 Bad Gateway</h1>squid</body></html>"


def test_a_5xx_that_did_not_come_from_datadog_does_not_blame_datadog() -> None:
    from_proxy = build(502, PROXY_502, **{"content-type": "text/html", "via": "1.1 squid"})
    assert isinstance(from_proxy, ServerError)
    assert from_proxy.from_datadog is False
    assert "Datadog's side" not in str(from_proxy)
    assert "proxy" in str(from_proxy)
    assert "1.1 squid" in str(from_proxy)
    from_datadog = build(
        502,
        b'{"errors": ["Bad Gateway"]}',
        **{"content-type": "application/json", "x-ratelimit-limit": "60"},
    )
    assert from_datadog.from_datadog is True
    assert "Datadog's side" in str(from_datadog)


def test_server_content_with_terminal_escapes_is_shown_escaped() -> None:
    body = json.dumps({"errors": ["\x1b[2J\x1b[31mfake prompt\x07 \x9b1m"]}).encode()
    error = build(400, body, **{"x-request-id": "id\x1b]0;title\x07"})
    text = str(error)
    assert not any(ch in text for ch in "\x1b\x07\x9b")
    assert "\\x1b[2J" in text
    assert error.messages == ("\x1b[2J\x1b[31mfake prompt\x07 \x9b1m",)  # kept as sent
    unknown = ImportOutcomeUnknownError(
        "Datadog answered 500",
        request=IncidentImportRequest.of("title"),
        host="h",
        messages=["\x1b[31mboom"],
        request_id="\x1b[0m",
    )
    assert "\x1b" not in str(unknown)
