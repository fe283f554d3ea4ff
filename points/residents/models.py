"""What the office records about a resident beyond the sign-in account."""
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ledger.models import Base, utcnow
from points.tenancy import CommunityScoped

FORM = "form"
IMPORT = "import"


class ResidentProfile(CommunityScoped, Base):
    """One per registered resident: relation to the household head and the office's note."""

    __tablename__ = "resident_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    relation: Mapped[str] = mapped_column(String(20), default="")  # 与户主关系
    note: Mapped[str] = mapped_column(String(200), default="")  # 备注 column of the sheet
    source: Mapped[str] = mapped_column(String(8), default=FORM)  # form | import
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)
