"""Time: aware UTC everywhere inside; the community's zone (Asia/Shanghai) on screen."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from ledger.models import utcnow  # noqa: F401  (one clock for the whole project)

LOCAL = ZoneInfo("Asia/Shanghai")


def local(moment):
    return moment.astimezone(LOCAL) if moment else None


def month_of(moment):
    """"2026-11" for a moment, in the community's time zone."""
    return local(moment).strftime("%Y-%m")


def start_of_local_day(moment):
    lm = local(moment)
    return datetime(lm.year, lm.month, lm.day, tzinfo=LOCAL).astimezone(timezone.utc)
