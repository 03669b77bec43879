"""Exact numbers for scores and money: rounding and the way they are written.

The engine computes with `Fraction` so that a rate like 2/3 or a target split
like 11 × 3/10 stays exact until the one place the spec rounds (the end of an
item, half up, 2 places). Everything handed to other layers is `Decimal`.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from fractions import Fraction

# Digits kept when an unrounded value (a rate, a split) is shown as a Decimal.
# Only explanations and indicator displays see these; scores are exact.
SHOW_DIGITS = 40

Number = Decimal | Fraction | int

TWO_PLACES = Decimal("0.01")


def to_fraction(value: Number | str) -> Fraction:
    """Exact conversion; a decimal string like "12.50" is read exactly."""
    if type(value) is Decimal:
        # The usual case (a program's points, a sheet's value), without Fraction's checks
        # for every kind of number: a ranking converts tens of thousands of them.
        return Fraction(*value.as_integer_ratio())
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool):  # a bool is an int in Python; never a number here
        raise TypeError("a bool is not a number")
    if isinstance(value, int):
        return Fraction(value)
    return Fraction(Decimal(value))


def round_half_up(value: Number, places: int = 2) -> Decimal:
    """Round to `places` decimals, ties away from zero (Decimal's ROUND_HALF_UP)."""
    exact = to_fraction(value)
    scale = 10**places
    scaled = abs(exact) * scale
    units = int(scaled)  # floor, since scaled >= 0
    if scaled - units >= Fraction(1, 2):
        units += 1
    sign = -1 if exact < 0 and units else 1
    return (Decimal(sign * units) / Decimal(scale)).quantize(Decimal(1).scaleb(-places))


def terminates(value: Fraction) -> bool:
    """True when the fraction has a finite decimal expansion."""
    d = value.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d == 1


def to_decimal(value: Number) -> Decimal:
    """Exact when the decimal expansion ends, else SHOW_DIGITS significant digits."""
    if isinstance(value, Decimal):
        return value
    exact = to_fraction(value)
    with localcontext() as ctx:
        ctx.prec = SHOW_DIGITS
        if terminates(exact):
            ctx.prec = max(SHOW_DIGITS, len(str(exact.numerator)) + len(str(exact.denominator)))
        return Decimal(exact.numerator) / Decimal(exact.denominator)


def _no_negative_zero(text: str) -> str:
    if text.startswith("-") and set(text[1:]) <= {"0", "."}:
        return text[1:]
    return text


def format_score(value: Number) -> str:
    """A score as the sheet writes it: always 2 places ("87.50", "-4.00")."""
    return _no_negative_zero(f"{round_half_up(value, 2):.2f}")


def format_money(value: Number) -> str:
    """Money without places when whole ("2000", "-400"), else 2 places ("12.50")."""
    rounded = round_half_up(value, 2)
    if rounded == rounded.to_integral_value():
        return _no_negative_zero(f"{rounded:.0f}")
    return _no_negative_zero(f"{rounded:.2f}")


def format_number(value: Number, max_places: int = 4, approx_places: int = 2) -> str:
    """A value in an explanation: exact when short ("3.2", "195"), else "≈66.67".

    Trailing zeros are dropped so a count reads "4", not "4.00".
    """
    exact = to_fraction(value)
    if terminates(exact):
        d = to_decimal(exact)
        if d == d.to_integral_value():
            return _no_negative_zero(f"{d:.0f}")
        text = format(d.normalize(), "f")
        if len(text.split(".")[1]) <= max_places:
            return _no_negative_zero(text)
    return "≈" + _no_negative_zero(str(round_half_up(exact, approx_places)))


def decimal_to_plain(value: Decimal) -> str:
    """A Decimal as the plain string kept in caches and JSON (no exponent)."""
    return format(value, "f")


def plain_to_decimal(text: str) -> Decimal:
    if not isinstance(text, str):
        raise TypeError(f"expected a decimal string, got {type(text).__name__}")
    return Decimal(text)
