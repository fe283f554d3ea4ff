"""Pure rules of 文明积分: months, the pass rule, scores and ledger keys."""
from datetime import datetime, timezone

import pytest

from points.inspections import rules
from points.inspections.errors import (DuplicateHouseholdError, FutureMonthError,
                                       InvalidMonthError, ReasonRequiredError,
                                       ScoreOutOfRangeError)


def test_the_month_is_the_local_calendar_month():
    # 2026-11-30 20:00 UTC is already 1 December in Chengdu.
    assert rules.month_of(datetime(2026, 11, 30, 20, 0, tzinfo=timezone.utc)) == "2026-12"
    assert rules.month_of(datetime(2026, 11, 30, 15, 0, tzinfo=timezone.utc)) == "2026-11"


@pytest.mark.parametrize("text", ["2026-11", " 2026-01 "])
def test_months_are_year_dash_month(text):
    assert rules.parse_month(text) == text.strip()


@pytest.mark.parametrize("text", ["", None, "2026-13", "2026-00", "2026-1", "26-11", "1999-12",
                                  "2026/11", "2026-11-01"])
def test_anything_else_is_not_a_month(text):
    with pytest.raises(InvalidMonthError):
        rules.parse_month(text)


def test_a_future_month_is_refused():
    now = datetime(2026, 11, 20, tzinfo=timezone.utc)
    rules.ensure_not_future("2026-11", now)
    rules.ensure_not_future("2025-12", now)
    with pytest.raises(FutureMonthError):
        rules.ensure_not_future("2026-12", now)


@pytest.mark.parametrize("scores, clean", [
    ({"personal": 8, "home": 8, "public": 8}, True),     # 24 in all, each at least 6
    ({"personal": 6, "home": 8, "public": 10}, True),
    ({"personal": 10, "home": 10, "public": 5}, False),  # 25, but one item under 6
    ({"personal": 7, "home": 8, "public": 8}, False),    # each at least 6, but 23 in all
    ({"personal": 0, "home": 0, "public": 0}, False),
])
def test_a_clean_household_has_every_item_at_least_6_and_24_in_all(scores, clean):
    assert rules.passes(scores, rules.DEFAULT_POLICY) is clean


def test_a_community_policy_moves_the_thresholds():
    strict = rules.Policy(item_min=8, total_min=27, points=rules.DEFAULT_POLICY.points)
    assert not rules.passes({"personal": 8, "home": 8, "public": 10}, strict)
    assert rules.passes({"personal": 9, "home": 9, "public": 9}, strict)


@pytest.mark.parametrize("scores", [
    {"personal": 11, "home": 8, "public": 8}, {"personal": -1, "home": 8, "public": 8},
    {"personal": 8, "home": 8}, {"personal": "8", "home": 8, "public": 8},
    {"personal": 8.0, "home": 8, "public": 8}, {"personal": True, "home": 8, "public": 8},
])
def test_scores_are_whole_numbers_from_0_to_10(scores):
    with pytest.raises(ScoreOutOfRangeError):
        rules.ensure_scores_in_range(scores)


def test_each_household_once():
    rules.ensure_each_household_once([1, 2, 3])
    with pytest.raises(DuplicateHouseholdError):
        rules.ensure_each_household_once([1, 2, 1])


def test_a_correction_needs_a_reason():
    assert rules.clean_reason("  复查  评错了 ") == "复查 评错了"
    with pytest.raises(ReasonRequiredError):
        rules.clean_reason("   ")


def test_each_revision_has_its_own_credit_key():
    assert rules.credit_key(7, "2026-11", 1) == "inspection:7:2026-11:r1"
    assert rules.reversal_key(7, "2026-11", 1) == "inspection:7:2026-11:r1:reverse"
