"""Local calendar months (Asia/Shanghai), written ``YYYY-MM``: the unit of the monthly
caps, inspections, coupons, refunds and settlement. One place for the arithmetic, so a
voucher redeemed at 23:30 on the last day counts in the same month everywhere."""
import re
from datetime import date, datetime

from points.timeutil import local, start_of_local_date

MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])", re.ASCII)  # not full-width digits


def month_of(moment):
    """``YYYY-MM`` of an aware moment's local month, or of a date's month."""
    day = local(moment) if isinstance(moment, datetime) else moment
    return f"{day.year:04d}-{day.month:02d}"


def first_day(text):
    """The first day of month ``YYYY-MM`` (years 2000–9998), or None when ``text`` is not
    one; callers refuse with their own words."""
    found = MONTH.fullmatch(text.strip()) if isinstance(text, str) else None
    if found is None or not 2000 <= int(found[1]) < 9999:
        return None
    return date(int(found[1]), int(found[2]), 1)


def following(day):
    """The first day of the month after ``day``'s."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def preceding(day):
    """The first day of the month before ``day``'s."""
    return date(day.year - (day.month == 1), (day.month - 2) % 12 + 1, 1)


def days_of(day):
    """``(first, next first)``: the local days of ``day``'s month, end exclusive."""
    first = day.replace(day=1)
    return first, following(first)


def moments_of(day):
    """``(start, end)``: the aware UTC moments ``day``'s local month begins and ends."""
    first, after = days_of(day)
    return start_of_local_date(first), start_of_local_date(after)


def this_month(now):
    """The first local day of ``now``'s month."""
    return local(now).date().replace(day=1)
