"""Pure rules of earning: points from a type's rule, what the caps still allow, a valid
rule, and the rule in plain words."""
from decimal import Decimal
from types import SimpleNamespace

import pytest

from points.earning import rules
from points.earning.errors import (CapNotPositiveError, DailyAboveMonthlyError,
                                   HoursRequiredError, PointsNotPositiveError,
                                   TypeNameMissingError, UnknownCategoryError, UnknownUnitError)


def a_type(**fields):
    values = dict(unit="hour", points=Decimal("10"), daily_cap=None, monthly_cap=None,
                  photo_required=False, location_required=False, second_approval_above=None)
    return SimpleNamespace(**{**values, **fields})


def test_a_participation_earns_the_type_points_whatever_the_hours():
    assert rules.points_for(a_type(unit="participation", points=Decimal("20")), hours="3") == 20


def test_hours_earn_whole_points_rounded_down():
    assert rules.points_for(a_type(points=Decimal("5")), hours=Decimal("1.5")) == Decimal("7")
    assert rules.points_for(a_type(), hours="2") == Decimal("20")


def test_an_activity_may_offer_its_own_rate():
    assert rules.points_for(a_type(), hours="2", rate="15") == Decimal("30")


@pytest.mark.parametrize("hours", [None, "0", "-1", "24.5"])
def test_hourly_work_needs_hours_between_zero_and_a_day(hours):
    with pytest.raises(HoursRequiredError):
        rules.points_for(a_type(), hours=hours)


def test_cap_room_is_what_is_left_never_below_zero_and_none_without_a_cap():
    assert rules.cap_room(Decimal("40"), Decimal("30")) == Decimal("10")
    assert rules.cap_room(Decimal("40"), Decimal("50")) == Decimal("0")
    assert rules.cap_room(None, Decimal("999")) is None


def test_capped_takes_the_smallest_room():
    assert rules.capped(Decimal("30"), Decimal("20"), None, Decimal("25")) == Decimal("20")
    assert rules.capped(Decimal("30"), None, None) == Decimal("30")


def valid(**overrides):
    values = dict(points=Decimal("10"), unit="hour", daily_cap=Decimal("40"),
                  monthly_cap=Decimal("300"), second_approval_above=Decimal("100"))
    return {**values, **overrides}


def test_a_sound_rule_passes():
    rules.ensure_valid_rule(**valid())
    rules.ensure_valid_rule(**valid(daily_cap=None, monthly_cap=None, second_approval_above=None))


@pytest.mark.parametrize("overrides, error", [
    ({"unit": "day"}, UnknownUnitError),
    ({"points": None}, PointsNotPositiveError),
    ({"points": Decimal("0")}, PointsNotPositiveError),
    ({"daily_cap": Decimal("0")}, CapNotPositiveError),
    ({"monthly_cap": Decimal("-5")}, CapNotPositiveError),
    ({"second_approval_above": Decimal("0")}, CapNotPositiveError),
    ({"daily_cap": Decimal("301")}, DailyAboveMonthlyError),
])
def test_an_unsound_rule_is_refused(overrides, error):
    with pytest.raises(error):
        rules.ensure_valid_rule(**valid(**overrides))


def test_type_names_are_trimmed_and_must_be_one_to_forty_characters():
    assert rules.clean_type_name("  环境  卫生 ") == "环境 卫生"
    for bad in ("", "   ", None, "长" * 41):
        with pytest.raises(TypeNameMissingError):
            rules.clean_type_name(bad)


def test_only_known_categories():
    rules.ensure_known_category("hazard")
    with pytest.raises(UnknownCategoryError):
        rules.ensure_known_category("parking")


def test_the_rule_in_plain_words():
    phrases = rules.rule_phrases(a_type(daily_cap=Decimal("40"), monthly_cap=Decimal("300"),
                                        photo_required=True,
                                        second_approval_above=Decimal("100")))

    text = "，".join(msgid % params if params else msgid for msgid, params in phrases)
    assert text == "每小时 10 分，每天最多 40 分，每月最多 300 分，需要照片，超过 100 分需第二人复核"


def test_a_per_participation_rule_without_caps_in_plain_words():
    phrases = rules.rule_phrases(a_type(unit="participation", points=Decimal("5"),
                                        location_required=True))

    assert [msgid % params if params else msgid for msgid, params in phrases] == [
        "每次 5 分", "需要填写地点"]
