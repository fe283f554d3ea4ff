"""Writing and reading the audit log.

``record`` is not a use case of its own: it joins the caller's transaction (flush, never
commit), so the event exists exactly when the action it records does.
"""
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import aliased, joinedload

from points.audit import rules
from points.audit.models import AuditEvent
from points.auth.models import User

PAGE_SIZE = 50
EXPORT_BATCH = 500  # rows read at a time for a download (keyset on id, newest first)


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


def _filtered(stmt, *, actor_id, action, obj_type, since, until, before_id, obj_id=None):
    if actor_id is not None:
        stmt = stmt.where(AuditEvent.actor_id == actor_id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if obj_type:
        stmt = stmt.where(AuditEvent.object_type == obj_type)
    if obj_id is not None:
        stmt = stmt.where(AuditEvent.object_id == obj_id)
    if since is not None:
        stmt = stmt.where(AuditEvent.created_at >= since)
    if until is not None:
        stmt = stmt.where(AuditEvent.created_at < until)
    if before_id is not None:
        stmt = stmt.where(AuditEvent.id < before_id)
    return stmt


def search(session, *, community_id, actor_id=None, action=None, obj_type=None, obj_id=None,
           since=None, until=None, before_id=None, limit=PAGE_SIZE):
    """Up to ``limit`` events of ``community_id``, newest first (by id), older than the
    cursor ``before_id``; ``since`` inclusive, ``until`` exclusive (aware datetimes)."""
    stmt = (select(AuditEvent)
            .options(joinedload(AuditEvent.actor), joinedload(AuditEvent.proxy))
            .where(AuditEvent.community_id == community_id)
            # Filtered on community_id above; the scope would hide a district
            # administrator (who has no community) as the actor.
            .execution_options(all_communities=True))
    stmt = _filtered(stmt, actor_id=actor_id, action=action, obj_type=obj_type, obj_id=obj_id,
                     since=since, until=until, before_id=before_id)
    stmt = stmt.order_by(AuditEvent.id.desc()).limit(rules.page_limit(limit))
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class ExportRow:
    """One event as the download writes it: plain values, no ORM object kept."""

    id: int
    created_at: object
    actor_name: str
    proxy_name: str | None
    action: str
    object_type: str
    object_id: int | None
    before: object
    after: object
    reason: str


def events_for_export(session, *, community_id, batch=None, **filters):
    """Every event of ``community_id`` matching ``filters`` (as ``search``), newest first,
    read ``batch`` rows at a time by keyset on id: memory stays flat however long the log."""
    batch = batch or EXPORT_BATCH
    actor, proxy = aliased(User), aliased(User)
    base = (select(AuditEvent.id, AuditEvent.created_at, actor.name, proxy.name, AuditEvent.action,
                   AuditEvent.object_type, AuditEvent.object_id, AuditEvent.before,
                   AuditEvent.after, AuditEvent.reason)
            .join(actor, actor.id == AuditEvent.actor_id)
            .outerjoin(proxy, proxy.id == AuditEvent.proxy_id)
            .where(AuditEvent.community_id == community_id)
            .execution_options(all_communities=True))  # as in search: actors may be district staff
    before_id = filters.pop("before_id", None)
    while True:
        stmt = _filtered(base, before_id=before_id, **filters)
        rows = session.execute(stmt.order_by(AuditEvent.id.desc()).limit(batch)).all()
        for row in rows:
            yield ExportRow(*row)
        if len(rows) < batch:
            return
        before_id = rows[-1][0]


def page_of_events(session, *, community_id, page_size=None, **filters):
    """One page of ``search`` and the cursor of the page before it."""
    page_size = page_size or PAGE_SIZE
    events = search(session, community_id=community_id, limit=page_size + 1, **filters)
    more = len(events) > page_size
    events = events[:page_size]
    return AuditPage(events=events, earlier=events[-1].id if more else None)


def object_types_of(session, *, community_id):
    """The kinds of object that events of ``community_id`` name (``claim``, ``voucher`` …)."""
    stmt = (select(AuditEvent.object_type).distinct()
            .where(AuditEvent.community_id == community_id)
            .execution_options(all_communities=True))
    return set(session.scalars(stmt))


def actors_of(session, *, community_id):
    """Everyone who has done something recorded in ``community_id``, by name."""
    stmt = (select(User)
            .where(User.id.in_(select(AuditEvent.actor_id)
                               .where(AuditEvent.community_id == community_id)))
            .order_by(User.name, User.id)
            .execution_options(all_communities=True))
    return list(session.scalars(stmt))
