"""Sending, listing and reading notifications.

``notify`` writes inside the caller's transaction (it only flushes); ``mark_read`` and
``mark_all_read`` are use cases with their own ``unit_of_work``. Every read is limited to
the one recipient by ``user_id``; the session's community scope applies on top.
"""
from sqlalchemy import func, select, update

from ledger.locking import WRITE_OPTION, real_session
from points.extensions import unit_of_work
from points.notifications import rules
from points.notifications.errors import NotificationNotFoundError
from points.notifications.models import Notification


def notify(session, *, user, kind, title, body, link=None, now, flush=True):
    """Add one notification for ``user`` to the caller's open write transaction.

    ``title`` is a msgid; ``body`` a msgid with its values, ``(msgid, values)``, or a list
    of such parts shown one after the other (a plain string is stored as it is). Both are
    stored rendered in Chinese and as msgids, so each reader sees their own language.

    Flushes (unless ``flush=False``: a batch that tells many people flushes once), never
    commits: it is committed or rolled back with the act it reports.
    Raises ``RuntimeError`` outside a ``unit_of_work`` (the row would otherwise be
    committed by whatever write comes next, or silently lost) and ``ValueError`` for a
    ``link`` that is not a path inside the site.
    """
    session = real_session(session)
    if not session.info.get(WRITE_OPTION):
        raise RuntimeError("notify() must be called inside the caller's unit_of_work")
    rules.ensure_local_link(link)
    parts = rules.body_parts(body)
    notification = Notification(community_id=user.community_id, user_id=user.id, kind=kind,
                                title=str(title), body=rules.render(parts),
                                message={"title": str(title), "body": parts}, link=link,
                                created_at=now)
    session.add(notification)
    if flush:
        session.flush()
    return notification


def _mine(user):
    return select(Notification).where(Notification.user_id == user.id)


def unread_count(session, user):
    """How many of ``user``'s notifications are unread."""
    stmt = (select(func.count()).select_from(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None)))
    return session.scalar(stmt) or 0


def list_for(session, user, before=None, limit=30):
    """``user``'s notifications, newest first; ``before`` (an id) gives the next page."""
    stmt = _mine(user).order_by(Notification.id.desc()).limit(rules.page_size(limit))
    if before is not None:
        stmt = stmt.where(Notification.id < before)
    return list(session.scalars(stmt))


def mark_read(session, *, user, notification_id, now):
    """Mark one of ``user``'s own notifications read (again: nothing changes).

    Raises ``NotFoundError`` for an unknown id or one addressed to someone else.
    """
    with unit_of_work(session):
        notification = session.scalar(_mine(user).where(Notification.id == notification_id))
        if notification is None:
            raise NotificationNotFoundError()
        if notification.read_at is None:
            notification.read_at = now
    return notification


def mark_all_read(session, *, user, now, up_to_id=None):
    """Mark all of ``user``'s unread notifications read; returns how many.

    With ``up_to_id`` (the newest one the person saw), a notification that arrived after
    the page was shown stays unread.
    """
    stmt = (update(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
            .values(read_at=now))
    if up_to_id is not None:
        stmt = stmt.where(Notification.id <= up_to_id)
    with unit_of_work(session):
        count = session.execute(stmt).rowcount
    return count
