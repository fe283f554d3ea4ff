"""Pure rules of earning: points from a type's rule, and what the caps still allow."""
from decimal import ROUND_FLOOR, Decimal

from ledger.amounts import ZERO, format_amount
from ledger.errors import N_
from points.earning.errors import (CapNotPositiveError, DailyAboveMonthlyError,
                                    HoursRequiredError, PointsNotPositiveError,
                                    TypeNameMissingError, UnknownCategoryError,
                                    UnknownUnitError)
from points.earning.models import CATEGORIES, PER_HOUR, PER_PARTICIPATION

MAX_HOURS_A_DAY = Decimal("24")
NAME_LIMIT = 40  # activity_types.name

CATEGORY_LABELS = {
    "environment": N_("环境卫生"), "greening": N_("绿化美化"), "mediation": N_("矛盾调解"),
    "elderly": N_("敬老助老"), "civility": N_("文明劝导"), "hazard": N_("安全隐患上报"),
    "other": N_("其他"),
}
UNIT_LABELS = {PER_PARTICIPATION: N_("按次计分"), PER_HOUR: N_("按小时计分")}


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


def clean_type_name(name):
    """The name with spaces collapsed; refuses an empty or too long one."""
    name = " ".join(str(name or "").split())
    if not name or len(name) > NAME_LIMIT:
        raise TypeNameMissingError()
    return name


def ensure_known_category(category):
    if category not in CATEGORIES:
        raise UnknownCategoryError()


def rule_phrases(activity_type):
    """The rule in plain words, as ``(msgid, params)`` pairs for the page to translate and
    join: 每小时 10 分，每天最多 40 分，每月最多 300 分，需要照片，超过 100 分需第二人复核."""
    each = N_("每小时 %(points)s 分") if activity_type.unit == PER_HOUR else N_("每次 %(points)s 分")
    phrases = [(each, {"points": format_amount(activity_type.points)})]
    if activity_type.daily_cap is not None:
        phrases.append((N_("每天最多 %(points)s 分"), {"points": format_amount(activity_type.daily_cap)}))
    if activity_type.monthly_cap is not None:
        phrases.append((N_("每月最多 %(points)s 分"),
                        {"points": format_amount(activity_type.monthly_cap)}))
    if activity_type.photo_required:
        phrases.append((N_("需要照片"), {}))
    if activity_type.location_required:
        phrases.append((N_("需要填写地点"), {}))
    if activity_type.second_approval_above is not None:
        phrases.append((N_("超过 %(points)s 分需第二人复核"),
                        {"points": format_amount(activity_type.second_approval_above)}))
    return phrases
