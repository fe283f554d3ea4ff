"""A household: the unit inspections rate and that earns 清洁户 points together."""
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ledger.models import Base, utcnow
from points.communities.models import Grid
from points.tenancy import CommunityScoped


class Household(CommunityScoped, Base):
    __tablename__ = "households"
    __table_args__ = (UniqueConstraint("community_id", "address", name="address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id"), index=True)
    address: Mapped[str] = mapped_column(String(80))  # 门牌/户号, e.g. "3栋2单元401"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    grid: Mapped[Grid] = relationship()
