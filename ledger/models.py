"""Ledger tables: accounts, transfers, entries and holds.

Every table of the project shares ``Base.metadata`` (``db = SQLAlchemy(model_class=Base)``).
The ledger does not know what a community or a resident is: ``community_id`` and
``owner_type``/``owner_id`` are keys the application gives it.

Transfers and entries are append-only: database triggers refuse UPDATE and DELETE.
"""
from datetime import datetime, timezone

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    TypeDecorator,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

from ledger.amounts import ZERO, Amount

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow():
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime on every database (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given; use aware UTC")
            value = value.astimezone(timezone.utc)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    registry = registry(metadata=MetaData(naming_convention=NAMING),
                        type_annotation_map={datetime: UTCDateTime})


# Ids are BIGINT on PostgreSQL (50 million entries and more) and INTEGER on SQLite,
# where only INTEGER PRIMARY KEY is the rowid.
BigId = BigInteger().with_variant(Integer, "sqlite")


class Account(Base):
    """A balance on one ledger, owned by a resident, household, merchant or community."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (
        UniqueConstraint("community_id", "ledger", "owner_type", "owner_id", "purpose", name="owner"),
        CheckConstraint("allow_negative OR balance >= 0", name="no_overdraft"),
        CheckConstraint("held >= 0", name="held_not_negative"),
        CheckConstraint("ledger IN ('POINTS', 'CNY')", name="known_ledger"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    community_id: Mapped[int] = mapped_column(Integer, index=True)
    ledger: Mapped[str] = mapped_column(String(8))
    owner_type: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(16), default="main")
    allow_negative: Mapped[bool] = mapped_column(Boolean, default=False)
    balance: Mapped[object] = mapped_column(Amount, default=ZERO)
    held: Mapped[object] = mapped_column(Amount, default=ZERO)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self):
        return f"<Account {self.id} {self.ledger} {self.owner_type}:{self.owner_id}/{self.purpose}>"


class Transfer(Base):
    """One movement: debit one account, credit another, same ledger, positive amount."""

    __tablename__ = "ledger_transfers"
    __table_args__ = (
        CheckConstraint("amount > 0", name="positive"),
        CheckConstraint("debit_account_id <> credit_account_id", name="two_accounts"),
        Index("ix_ledger_transfers_ref", "ref_type", "ref_id"),
        Index("ix_ledger_transfers_community_created", "community_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    community_id: Mapped[int] = mapped_column(Integer)
    ledger: Mapped[str] = mapped_column(String(8))
    key: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[object] = mapped_column(Amount)
    debit_account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    credit_account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    actor_id: Mapped[int | None] = mapped_column(Integer)
    proxy_id: Mapped[int | None] = mapped_column(Integer)
    ref_type: Mapped[str | None] = mapped_column(String(24))
    ref_id: Mapped[int | None] = mapped_column(BigInteger)
    # Unique: a transfer is reversed at most once.
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transfers.id"), unique=True)
    hold_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_holds.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Entry(Base):
    """One side of a transfer: signed amount (credit +, debit −) and the running balance."""

    __tablename__ = "ledger_entries"
    __table_args__ = (Index("ix_ledger_entries_account_id_desc", "account_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("ledger_transfers.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    amount: Mapped[object] = mapped_column(Amount)
    balance_after: Mapped[object] = mapped_column(Amount)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Hold(Base):
    """A two-phase reservation: points moved to escrow, later posted or voided once.

    ``hold_transfer_id`` moved the points from ``account_id`` to escrow; the outcome
    transfer moves them on to ``destination_account_id`` (posted) or back (voided).
    """

    __tablename__ = "ledger_holds"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'posted', 'voided')", name="known_status"),
        CheckConstraint(
            "(status = 'pending') = (outcome_transfer_id IS NULL)", name="one_outcome"
        ),
        Index("ix_ledger_holds_pending_expiry", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    community_id: Mapped[int] = mapped_column(Integer)
    ledger: Mapped[str] = mapped_column(String(8))
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    destination_account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    escrow_account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    amount: Mapped[object] = mapped_column(Amount)
    status: Mapped[str] = mapped_column(String(8), default="pending")
    expires_at: Mapped[datetime | None] = mapped_column()
    hold_transfer_id: Mapped[int | None] = mapped_column(
        ForeignKey("ledger_transfers.id", use_alter=True), unique=True
    )
    outcome_transfer_id: Mapped[int | None] = mapped_column(
        ForeignKey("ledger_transfers.id", use_alter=True), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column()


# Append-only enforcement, kept in one place: the migration runs the same statements.
IMMUTABLE_TABLES = ("ledger_transfers", "ledger_entries")

PG_IMMUTABLE_FUNCTION = """
CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'ledger rows are immutable: ' || TG_OP || ' on ' || TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql
"""


def immutable_ddl(dialect, table):
    """The statements that make ``table`` refuse UPDATE and DELETE on ``dialect``."""
    if dialect == "postgresql":
        return [
            PG_IMMUTABLE_FUNCTION,
            f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()",
        ]
    return [
        f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'ledger rows are immutable'); END"
        for op in ("UPDATE", "DELETE")
    ]


def _install_triggers(table, connection, **kw):
    for statement in immutable_ddl(connection.dialect.name, table.name):
        connection.exec_driver_sql(statement)


for _model in (Transfer, Entry):
    event.listen(_model.__table__, "after_create", _install_triggers)
