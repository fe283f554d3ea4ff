"""A partner shop (商户) of a community."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

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


# Offers, vouchers, coupons and settlements --------------------------------------------

ITEM, DISCOUNT = "item", "discount"
HELD, REDEEMED, CANCELLED, EXPIRED, REFUNDED = "held", "redeemed", "cancelled", "expired", "refunded"
OPEN_STATUSES = (HELD,)
WALLET, COUPON = "wallet", "coupon"


class Offer(CommunityScoped, Base):
    """Something to spend points on: goods of the community's own store (积分超市,
    ``merchant_id`` empty, handed out by staff at the store counter) or a partner shop's
    item or discount. ``stock`` counts units not yet reserved by a voucher (empty:
    unlimited); ``monthly_limit`` caps vouchers per resident per local month."""

    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint("kind IN ('item', 'discount')", name="offer_kind"),
        CheckConstraint("stock IS NULL OR stock >= 0", name="stock_not_negative"),
        CheckConstraint("points > 0", name="offer_points_positive"),
        CheckConstraint("monthly_limit IS NULL OR monthly_limit > 0", name="limit_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int | None] = mapped_column(ForeignKey("merchants.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default=ITEM)
    title: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    photo_key: Mapped[str | None] = mapped_column(String(80))
    points: Mapped[Decimal] = mapped_column(Amount)
    stock: Mapped[int | None] = mapped_column()
    monthly_limit: Mapped[int | None] = mapped_column()
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column()

    merchant: Mapped[Merchant | None] = relationship()


class Voucher(CommunityScoped, Base):
    """Points held for one purchase: an offer, or an amount at a shop (微消费).

    The points sit in escrow (``hold_id``) until the voucher is redeemed (posted to the
    shop's account, or retired for the community store), cancelled or expired (voided
    back, stock returned), and a redemption may be refunded before its month is settled.
    ``funding`` is the resident's wallet, or a 积分券 coupon (``coupon_id``).
    """

    __tablename__ = "vouchers"
    __table_args__ = (
        CheckConstraint("status IN ('held', 'redeemed', 'cancelled', 'expired', 'refunded')",
                        name="voucher_status"),
        CheckConstraint("offer_id IS NOT NULL OR merchant_id IS NOT NULL", name="offer_or_shop"),
        CheckConstraint("funding IN ('wallet', 'coupon')", name="voucher_funding"),
        CheckConstraint("(status IN ('redeemed', 'refunded')) = (redeemed_at IS NOT NULL)",
                        name="redeemed_has_time"),
        UniqueConstraint("user_id", "idempotency_key", name="voucher_request_once"),
        Index("ix_vouchers_status_expires", "status", "expires_at"),
        Index("ix_vouchers_merchant_redeemed", "merchant_id", "redeemed_at"),
        Index("ix_vouchers_user_created", "user_id", "created_at"),
        # A coupon backs at most one live voucher (held or redeemed); a cancelled, expired
        # or refunded one gives the coupon back, so it may be used again.
        Index("uq_vouchers_live_coupon", "coupon_id", unique=True,
              sqlite_where=text("status IN ('held', 'redeemed')"),
              postgresql_where=text("status IN ('held', 'redeemed')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proxy_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    merchant_id: Mapped[int | None] = mapped_column(ForeignKey("merchants.id"))
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id"), index=True)
    title: Mapped[str] = mapped_column(String(80))  # what the clerk hands over, as it was
    points: Mapped[Decimal] = mapped_column(Amount)
    funding: Mapped[str] = mapped_column(String(8), default=WALLET)
    coupon_id: Mapped[int | None] = mapped_column(ForeignKey("coupons.id"), index=True)
    hold_id: Mapped[int] = mapped_column(ForeignKey("ledger_holds.id"), unique=True)
    status: Mapped[str] = mapped_column(String(10), default=HELD)
    expires_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    idempotency_key: Mapped[str | None] = mapped_column(String(80))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    redeemed_at: Mapped[datetime | None] = mapped_column()
    redeemed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column()  # cancelled or expired
    refunded_at: Mapped[datetime | None] = mapped_column()
    refunded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    refund_reason: Mapped[str] = mapped_column(String(200), default="")
    refund_transfer_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transfers.id"))
    settlement_id: Mapped[int | None] = mapped_column(ForeignKey("settlements.id"), index=True)

    offer: Mapped[Offer | None] = relationship()
    merchant: Mapped[Merchant | None] = relationship()
    # Loaded once per request and kept with the voucher (the notification and the clerk's
    # answer both name the owner).
    owner: Mapped["User"] = relationship(foreign_keys=[user_id], viewonly=True)  # noqa: F821


class CouponRule(CommunityScoped, Base):
    """积分券: each month, residents with at least ``min_points`` approved points that month
    get a coupon worth ``points``, usable at partner shops for ``valid_days`` days, until the
    month's ``budget`` (points) is spent. Funded by the community, not the resident."""

    __tablename__ = "coupon_rules"
    __table_args__ = (
        CheckConstraint("points > 0 AND budget > 0 AND min_points >= 0 AND valid_days > 0",
                        name="coupon_rule_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    min_points: Mapped[Decimal] = mapped_column(Amount)
    points: Mapped[Decimal] = mapped_column(Amount)
    budget: Mapped[Decimal] = mapped_column(Amount)
    valid_days: Mapped[int] = mapped_column(default=30)
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Coupon(CommunityScoped, Base):
    """One resident's coupon from one rule for one month; issued once (unique)."""

    __tablename__ = "coupons"
    __table_args__ = (
        UniqueConstraint("rule_id", "month", "user_id", name="coupon_once"),
        CheckConstraint("status IN ('issued', 'used', 'expired')", name="coupon_status"),
        Index("ix_coupons_status_valid_until", "status", "valid_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("coupon_rules.id"))
    month: Mapped[str] = mapped_column(String(7))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    points: Mapped[Decimal] = mapped_column(Amount)
    status: Mapped[str] = mapped_column(String(8), default="issued")
    valid_until: Mapped[datetime] = mapped_column()
    issue_transfer_id: Mapped[int] = mapped_column(ForeignKey("ledger_transfers.id"), unique=True)
    expire_transfer_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transfers.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Settlement(CommunityScoped, Base):
    """A shop's month turned into yuan: the redeemed points (net of refunds) move to
    retired and their value at the community's rate moves from the fund to what the
    community owes the shop (payable), in one transaction; once per shop and month."""

    __tablename__ = "settlements"
    __table_args__ = (
        UniqueConstraint("merchant_id", "period", name="settlement_once"),
        CheckConstraint("status IN ('settled', 'paid')", name="settlement_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    period: Mapped[str] = mapped_column(String(7))
    voucher_count: Mapped[int] = mapped_column()
    points: Mapped[Decimal] = mapped_column(Amount)
    points_per_yuan: Mapped[Decimal] = mapped_column(Amount)
    amount_cny: Mapped[Decimal] = mapped_column(Amount)
    status: Mapped[str] = mapped_column(String(8), default="settled")
    points_transfer_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transfers.id"))
    cny_transfer_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transfers.id"))
    settled_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    settled_at: Mapped[datetime] = mapped_column()
    paid_at: Mapped[datetime | None] = mapped_column()
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    payment_reference: Mapped[str] = mapped_column(String(80), default="")
    paid_transfer_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transfers.id"))

    merchant: Mapped[Merchant] = relationship()


class FundIncome(CommunityScoped, Base):
    """Money into the community fund (CNY) as the office recorded it: a donation or 义卖
    (charity sale) income, its source, the day it came in and a note. ``transfer_id`` is
    the ledger's ``income`` → ``fund`` movement; ``request_key`` (one per form shown)
    makes a double submission record it once."""

    __tablename__ = "fund_incomes"
    __table_args__ = (
        CheckConstraint("kind IN ('donation', 'charity_sale')", name="fund_income_kind"),
        CheckConstraint("amount_cny > 0", name="fund_income_positive"),
        UniqueConstraint("community_id", "request_key", name="fund_income_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    amount_cny: Mapped[Decimal] = mapped_column(Amount)
    source: Mapped[str] = mapped_column(String(80))
    received_on: Mapped[date] = mapped_column()
    note: Mapped[str] = mapped_column(String(200), default="")
    request_key: Mapped[str] = mapped_column(String(64))
    transfer_id: Mapped[int] = mapped_column(ForeignKey("ledger_transfers.id"), unique=True)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
