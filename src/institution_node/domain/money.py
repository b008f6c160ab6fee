"""Exact money: Decimal in the domain, integer minor units in storage."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from network_common.errors import ErrorCode, InvalidInput

# ISO 4217 minor-unit exponents that differ from 2; everything else uses 2.
_EXPONENTS = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "BHD": 3, "KWD": 3, "JOD": 3, "OMR": 3}

#: The most minor units an amount column holds (a 32-bit integer on PostgreSQL).
MAX_MINOR = 2**31 - 1


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


def validate_currency(currency: str) -> str:
    code = currency.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise InvalidInput(f"'{currency}' is not an ISO 4217 currency code")
    return code


def parse_amount(value: str | Decimal | int, currency: str, *, field: str = "amount") -> Decimal:
    """Parse a positive amount exactly; refuse more decimals than the currency has."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise InvalidInput(
            f"{field} '{value}' is not a number", code=ErrorCode.INVALID_AMOUNT
        ) from exc
    if not amount.is_finite():
        raise InvalidInput(f"{field} must be a finite number", code=ErrorCode.INVALID_AMOUNT)
    if amount <= 0:
        raise InvalidInput(f"{field} must be greater than zero", code=ErrorCode.INVALID_AMOUNT)
    quantum = Decimal(1).scaleb(-exponent(currency))
    largest = Decimal(MAX_MINOR).scaleb(-exponent(currency))
    if amount > largest:
        raise InvalidInput(
            f"{field} must not be more than {largest} {currency}", code=ErrorCode.INVALID_AMOUNT
        )
    if amount != amount.quantize(quantum, rounding=ROUND_HALF_EVEN):
        raise InvalidInput(
            f"{field} {amount} has more decimals than {currency} allows",
            code=ErrorCode.INVALID_AMOUNT,
        )
    return amount.quantize(quantum)


def to_minor(amount: Decimal, currency: str) -> int:
    return int((amount * (10 ** exponent(currency))).to_integral_exact())


def from_minor(minor: int, currency: str) -> Decimal:
    exp = exponent(currency)
    result: Decimal = (Decimal(minor) / (10**exp)).quantize(Decimal(1).scaleb(-exp))
    return result


def parse_optional_fee(value: str, currency: str, *, field: str) -> Decimal | None:
    """A configured fee: blank or zero means "no fee" (None); otherwise a valid amount."""
    text = value.strip()
    try:
        if not text or Decimal(text) == 0:
            return None
    except (InvalidOperation, ValueError):
        pass  # parse_amount gives the clear error below
    return parse_amount(text, currency, field=field)
