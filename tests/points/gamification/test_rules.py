"""Pure rules of the game: the level a number of points reaches on a ladder, a valid
ladder, streaks of months with work, and each badge's outcome with what crossed its line."""
from datetime import date
from decimal import Decimal

import pytest

from points.gamification import rules
from points.gamification.rules import CreditFact, Facts

LADDER = [(Decimal(0), "新手"), (Decimal(100), "能手"), (Decimal(500), "达人")]


def credits(*days, points="10", hours=None, category="environment", first_id=1):
    """One standing credit per day (``date`` or ``YYYY-MM-DD``), ids from ``first_id``."""
    return tuple(CreditFact(first_id + i, day if isinstance(day, date) else date.fromisoformat(day),
                            Decimal(points), Decimal(hours) if hours is not None else None,
                            category) for i, day in enumerate(days))


def outcome(facts, code):
    return next(found for found in rules.evaluate(facts) if found.badge.code == code)


# --- levels -----------------------------------------------------------------------------

@pytest.mark.parametrize(("points", "number", "name"), [
    ("0", 1, "新手"), ("99", 1, "新手"), ("100", 2, "能手"), ("101", 2, "能手"),
    ("499", 2, "能手"), ("500", 3, "达人"), ("100000", 3, "达人")])
def test_a_level_is_reached_at_its_threshold_and_not_one_point_before(points, number, name):
    level = rules.level_for(Decimal(points), LADDER)

    assert (level.number, level.name) == (number, name)


def test_a_level_knows_the_next_one_and_the_progress_towards_it():
    level = rules.level_for(Decimal("200"), LADDER)

    assert (level.threshold, level.next_name, level.next_threshold) == (
        Decimal(100), "达人", Decimal(500))
    assert (level.to_next, level.percent, level.points) == (Decimal(300), 25, Decimal(200))


def test_the_top_level_has_no_next_and_is_full():
    level = rules.level_for(Decimal("800"), LADDER)

    assert (level.next_name, level.next_threshold, level.to_next, level.percent) == (
        None, None, None, 100)


def test_progress_rounds_down_and_never_shows_the_next_level_early():
    assert rules.level_for(Decimal("499"), LADDER).percent == 99
    assert rules.level_for(Decimal("100"), LADDER).percent == 0


def test_a_custom_ladder_is_read_in_threshold_order_whatever_order_it_is_given():
    ladder = [(Decimal(300), "三星"), (Decimal(0), "一星"), (Decimal(30), "二星")]

    assert [rules.level_for(Decimal(points), ladder).name for points in (0, 29, 30, 299, 300)] == [
        "一星", "一星", "二星", "二星", "三星"]
    assert rules.level_for(Decimal(30), ladder).number == 2


def test_the_default_ladder_starts_at_zero_with_five_steps():
    assert [threshold for threshold, _ in rules.DEFAULT_LEVELS] == [0, 100, 500, 1500, 5000]
    assert rules.level_for(Decimal(1500), rules.DEFAULT_LEVELS).name == "志愿之星"
    assert rules.ensure_valid_ladder(rules.DEFAULT_LEVELS)


@pytest.mark.parametrize(("ladder", "valid"), [
    ([(Decimal(0), "一"), (Decimal(10), "二")], True),
    ([(Decimal(0), "一")], False),  # one step is no ladder
    ([(Decimal(i * 10), f"第{i}级") for i in range(10)], True),
    ([(Decimal(i * 10), f"第{i}级") for i in range(11)], False),
    ([(Decimal(5), "一"), (Decimal(10), "二")], False),  # must start at 0
    ([(Decimal(0), "一"), (Decimal(0), "二")], False),  # thresholds distinct
    ([(Decimal(0), "一"), (Decimal(-10), "二")], False),
    ([(Decimal(0), "一"), (Decimal(10), "")], False),
    ([(Decimal(0), "一"), (Decimal(10), "长" * 21)], False),
    ([(Decimal(0), "一"), (Decimal(10), "长" * 20)], True),
    ([], False),
])
def test_a_valid_ladder(ladder, valid):
    assert bool(rules.ensure_valid_ladder(ladder)) is valid


# --- streaks ----------------------------------------------------------------------------

def test_no_work_no_streak():
    assert rules.streaks([], "2026-11") == (0, 0)


def test_the_current_streak_counts_consecutive_months_up_to_this_month():
    assert rules.streaks(["2026-09", "2026-10", "2026-11"], "2026-11") == (3, 3)


def test_this_month_without_work_yet_does_not_break_the_streak():
    assert rules.streaks(["2026-09", "2026-10"], "2026-11") == (2, 2)


def test_a_whole_month_without_work_breaks_the_current_streak_but_keeps_the_best():
    assert rules.streaks(["2026-07", "2026-08", "2026-09"], "2026-11") == (0, 3)


def test_a_gap_starts_a_new_run_and_the_best_is_the_longest():
    months = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-06", "2026-07"]

    assert rules.streaks(months, "2026-07") == (2, 4)


def test_a_streak_runs_across_the_new_year():
    assert rules.streaks(["2025-11", "2025-12", "2026-01"], "2026-02") == (3, 3)
    assert rules.streaks(["2025-12", "2026-01"], "2026-01") == (2, 2)


def test_months_given_twice_or_out_of_order_count_once():
    assert rules.streaks(["2026-10", "2026-09", "2026-10"], "2026-10") == (2, 2)


