"""Exact money: parsing, minor units and their round trip."""

from __future__ import annotations

from decimal import Decimal

import pytest

from institution_node.domain.money import (
    from_minor,
    parse_amount,
    parse_optional_fee,
    to_minor,
    validate_currency,
)
from network_common.errors import InvalidInput


@pytest.mark.parametrize(
    ("text", "currency", "expected"),
    [
        ("10", "USD", "10.00"),
        ("0.1", "USD", "0.10"),
        ("1500", "JPY", "1500"),
        ("1.234", "KWD", "1.234"),
    ],
)
def test_parse_is_exact(text: str, currency: str, expected: str) -> None:
    assert str(parse_amount(text, currency)) == expected


@pytest.mark.parametrize("text", ["-1", "0", "0.00", "0.001", "abc", "NaN", "Infinity", "1e400x"])
def test_refused_amounts(text: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_amount(text, "USD")
    assert err.value.code.value == "INVALID_AMOUNT"


def test_yen_has_no_decimals() -> None:
    with pytest.raises(InvalidInput):
        parse_amount("1.5", "JPY")


def test_minor_units_round_trip_without_float_error() -> None:
    total = sum((to_minor(Decimal("0.10"), "USD") for _ in range(3)), 0)
    assert total == 30
    assert from_minor(total, "USD") == Decimal("0.30")
    assert str(from_minor(1, "KWD")) == "0.001"
    assert str(from_minor(1999, "USD")) == "19.99"


def test_currency_codes() -> None:
    assert validate_currency(" eur ") == "EUR"
    for bad in ("EURO", "US", "E1R", ""):
        with pytest.raises(InvalidInput):
            validate_currency(bad)


@pytest.mark.parametrize("text", ["1e30", "99999999999999999999", "21474836.48", "1E+400"])
def test_amounts_beyond_what_is_stored_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_amount(text, "USD")
    assert err.value.code.value == "INVALID_AMOUNT"


def test_largest_storable_amount_is_accepted() -> None:
    assert to_minor(parse_amount("21474836.47", "USD"), "USD") == 2**31 - 1


@pytest.mark.parametrize("text", ["", "  ", "0", "0.00", "0.0"])
def test_a_blank_or_zero_configured_fee_means_no_fee(text: str) -> None:
    assert parse_optional_fee(text, "USD", field="registration_fee") is None


def test_a_configured_fee_is_exact_and_still_validated() -> None:
    assert parse_optional_fee("5.50", "USD", field="fee") == Decimal("5.50")
    for bad in ("-1", "abc", "1.234"):
        with pytest.raises(InvalidInput):
            parse_optional_fee(bad, "USD", field="fee")
