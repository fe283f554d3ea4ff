"""Pure rules of the audit log: JSON-safe values, action labels, date filters."""
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from ledger.errors import N_
from points.timeutil import LOCAL

MAX_LIMIT = 200

ACTION_LABELS = {
    "resident.register": N_("登记居民"),
    "proxy.grant": N_("设置亲情代理"),
    "proxy.revoke": N_("取消亲情代理"),
}


def jsonable(value):
    """``value`` with every Decimal as a string (never a float: points are exact), every
    date and datetime as ISO 8601, tuples and sets as lists, recursively."""
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, float):
        raise TypeError("floats are not allowed in the audit log; use Decimal")
    return value


def clean_reason(reason):
    return " ".join((reason or "").split())[:200]


def page_limit(limit):
    """Between 1 and ``MAX_LIMIT`` rows a page."""
    return min(max(int(limit or 1), 1), MAX_LIMIT)


def start_of(day):
    """The UTC moment the local (Asia/Shanghai) ``day`` begins."""
    return datetime.combine(day, time(), tzinfo=LOCAL).astimezone(timezone.utc)


def day_range(first_day=None, last_day=None):
    """``(since, until)`` covering the local days from ``first_day`` to ``last_day``
    inclusive; either end may be open (None)."""
    since = start_of(first_day) if first_day else None
    until = start_of(last_day + timedelta(days=1)) if last_day else None
    return since, until


def action_label(action):
    return ACTION_LABELS.get(action, action)
