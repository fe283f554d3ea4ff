"""Pure rules of 文明积分: months, scores, the pass rule and the ledger keys."""
from dataclasses import dataclass
from decimal import Decimal

from ledger.errors import N_
from points.inspections.errors import (DuplicateHouseholdError, FutureMonthError,
                                       InvalidMonthError, NothingToCorrectError,
                                       ReasonRequiredError, ScoreOutOfRangeError)
from points import months
from points.months import month_of

ITEMS = ("personal", "home", "public")
ITEM_LABELS = {"personal": N_("个人卫生"), "home": N_("家庭环境"), "public": N_("公共卫生")}
MAX_SCORE = 10
REASON_LIMIT = 200  # inspection_scores.correction_reason


@dataclass(frozen=True)
class Policy:
    """Pass when every item is at least ``item_min`` and the total at least ``total_min``;
    a pass credits ``points`` to the household."""

    item_min: int
    total_min: int
    points: Decimal


# Chengkou's monthly inspection, as the programme runs it: 6 of 10 on each item, 24 of 30
# in all, 20 points to a 清洁户. A community may keep its own (``InspectionPolicy``).
DEFAULT_POLICY = Policy(item_min=6, total_min=24, points=Decimal("20"))


def parse_month(text):
    """``YYYY-MM`` (from 2000 on), else ``InvalidMonthError``."""
    text = str(text or "").strip()
    if months.first_day(text) is None:
        raise InvalidMonthError()
    return text


def ensure_not_future(month, now):
    if month > month_of(now):
        raise FutureMonthError()


def ensure_scores_in_range(scores):
    """Each of the three items a whole number from 0 to 10 (``scores``: item → value)."""
    for item in ITEMS:
        value = scores.get(item)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SCORE:
            raise ScoreOutOfRangeError()


def ensure_each_household_once(household_ids):
    if len(set(household_ids)) != len(household_ids):
        raise DuplicateHouseholdError()


def passes(scores, policy):
    """清洁户: every item at least the item minimum and the total at least the total one."""
    values = [scores[item] for item in ITEMS]
    return min(values) >= policy.item_min and sum(values) >= policy.total_min


def clean_reason(reason):
    """A correction's reason, spaces collapsed; required."""
    reason = " ".join(str(reason or "").split())[:REASON_LIMIT]
    if not reason:
        raise ReasonRequiredError()
    return reason


def ensure_changed(score, scores):
    if all(getattr(score, item) == scores[item] for item in ITEMS):
        raise NothingToCorrectError()


def credit_key(household_id, month, revision):
    """One credit per household, month and revision: a replay moves nothing."""
    return f"inspection:{household_id}:{month}:r{revision}"


def reversal_key(household_id, month, revision):
    return f"{credit_key(household_id, month, revision)}:reverse"
