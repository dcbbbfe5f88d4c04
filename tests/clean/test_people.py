"""Legacy people who are not Datadog users, and the user each most probably is."""

from __future__ import annotations

from ddinc.clean.people import UserChoice, propose_user, unmapped_people
from tests.clean.conftest import frame_of, incident

ANN = UserChoice("u1", "Ann.Lee@Example.com", "Ann Lee")
BOB = UserChoice("u2", "bob.martin@example.com", "Bob Martin")


def test_unmapped_people_skip_known_emails_case_and_space_insensitively() -> None:
    frame = frame_of(
        incident(commander=" ann.lee@example.com", declared_by="Bob M."),
        incident(commander="Bob M.", declared_by=None),
        incident(commander="", declared_by="carol"),
    )
    assert unmapped_people(frame, [ANN.email, BOB.email]) == [("Bob M.", 2), ("carol", 1)]


def test_proposals_match_names_and_email_handles() -> None:
    assert propose_user("Lee, Ann", [ANN, BOB])[0] == ANN
    assert propose_user("ann lee", [ANN, BOB]) == (ANN, 100.0)
    assert propose_user("bob.martin", [ANN, BOB])[0] == BOB
    assert propose_user("Zoe Quinn", [ANN, BOB]) == (None, 0.0)
    assert propose_user("Ann", []) == (None, 0.0)
