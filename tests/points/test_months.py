"""Local calendar months: one arithmetic for caps, inspections, coupons and settlement."""
from datetime import date, datetime, timezone

import pytest

from points import months


def test_month_days_cross_the_year_in_december():
    assert months.days_of(date(2026, 12, 31)) == (date(2026, 12, 1), date(2027, 1, 1))
    assert months.days_of(date(2026, 2, 10)) == (date(2026, 2, 1), date(2026, 3, 1))


def test_the_month_of_a_moment_is_its_local_month():
    # 20:00 UTC on 30 November is 04:00 on 1 December in Shanghai.
    assert months.month_of(datetime(2026, 11, 30, 20, 0, tzinfo=timezone.utc)) == "2026-12"
    assert months.month_of(datetime(2026, 11, 30, 15, 0, tzinfo=timezone.utc)) == "2026-11"
    assert months.month_of(date(2026, 1, 31)) == "2026-01"


def test_the_month_begins_and_ends_at_local_midnight():
    start, end = months.moments_of(date(2026, 11, 15))
    assert start == datetime(2026, 10, 31, 16, 0, tzinfo=timezone.utc)
    assert end == datetime(2026, 11, 30, 16, 0, tzinfo=timezone.utc)


def test_neighbouring_months_cross_the_year():
    assert months.preceding(date(2026, 1, 20)) == date(2025, 12, 1)
    assert months.following(date(2026, 12, 20)) == date(2027, 1, 1)
    assert months.this_month(datetime(2026, 11, 30, 20, 0, tzinfo=timezone.utc)) == date(2026, 12, 1)


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "26-11", "2026-1", "1999-12", "", None,
                                  202611, " 2026-11x", "９０２６-11"])
def test_anything_but_a_month_is_none(text):
    assert months.first_day(text) is None


def test_a_month_is_its_first_day():
    assert months.first_day(" 2026-11 ") == date(2026, 11, 1)
