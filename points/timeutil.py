"""Time: aware UTC everywhere inside; the community's zone (Asia/Shanghai) on screen."""
from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

from ledger.models import utcnow  # noqa: F401  (one clock for the whole project)

LOCAL = ZoneInfo("Asia/Shanghai")


def local(moment):
    return moment.astimezone(LOCAL) if moment else None


def start_of_local_date(day):
    """The UTC moment the community's local calendar ``day`` begins."""
    return datetime.combine(day, time(), tzinfo=LOCAL).astimezone(timezone.utc)
