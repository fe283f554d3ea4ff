"""A community and the grids inside it."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ledger.amounts import DEFAULT_POINTS_PER_YUAN, Amount
from ledger.models import Base, utcnow
from points.tenancy import CommunityScoped


class Community(Base):
    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    district: Mapped[str] = mapped_column(String(80), default="")
    points_per_yuan: Mapped[Decimal] = mapped_column(Amount, default=DEFAULT_POINTS_PER_YUAN)
    # Expiry policy (off by default): points earned in year Y expire after 31 Dec of Y+1.
    points_expire: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    grids: Mapped[list["Grid"]] = relationship(back_populates="community", order_by="Grid.id")


class Grid(CommunityScoped, Base):
    __tablename__ = "grids"
    __table_args__ = (UniqueConstraint("community_id", "name", name="name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    community: Mapped[Community] = relationship(back_populates="grids")
