"""Pure rules of earning: points from a type's rule, and what the caps still allow."""
from datetime import date
from decimal import ROUND_FLOOR, Decimal

from ledger.amounts import ZERO
from points.earning.errors import (CapNotPositiveError, DailyAboveMonthlyError,
                                    HoursRequiredError, PointsNotPositiveError,
                                    UnknownUnitError)
from points.earning.models import PER_HOUR, PER_PARTICIPATION

MAX_HOURS_A_DAY = Decimal("24")


def points_for(activity_type, hours=None, rate=None):
    """Points the rule gives for one participation, or for ``hours`` of work (whole
    points, rounded down: 1.5 h at 5 points an hour is 7). ``rate`` overrides the type's
    points (an activity may offer its own)."""
    rate = Decimal(rate if rate is not None else activity_type.points)
    if activity_type.unit == PER_PARTICIPATION:
        return rate
    if hours is None or not ZERO < Decimal(hours) <= MAX_HOURS_A_DAY:
        raise HoursRequiredError()
    return (rate * Decimal(hours)).to_integral_value(rounding=ROUND_FLOOR)


def month_bounds(day):
    """First day of ``day``'s month and first day of the next month."""
    first = day.replace(day=1)
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first, following


def cap_room(cap, used):
    """What a cap still allows after ``used`` (None: no cap, unlimited)."""
    if cap is None:
        return None
    return max(Decimal(cap) - Decimal(used), ZERO)


def capped(points, *rooms):
    """``points`` cut to the smallest room left (None rooms do not limit)."""
    limits = [room for room in rooms if room is not None]
    return min([Decimal(points), *limits])


def ensure_valid_rule(*, points, unit, daily_cap, monthly_cap, second_approval_above):
    if unit not in (PER_PARTICIPATION, PER_HOUR):
        raise UnknownUnitError()
    if points is None or points <= ZERO:
        raise PointsNotPositiveError()
    for cap in (daily_cap, monthly_cap, second_approval_above):
        if cap is not None and cap <= ZERO:
            raise CapNotPositiveError()
    if daily_cap is not None and monthly_cap is not None and daily_cap > monthly_cap:
        raise DailyAboveMonthlyError()
