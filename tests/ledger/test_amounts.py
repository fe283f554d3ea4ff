"""Amounts: what the ledger accepts, what it refuses, and how points convert to yuan."""
from decimal import Decimal

import pytest

import ledger
from ledger.errors import InvalidAmountError
from tests.ledger.book import snapshot

INVALID_POINTS = [1.0, 0.5, float("nan"), Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"),
                  "-Infinity", 0, "0", Decimal("-0"), -5, "-1", Decimal("1.5"), "0.001",
                  Decimal("1000000000001"), "1e13", True, False, "abc", "", None, [10]]


@pytest.mark.parametrize("value", INVALID_POINTS, ids=repr)
def test_invalid_points_amount_is_refused(value):
    with pytest.raises(InvalidAmountError):
        ledger.to_points(value)


@pytest.mark.parametrize("value", [1.5, "0.001", Decimal("0.005"), 0, "-0.01", "1e13", True,
                                   "abc", float("inf")], ids=repr)
def test_invalid_cny_amount_is_refused(value):
    with pytest.raises(InvalidAmountError):
        ledger.to_cny(value)


@pytest.mark.parametrize("value, expected", [
    (1, Decimal("1")), ("50", Decimal("50")), (Decimal("7"), Decimal("7")),
    (" 12 ", Decimal("12")), ("1.0", Decimal("1")), ("1000000000000", Decimal("1000000000000")),
])
def test_whole_points_are_accepted(value, expected):
    assert ledger.to_points(value) == expected


def test_cny_keeps_two_decimals():
    assert ledger.to_cny("12.3") == Decimal("12.30")
    assert str(ledger.to_cny("0.01")) == "0.01"


def test_transfer_with_invalid_amount_is_refused_and_moves_nothing(session, book, funded):
    resident, merchant = funded
    before = snapshot(session)
    # One database per test is costly; the pure refusals are parametrized above.
    for value in (1.0, float("nan"), float("inf"), 0, -1, Decimal("1.5"), "0.001",
                  Decimal("1000000000001"), True, "abc"):
        with pytest.raises(InvalidAmountError), ledger.write_transaction(session):
            ledger.transfer(session, debit=resident, credit=merchant, amount=value,
                            key=f"bad-{value!r}", kind="spend")
    assert snapshot(session) == before
    assert (book.balance(resident), book.balance(merchant)) == (Decimal("100"), Decimal("0"))


def test_cny_transfer_finer_than_a_fen_is_refused(session, book):
    fund = book.account(1, ledger_name=ledger.CNY, owner_type="merchant")
    before = snapshot(session)
    with pytest.raises(InvalidAmountError), ledger.write_transaction(session):
        ledger.transfer(session, debit=book.system("income", ledger.CNY), credit=fund,
                        amount="0.001", key="fen", kind="settle")
    assert snapshot(session) == before


@pytest.mark.parametrize("points, cny", [
    (539_900, Decimal("10798.00")),
    (345_700, Decimal("6914.00")),
    (12_345, Decimal("246.90")),
    (1, Decimal("0.02")),
])
def test_points_convert_to_yuan_at_fifty_per_yuan(points, cny):
    converted = ledger.points_to_cny(points)
    assert converted == cny
    assert str(converted) == str(cny)  # always two decimals: "10798.00"


@pytest.mark.parametrize("points, rate, cny", [
    (5, "200", Decimal("0.03")),  # 0.025 rounds half up, not to the even 0.02
    (15, "200", Decimal("0.08")),  # 0.075 → 0.08
    (1, "3", Decimal("0.33")),  # 0.333… → 0.33
    (2, "3", Decimal("0.67")),  # 0.666… → 0.67
])
def test_conversion_rounds_half_up_at_the_fen(points, rate, cny):
    assert ledger.points_to_cny(points, Decimal(rate)) == cny


@pytest.mark.parametrize("rate", ["0", "-50", "NaN", "Infinity"])
def test_conversion_refuses_a_rate_that_is_not_positive(rate):
    with pytest.raises(InvalidAmountError):
        ledger.points_to_cny(100, Decimal(rate))


def test_format_amount_gives_the_strings_clients_see():
    assert ledger.format_amount(Decimal("1234")) == "1234"
    assert ledger.format_amount(Decimal("12.3"), ledger.CNY) == "12.30"


@pytest.mark.parametrize("points, rate", [(100.0, "50"), (100, 50.0)])
def test_conversion_refuses_floats(points, rate):
    with pytest.raises(InvalidAmountError):
        ledger.points_to_cny(points, rate if isinstance(rate, float) else Decimal(rate))
