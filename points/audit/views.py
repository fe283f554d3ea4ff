"""操作记录: the office's page of the audit log under ``/staff/audit``, and its download
as CSV or XLSX with the same filters (by person, action, object and day)."""
from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from ledger.errors import N_
from points.audit import rules, services
from points.audit.errors import AuditFilterError
from points.auth import roles
from points.errors import translated
from points.extensions import db
from points.reports.exports import INT, MOMENT, Column, Sheet, download
from points.residents.views import in_community
from points.timeutil import local, utcnow
from points.web.access import require_role

bp = Blueprint("audit", __name__)

COLUMNS = [Column(N_("时间"), MOMENT), Column(N_("操作人")), Column(N_("代办人")),
           Column(N_("操作"), width=24), Column(N_("对象")), Column(N_("对象编号"), INT),
           Column(N_("修改前"), width=48), Column(N_("修改后"), width=48), Column(N_("原因"), width=30)]
SHOWN = ("action", "actor", "object", "object_id", "start", "end")


def _choosing(community):
    """The object types present in the community's log, and every type the filter accepts."""
    present = services.object_types_of(db.session, community_id=community.id)
    return present, present | set(rules.OBJECT_LABELS)


def _render(community, present, *, filters=None, page=None, error=None):
    objects = present | ({filters.obj_type} if filters and filters.obj_type else set())
    return render_template(
        "staff/audit.html", page=page, community=community, filters=filters, error=error,
        shown={name: request.args.get(name, "").strip() for name in SHOWN},
        actors=services.actors_of(db.session, community_id=community.id),
        actions=rules.ACTION_LABELS, action_label=rules.action_label,
        objects=sorted(((code, rules.object_label(code)) for code in objects), key=lambda o: o[1]),
        field_label=rules.field_label, object_label=rules.object_label,
        value_text=rules.value_text, local=local)


@bp.get("/staff/audit")
@require_role(*roles.OFFICE_ROLES)
@in_community
def index(community):
    present, accepted = _choosing(community)
    try:
        filters = rules.filters_from(request.args, object_types=accepted)
    except AuditFilterError as error:
        return _render(community, present, error=translated(error)), 422
    page = services.page_of_events(db.session, community_id=community.id,
                                   before_id=filters.before_id, **filters.query())
    return _render(community, present, filters=filters, page=page)


@bp.get("/staff/audit/export.<any(csv,xlsx):fmt>")
@require_role(*roles.OFFICE_ROLES)
@in_community
def export(community, fmt):
    """Every event matching the page's filters (the cursor ignored), newest first; a bad
    filter is refused with its message (422)."""
    _, accepted = _choosing(community)
    filters = rules.filters_from(request.args, object_types=accepted)
    events = services.events_for_export(db.session, community_id=community.id, **filters.query())
    stem = f"audit-{local(utcnow()).date().isoformat()}"
    return download(Sheet(stem=stem, title=N_("操作记录"), columns=COLUMNS, rows=_rows(events)), fmt)


def _rows(events):
    for event in events:
        yield [event.created_at, event.actor_name, event.proxy_name or "",
               _(rules.action_label(event.action)), rules.object_label(event.object_type),
               event.object_id, rules.values_text(event.before), rules.values_text(event.after),
               event.reason]
