"""操作记录: the office's page of the audit log under ``/staff/audit``."""
from datetime import date

from flask import Blueprint, render_template, request

from points.audit import rules, services
from points.auth import roles
from points.extensions import db
from points.timeutil import local
from points.residents.views import in_community
from points.web.access import require_role

bp = Blueprint("audit", __name__)


def _day(name):
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _filters():
    first_day, last_day = _day("start"), _day("end")
    since, until = rules.day_range(first_day, last_day)
    return {
        "action": request.args.get("action") or None,
        "actor_id": request.args.get("actor", type=int),
        "since": since,
        "until": until,
        "before_id": request.args.get("before", type=int),
    }, {"action": request.args.get("action", ""), "actor": request.args.get("actor", type=int),
        "start": first_day.isoformat() if first_day else "",
        "end": last_day.isoformat() if last_day else ""}


@bp.get("/staff/audit")
@require_role(*roles.OFFICE_ROLES)
@in_community
def index(community):
    filters, shown = _filters()
    page = services.page_of_events(db.session, community_id=community.id, **filters)
    return render_template("staff/audit.html", page=page, community=community, shown=shown,
                           actors=services.actors_of(db.session, community_id=community.id),
                           actions=rules.ACTION_LABELS, action_label=rules.action_label,
                           field_label=rules.field_label, object_label=rules.object_label, value_label=rules.value_label,
                           local=local)
