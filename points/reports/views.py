"""报表下载: the office's reports for a chosen period, each as CSV or XLSX.

``GET /staff/reports`` chooses the period (a month, or days from–to, at most a year) and
lists the reports; ``GET /staff/reports/<name>.csv|xlsx`` streams one (``exports``). Office
staff and admins read their community; district administrators the one they chose.
A bad period is said in words on the page (400), never a 500.
"""
from datetime import date

from flask import Blueprint, abort, render_template, request

from points.auth import roles
from points.errors import translated
from points.extensions import db
from points.reports import access, exports, tables
from points.reports.errors import BadPeriodError
from points.residents.views import in_community
from points.timeutil import local, utcnow
from points.web.access import require_role

bp = Blueprint("reports", __name__)
office = require_role(*roles.OFFICE_ROLES)


def _day(text):
    """A local day ``YYYY-MM-DD`` (years 2000–9998, as months allow), None when empty."""
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise BadPeriodError() from None
    if not 2000 <= day.year < 9999:
        raise BadPeriodError()
    return day


def chosen_period(args, now):
    """``(query, since, until, label)`` of the period in the query string: ``query`` the
    arguments to pass on, ``label`` an ASCII name for the files. ``BadPeriodError``."""
    month = (args.get("month") or "").strip() or None
    since_text, until_text = (args.get("since") or "").strip(), (args.get("until") or "").strip()
    if month is None and not since_text and not until_text:
        month = local(now).strftime("%Y-%m")
    if month is not None and (since_text or until_text):
        raise BadPeriodError()
    since, until = access.period_of(month=month, since=_day(since_text), until=_day(until_text), now=now)
    if month is not None:
        return {"month": month}, since, until, month
    return {"since": since_text, "until": until_text}, since, until, f"{since_text}_{until_text}"


def page(community, *, query, error=None, status=200):
    return render_template("staff/reports.html", community=community, query=query, error=error,
                           reports=tables.REPORTS.values(), month=query.get("month", ""),
                           since=query.get("since", ""), until=query.get("until", "")), status


@bp.get("/staff/reports")
@office
@in_community
def index(community):
    try:
        query, *_rest = chosen_period(request.args, utcnow())
    except BadPeriodError as error:
        asked = {name: request.args.get(name, "") for name in ("month", "since", "until")}
        return page(community, query=asked, error=translated(error), status=400)
    return page(community, query=query)


@bp.get("/staff/reports/<name>.<any(csv,xlsx):fmt>")
@office
@in_community
def download(community, name, fmt):
    report = tables.REPORTS.get(name)
    if report is None:
        abort(404)
    try:
        _query, since, until, label = chosen_period(request.args, utcnow())
    except BadPeriodError as error:
        asked = {key: request.args.get(key, "") for key in ("month", "since", "until")}
        return page(community, query=asked, error=translated(error), status=400)
    sheet = report.build(db.session, community_id=community.id, since=since, until=until,
                         stem=f"{name}-{label}")
    return exports.download(sheet, fmt)
