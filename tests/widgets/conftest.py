"""Frames and users for the widget tests."""

from __future__ import annotations

from typing import Any

from ddinc.clean.people import UserChoice

USERS = [
    UserChoice("u-ann", "ann.lee@example.com", "Ann Lee"),
    UserChoice("u-bob", "bob@example.com", "Bob Martin"),
]


def browser_message(content: dict[str, Any]) -> dict[str, Any]:
    """A custom message as the browser's anywidget sends it."""
    return {"content": {"data": {"method": "custom", "content": content}}, "buffers": []}
