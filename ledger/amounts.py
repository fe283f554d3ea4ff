"""Decimal amounts: parsing, rounding, and the one column type that stores them.

Points are whole numbers; yuan (CNY) have two decimals (fen). Both are stored as
integer hundredths of their unit in a BIGINT column, because SQLite would store a
``Numeric`` as a float. A float is never accepted anywhere.
"""
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy.types import BigInteger, TypeDecorator

from ledger.errors import InvalidAmountError

ZERO = Decimal("0")
POINTS = "POINTS"
CNY = "CNY"
LEDGERS = (POINTS, CNY)
QUANTUM = {POINTS: Decimal("1"), CNY: Decimal("0.01")}
# 10^12 units stays far inside BIGINT hundredths and above any real community's total.
MAX_AMOUNT = Decimal("1000000000000")
DEFAULT_POINTS_PER_YUAN = Decimal("50")


def parse_amount(value, ledger=POINTS):
    """Return ``value`` as a positive Decimal of the ledger's precision, or raise.

    Accepts Decimal, int and decimal strings. Refuses floats, bools, NaN, infinities,
    zero, negatives, anything finer than a point (POINTS) or a fen (CNY), and
    amounts beyond ``MAX_AMOUNT``.
    """
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        raise InvalidAmountError(value)
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, ValueError):
        raise InvalidAmountError(value) from None
    if not amount.is_finite() or amount <= ZERO or amount > MAX_AMOUNT:
        raise InvalidAmountError(value)
    if amount != amount.quantize(QUANTUM[ledger], rounding=ROUND_HALF_UP):
        raise InvalidAmountError(value)
    return amount.quantize(QUANTUM[ledger])


def to_points(value):
    """A whole, positive number of points (see ``parse_amount``)."""
    return parse_amount(value, POINTS)


def to_cny(value):
    """A positive yuan amount with at most two decimals (see ``parse_amount``)."""
    return parse_amount(value, CNY)


def points_to_cny(points, points_per_yuan=DEFAULT_POINTS_PER_YUAN):
    """Yuan owed for ``points`` at the rate, rounded half up to the fen.

    539,900 points at 50 per yuan are ¥10,798.00; 12,345 points are ¥246.90.
    """
    if any(isinstance(value, float) for value in (points, points_per_yuan)):
        raise InvalidAmountError(points)
    rate = Decimal(points_per_yuan)
    if not rate.is_finite() or rate <= ZERO:
        raise InvalidAmountError(points_per_yuan)
    return (Decimal(points) / rate).quantize(QUANTUM[CNY], rounding=ROUND_HALF_UP)


def format_amount(amount, ledger=POINTS):
    """The decimal string clients see: ``"1234"`` for points, ``"12.30"`` for yuan."""
    return str(Decimal(amount).quantize(QUANTUM[ledger]))


class Amount(TypeDecorator):
    """A Decimal stored as integer hundredths in a BIGINT column."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, (float, bool)) or not isinstance(value, (Decimal, int)):
            raise TypeError(f"amounts must be Decimal or int, not {type(value).__name__}")
        hundredths = Decimal(value) * 100
        if hundredths != hundredths.to_integral_value():
            raise ValueError(f"amount {value} is finer than a hundredth")
        return int(hundredths)

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(value) / 100
