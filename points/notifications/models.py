"""A notification: one message to one person, read or not yet."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ledger.models import Base, utcnow
from points.tenancy import CommunityScoped


class Notification(CommunityScoped, Base):
    """``title`` and ``body`` are stored as rendered when sent (Chinese); ``message`` keeps
    their msgids and values (``{"title": msgid, "body": [[msgid, values], …]}``) so a page
    shows them in the reader's language (``points.notifications.rules.shown``). ``link`` is
    an optional path inside the site. ``read_at`` is empty until the person reads it.

    ``community_id`` is the recipient's: empty only for district administrators, who
    belong to no community (as on ``User``).
    """

    __tablename__ = "notifications"
    # The unread badge counts (user_id, read_at IS NULL); the list pages by id.
    __table_args__ = (Index("ix_notifications_user_read_id", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), index=True)  # type: ignore[assignment]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(300))
    message: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column()

    @property
    def is_read(self):
        return self.read_at is not None

    def __repr__(self):
        return f"<Notification {self.id} {self.kind} to {self.user_id}>"
