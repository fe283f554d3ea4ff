"""The audit log: one append-only row per staff action.

Rows are written inside the transaction of the action they record, so an action that
rolls back leaves no trace and a recorded action cannot be lost. Database triggers refuse
UPDATE and DELETE, as for the ledger's transfers and entries.
"""
from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ledger.models import Base, BigId, immutable_ddl, utcnow
from points.auth.models import User
from points.tenancy import CommunityScoped


class AuditEvent(CommunityScoped, Base):
    """Who (``actor``, and the family ``proxy`` acting for someone) did ``action`` to which
    object, with its JSON-safe values ``before`` and ``after``."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_community_created", "community_id", "created_at"),
        Index("ix_audit_events_object", "object_type", "object_id"),
        Index("ix_audit_events_actor_created", "actor_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proxy_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(BigInteger)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User] = relationship(foreign_keys=[actor_id])
    proxy: Mapped[User | None] = relationship(foreign_keys=[proxy_id])

    def __repr__(self):
        return f"<AuditEvent {self.id} {self.action} {self.object_type}:{self.object_id}>"


def _install_triggers(table, connection, **kw):
    for statement in immutable_ddl(connection.dialect.name, table.name):
        connection.exec_driver_sql(statement)


event.listen(AuditEvent.__table__, "after_create", _install_triggers)
