"""Writing and reading the audit log.

``record`` is not a use case of its own: it joins the caller's transaction (flush, never
commit), so the event exists exactly when the action it records does.
"""
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from points.audit import rules
from points.audit.models import AuditEvent
from points.auth.models import User

PAGE_SIZE = 50


@dataclass
class AuditPage:
    events: list[AuditEvent]
    earlier: int | None  # ``before_id`` of the next, older page; None on the last page


def record(session, *, actor, action, obj_type, obj_id, before=None, after=None, reason="",
           community_id, now, proxy=None):
    """Add one event to the caller's open transaction and flush it. ``before`` and
    ``after`` are made JSON-safe (Decimal as string). Raises ``TypeError`` for a float."""
    event = AuditEvent(
        community_id=community_id, actor_id=actor.id, proxy_id=proxy.id if proxy else None,
        action=action, object_type=obj_type, object_id=obj_id,
        before=rules.jsonable(before) if before is not None else None,
        after=rules.jsonable(after) if after is not None else None,
        reason=rules.clean_reason(reason), created_at=now)
    session.add(event)
    session.flush()
    return event


def _filtered(stmt, *, actor_id, action, obj_type, since, until, before_id):
    if actor_id is not None:
        stmt = stmt.where(AuditEvent.actor_id == actor_id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if obj_type:
        stmt = stmt.where(AuditEvent.object_type == obj_type)
    if since is not None:
        stmt = stmt.where(AuditEvent.created_at >= since)
    if until is not None:
        stmt = stmt.where(AuditEvent.created_at < until)
    if before_id is not None:
        stmt = stmt.where(AuditEvent.id < before_id)
    return stmt


def search(session, *, community_id, actor_id=None, action=None, obj_type=None, since=None,
           until=None, before_id=None, limit=PAGE_SIZE):
    """Up to ``limit`` events of ``community_id``, newest first (by id), older than the
    cursor ``before_id``; ``since`` inclusive, ``until`` exclusive (aware datetimes)."""
    stmt = (select(AuditEvent)
            .options(joinedload(AuditEvent.actor), joinedload(AuditEvent.proxy))
            .where(AuditEvent.community_id == community_id)
            # Filtered on community_id above; the scope would hide a district
            # administrator (who has no community) as the actor.
            .execution_options(all_communities=True))
    stmt = _filtered(stmt, actor_id=actor_id, action=action, obj_type=obj_type, since=since,
                     until=until, before_id=before_id)
    stmt = stmt.order_by(AuditEvent.id.desc()).limit(rules.page_limit(limit))
    return list(session.scalars(stmt))


def page_of_events(session, *, community_id, page_size=None, **filters):
    """One page of ``search`` and the cursor of the page before it."""
    page_size = page_size or PAGE_SIZE
    events = search(session, community_id=community_id, limit=page_size + 1, **filters)
    more = len(events) > page_size
    events = events[:page_size]
    return AuditPage(events=events, earlier=events[-1].id if more else None)


def actors_of(session, *, community_id):
    """Everyone who has done something recorded in ``community_id``, by name."""
    stmt = (select(User)
            .where(User.id.in_(select(AuditEvent.actor_id)
                               .where(AuditEvent.community_id == community_id)))
            .order_by(User.name, User.id)
            .execution_options(all_communities=True))
    return list(session.scalars(stmt))
