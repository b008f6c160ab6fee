"""Shaping a member's Get It section (DOMAIN §5), without any network."""

from __future__ import annotations

from typing import Any

import pytest

from network_common.vocabulary import AvailabilityDisplay, RemoteRegister
from network_hub.getit.shaping import home_shaper, remote_shaper

TERMS = {"loanPeriodDays": 14, "renewalsAllowed": 2, "requestable": True, "fees": []}
RECORD: dict[str, Any] = {
    "recordId": "rec-1",
    "found": True,
    "totalItems": 3,
    "availableItems": 2,
    "requestable": True,
    "holdings": [{"libraryCode": "MAIN", "items": [{"barcode": "B1", "terms": TERMS}]}],
    "pickupPoints": [{"institutionCode": "UNIB", "libraryCode": "MAIN"}],
}


def remote(setting: str, *, display: str = "HOLDINGS", patron: bool = True, linked: bool = False):
    shaper = remote_shaper(
        code="UNIB",
        name="B",
        setting=RemoteRegister(setting),
        display=AvailabilityDisplay(display),
        patron=patron,
        personalised=linked,
    )
    return shaper.section(RECORD)


@pytest.mark.parametrize("setting", ["NONE", "MANUAL", "AUTO"])
def test_availability_only_home_shows_only_whether_and_how_many(setting: str) -> None:
    section = remote(setting, display="AVAILABILITY_ONLY", linked=True)
    assert (section["available"], section["availableCount"]) == (True, 2)
    assert section.get("totalCount") is None
    assert section.get("holdings") is None
    assert section.get("pickupPoints") is None
    assert (section["registerOption"], section["requestable"]) == (False, False)
    assert section["access"] == "AVAILABILITY_ONLY"


def test_none_member_never_personal_even_if_the_member_answered_personally() -> None:
    section = remote("NONE", linked=True)
    assert (section["access"], section["registration"]) == ("ANONYMOUS", "NOT_OFFERED")
    assert section["requestable"] is False
    assert section["holdings"][0]["items"][0]["terms"] is None
    assert RECORD["holdings"][0]["items"][0]["terms"] == TERMS  # the member's row is untouched


@pytest.mark.parametrize("setting", ["MANUAL", "AUTO"])
def test_anonymous_viewer_never_gets_register_or_request_options(setting: str) -> None:
    section = remote(setting, patron=False, linked=True)
    assert (section["access"], section["registration"]) == ("ANONYMOUS", "NOT_OFFERED")
    assert (section["registerOption"], section["requestable"]) == (False, False)


def test_manual_offers_register_until_linked_then_personal() -> None:
    before = remote("MANUAL")
    assert (before["registration"], before["registerOption"], before["requestable"]) == (
        "OFFERED",
        True,
        False,
    )
    after = remote("MANUAL", linked=True)
    assert (after["access"], after["registration"], after["registerOption"]) == (
        "PERSONAL",
        "LINKED",
        False,
    )
    assert after["requestable"] is True
    assert after["holdings"][0]["items"][0]["terms"] == TERMS
    assert after["pickupPoints"] == RECORD["pickupPoints"]


def test_auto_before_opening_says_the_account_is_made_on_open() -> None:
    section = remote("AUTO")
    assert (section["registration"], section["registerOption"]) == ("ON_OPEN", False)


def test_missing_record_is_not_found_and_not_available() -> None:
    shaper = home_shaper(code="UNIA", name="A", personalised=False)
    section = shaper.section(None)
    assert (section["found"], section["available"], section["availableCount"]) == (False, False, 0)


def test_the_home_section_is_personal_for_its_patron_and_anonymous_otherwise() -> None:
    personal = home_shaper(code="UNIA", name="A", personalised=True).section(RECORD)
    assert (personal["access"], personal["requestable"]) == ("PERSONAL", True)
    assert personal["holdings"][0]["items"][0]["terms"] == TERMS
    assert personal["pickupPoints"] == RECORD["pickupPoints"]
    anonymous = home_shaper(code="UNIA", name="A", personalised=False).section(RECORD)
    assert (anonymous["access"], anonymous["requestable"]) == ("ANONYMOUS", False)
    assert anonymous["holdings"][0]["items"][0]["terms"] is None
    assert anonymous.get("pickupPoints") is None


NO_COPY_FREE = {**RECORD, "availableItems": 0, "requestable": False}


@pytest.mark.parametrize("display", ["HOLDINGS", "AVAILABILITY_ONLY"])
@pytest.mark.parametrize("linked", [False, True])
def test_a_found_record_with_no_copy_free_is_not_available(display: str, linked: bool) -> None:
    sections = [
        home_shaper(code="UNIA", name="A", personalised=linked).section(NO_COPY_FREE),
        remote_shaper(
            code="UNIB",
            name="B",
            setting=RemoteRegister.AUTO,
            display=AvailabilityDisplay(display),
            patron=True,
            personalised=linked,
        ).section(NO_COPY_FREE),
    ]
    for section in sections:
        assert (section["found"], section["available"], section["availableCount"]) == (
            True,
            False,
            0,
        )


@pytest.mark.parametrize("setting", ["MANUAL", "AUTO"])
def test_pickup_points_only_when_requestable(setting: str) -> None:
    # The member sent pickup points, but this record cannot be requested by the viewer.
    record = {**RECORD, "requestable": False}
    remote_section = remote_shaper(
        code="UNIB",
        name="B",
        setting=RemoteRegister(setting),
        display=AvailabilityDisplay.HOLDINGS,
        patron=True,
        personalised=True,
    ).section(record)
    home_section = home_shaper(code="UNIA", name="A", personalised=True).section(record)
    for section in (remote_section, home_section):
        assert section["access"] == "PERSONAL"
        assert section["requestable"] is False
        assert section.get("pickupPoints") is None