def test_the_month_a_run_first_reaches_its_length():
    months = ["2025-11", "2025-12", "2026-02", "2026-03", "2026-04", "2026-05"]

    assert rules.run_reaching(months, 3) == "2026-04"
    assert rules.run_reaching(["2025-11", "2025-12", "2026-01"], 3) == "2026-01"
    assert rules.run_reaching(months, 5) is None
    assert rules.run_reaching([], 1) is None


# --- badges -----------------------------------------------------------------------------

def test_every_badge_has_a_code_name_icon_and_a_target():
    codes = [badge.code for badge in rules.BADGES]

    assert len(codes) == len(set(codes)) == 13
    assert all(badge.name and len(badge.icon) == 1 and badge.target > 0 for badge in rules.BADGES)


def test_nothing_done_no_badge():
    assert not any(found.achieved for found in rules.evaluate(Facts(credits=())))
    assert all(found.credit_id is None and found.month is None
               for found in rules.evaluate(Facts(credits=())))


def test_the_first_credit_earns_the_first_badge_and_is_what_earned_it():
    facts = Facts(credits(date(2026, 11, 3), first_id=41), this_month="2026-11")

    found = outcome(facts, "first_activity")
    assert (found.achieved, found.credit_id, found.value, found.percent) == (
        True, 41, Decimal(1), 100)


@pytest.mark.parametrize(("code", "target"), [
    ("activities_10", 10), ("activities_50", 50), ("activities_100", 100)])
def test_the_nth_credit_crosses_a_count_badge(code, target):
    days = [date(2026, 1, 1 + i % 28) for i in range(target)]
    almost = Facts(credits(*days[:-1]))
    reached = Facts(credits(*days))

    assert not outcome(almost, code).achieved and outcome(almost, code).credit_id is None
    assert outcome(almost, code).value == target - 1
    assert outcome(reached, code).achieved and outcome(reached, code).credit_id == target


def test_credits_of_one_day_are_counted_in_the_order_they_were_made():
    facts = Facts(credits("2026-11-03", "2026-11-03", first_id=7))

    assert outcome(facts, "first_activity").credit_id == 7


def test_a_hundred_hours_are_crossed_by_the_credit_that_reaches_them():
    facts = Facts(credits("2026-01-05", "2026-02-05", "2026-03-05", hours="40"))
    short = Facts(credits("2026-01-05", "2026-02-05", hours="40")
                  + credits("2026-03-05", hours="19.5", first_id=3))

    assert (outcome(facts, "hours_100").achieved, outcome(facts, "hours_100").credit_id) == (True, 3)
    assert outcome(short, "hours_100").value == Decimal("99.5")
    assert not outcome(short, "hours_100").achieved
    assert outcome(short, "hours_100").percent == 99


def test_credits_without_hours_count_no_hours():
    assert outcome(Facts(credits("2026-01-05", "2026-01-06")), "hours_100").value == 0


def test_three_months_in_a_row_earn_the_streak_badge_in_the_third_month():
    facts = Facts(credits("2026-08-30", "2026-09-01", "2026-10-15", "2026-10-16"),
                  this_month="2026-12")

    found = outcome(facts, "streak_3")
    assert (found.achieved, found.month, found.credit_id, found.value) == (
        True, "2026-10", None, Decimal(3))


def test_a_streak_badge_once_earned_stays_when_the_streak_breaks():
    facts = Facts(credits("2026-01-03", "2026-02-03", "2026-03-03"), this_month="2026-11")

    assert outcome(facts, "streak_3").achieved
    assert rules.streaks(["2026-01", "2026-02", "2026-03"], "2026-11") == (0, 3)


def test_two_months_then_a_gap_is_no_streak_badge():
    facts = Facts(credits("2026-01-03", "2026-02-03", "2026-04-03", "2026-05-03"))

    found = outcome(facts, "streak_3")
    assert (found.achieved, found.value, found.month, found.percent) == (False, 2, None, 66)


def test_three_clean_months_in_a_row_earn_the_clean_home_in_the_third():
    facts = Facts((), clean_months=("2025-12", "2026-01", "2026-02"))

    found = outcome(facts, "clean_3")
    assert (found.achieved, found.month, found.value) == (True, "2026-02", Decimal(3))


def test_clean_months_with_a_gap_are_not_yet_a_clean_home():
    facts = Facts((), clean_months=("2026-01", "2026-02", "2026-04", "2026-05"))

    assert (outcome(facts, "clean_3").achieved, outcome(facts, "clean_3").value) == (False, 2)


def test_ten_credits_of_one_category_make_a_specialist_and_other_categories_do_not_count():
    greening = credits(*[date(2026, 3, d) for d in range(1, 10)], category="greening")
    other = credits("2026-03-20", category="mediation", first_id=20)
    tenth = credits("2026-03-21", category="greening", first_id=30)

    nine = Facts(greening + other)
    ten = Facts(tuple(sorted(greening + other + tenth, key=lambda c: (c.work_day, c.id))))

    assert not outcome(nine, "specialist_greening").achieved
    assert outcome(nine, "specialist_greening").value == 9
    assert (outcome(ten, "specialist_greening").achieved,
            outcome(ten, "specialist_greening").credit_id) == (True, 30)
    assert outcome(ten, "specialist_mediation").value == 1
    assert not outcome(ten, "specialist_environment").achieved


def test_a_badge_shows_its_value_capped_at_the_target():
    facts = Facts(credits(*[date(2026, 3, d) for d in range(1, 13)]))

    found = outcome(facts, "activities_10")
    assert (found.value, found.shown_value, found.percent) == (Decimal(12), Decimal(10), 100)
