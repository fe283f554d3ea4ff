"""A partner shop (商户) of a community."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from ledger.amounts import Amount
from ledger.models import Base, utcnow
from points.tenancy import CommunityScoped


class Merchant(CommunityScoped, Base):
    __tablename__ = "merchants"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'active', 'suspended')", name="known_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[str] = mapped_column(String(12), default="pending")
    # 微消费: the most points one bill may be paid with at this shop.
    per_bill_cap: Mapped[Decimal] = mapped_column(Amount, default=Decimal("500"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
