"""通知 pages: the list (``/notifications``) and marking one or all read."""
import logging

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from points.extensions import db
from points.notifications import rules, services
from points.timeutil import local, utcnow
from points.web.access import require_role
from points.web.forms import row_id

log = logging.getLogger(__name__)

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
PAGE = 30


@bp.get("")
@require_role()
def index():
    before = request.args.get("before", type=row_id)
    notifications = services.list_for(db.session, current_user, before=before, limit=PAGE)
    next_before = notifications[-1].id if len(notifications) == PAGE else None
    return render_template("notifications/index.html", notifications=notifications,
                           before=before, next_before=next_before, local=local)


@bp.post("/<int:notification_id>/read")
@require_role()
def mark_read(notification_id):
    notification = services.mark_read(db.session, user=current_user,
                                      notification_id=notification_id, now=utcnow())
    if request.form.get("open") and rules.is_local_link(notification.link):
        return redirect(notification.link)
    return redirect(url_for("notifications.index"))


@bp.post("/read-all")
@require_role()
def mark_all_read():
    count = services.mark_all_read(db.session, user=current_user, now=utcnow(),
                                   up_to_id=request.form.get("up_to", type=row_id))
    flash(_("已将 %(count)s 条通知标为已读", count=count) if count else _("没有未读通知"), "success")
    return redirect(url_for("notifications.index"))


def template_globals():
    """``unread_notifications()`` for the nav badge: counted only where a page asks."""
    return {"unread_notifications": unread_for_current_user, "notification_text": notification_text}


def notification_text(notification):
    """``(title, body)`` in the page's language."""
    return rules.shown(notification, _)


def unread_for_current_user():
    if not current_user.is_authenticated:
        return 0
    try:
        return services.unread_count(db.session, current_user)
    except SQLAlchemyError:
        # An error page rendered after a failed query must still render; no badge then.
        log.warning("unread notifications not counted", exc_info=True)
        return 0
