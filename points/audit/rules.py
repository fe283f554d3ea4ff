"""Pure rules of the audit log: JSON-safe values, action labels, date filters."""
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask_babel import gettext

from ledger.errors import N_
from points.timeutil import start_of_local_date

MAX_LIMIT = 200

ACTION_LABELS = {
    "resident.register": N_("登记居民"),
    "proxy.grant": N_("设置亲情代理"),
    "proxy.revoke": N_("取消亲情代理"),
}

# Plain words for the keys and coded values that the recorded pictures use.
FIELD_LABELS = {
    "name": N_("姓名"), "phone": N_("手机号"), "role": N_("身份"), "household_id": N_("户编号"),
    "address": N_("门牌/户号"), "grid_id": N_("网格编号"), "relation": N_("与户主关系"),
    "source": N_("登记方式"), "resident_id": N_("居民编号"), "proxy_id": N_("代办人编号"),
    "granted_by_id": N_("经办人编号"), "created_at": N_("设置时间"), "revoked_at": N_("取消时间"),
}
OBJECT_LABELS = {"user": N_("居民账号"), "proxy_grant": N_("亲情代理")}
VALUE_LABELS = {
    ("source", "form"): N_("逐个登记"), ("source", "import"): N_("表格导入"),
    ("role", "resident"): N_("居民"),
}


def field_label(key):
    """The key in plain words, translated; an unknown key as it is."""
    return gettext(FIELD_LABELS[key]) if key in FIELD_LABELS else key


def object_label(object_type):
    return gettext(OBJECT_LABELS[object_type]) if object_type in OBJECT_LABELS else object_type


def value_label(key, value):
    """A coded value in plain words, translated; anything else (user data) untouched."""
    label = VALUE_LABELS.get((key, value)) if isinstance(value, str) else None
    return gettext(label) if label else value


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


def day_range(first_day=None, last_day=None):
    """``(since, until)`` covering the local days from ``first_day`` to ``last_day``
    inclusive; either end may be open (None)."""
    since = start_of_local_date(first_day) if first_day else None
    until = start_of_local_date(last_day + timedelta(days=1)) if last_day else None
    return since, until


def action_label(action):
    return ACTION_LABELS.get(action, action)
