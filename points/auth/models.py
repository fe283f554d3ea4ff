"""Users (every person who signs in), grid assignments, proxies and API tokens."""
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ledger.models import Base, utcnow
from points.communities.models import Community, Grid
from points.households.models import Household
from points.tenancy import CommunityScoped


class User(CommunityScoped, UserMixin, Base):
    """A person: resident, shop clerk or owner, grid worker, staff, admin.

    ``community_id`` is empty only for district administrators, who see every community.
    """

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('resident', 'merchant_clerk', 'merchant_owner', 'grid_worker', "
                        "'staff', 'admin', 'district_admin')", name="known_role"),
        CheckConstraint("role = 'district_admin' OR community_id IS NOT NULL", name="has_community"),
        CheckConstraint("role NOT IN ('merchant_clerk', 'merchant_owner') OR merchant_id IS NOT NULL",
                        name="merchant_staff_have_shop"),
        CheckConstraint("leaderboard IN ('masked', 'named', 'hidden')", name="known_leaderboard"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), index=True)  # type: ignore[assignment]
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(200))
    must_change_password: Mapped[bool] = mapped_column(default=False)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    merchant_id: Mapped[int | None] = mapped_column(ForeignKey("merchants.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    language: Mapped[str | None] = mapped_column(String(12))
    elder_mode: Mapped[bool] = mapped_column(default=False)
    # How the person appears on leaderboards: masked (王**), named, or hidden (left them).
    leaderboard: Mapped[str] = mapped_column(String(8), default="masked", server_default="masked")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column()

    community: Mapped[Community | None] = relationship()
    household: Mapped[Household | None] = relationship()
    grids: Mapped[list[Grid]] = relationship(secondary="grid_assignments", order_by=Grid.id)

    @property
    def is_active(self):  # Flask-Login refuses inactive users
        return self.active

    def __repr__(self):
        return f"<User {self.id} {self.role} {self.phone}>"


class GridAssignment(Base):
    """A grid worker's reach: the grids they look after."""

    __tablename__ = "grid_assignments"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id"), primary_key=True)


class ProxyGrant(Base):
    """亲情代理: ``proxy`` may act for ``resident``; every act records both."""

    __tablename__ = "proxy_grants"
    __table_args__ = (
        UniqueConstraint("resident_id", "proxy_id", name="pair"),
        CheckConstraint("resident_id <> proxy_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    proxy_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    relation: Mapped[str] = mapped_column(String(20), default="")
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()

    resident: Mapped[User] = relationship(foreign_keys=[resident_id])
    proxy: Mapped[User] = relationship(foreign_keys=[proxy_id])


class ApiToken(Base):
    """A bearer token, stored as its SHA-256; expiring and revocable."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_user_active", "user_id", "revoked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(12), default="session")  # session | device
    label: Mapped[str] = mapped_column(String(60), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship()
