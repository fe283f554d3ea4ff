"""The community fund (社区基金, CNY): donations and 义卖 (charity-sale) income recorded by
the office, the fund's balance and movements, and how well it covers the points still out.

Money enters the fund only through ``record_income`` (``income`` → ``fund``) and leaves it
only through a settlement (``fund`` → a shop's ``payable``, see ``merchants.settlement``).
``income`` is the one CNY account allowed below zero: minus everything ever received.

Coverage is the fund divided by the yuan value, at the community's rate, of every point a
resident, household or shop still holds (spendable or held by a voucher, coupons too):
what the community would owe if every point were spent at a partner shop tomorrow.
"""
import re
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

import ledger
from ledger.accounts import COMMUNITY, find_account
from ledger.errors import N_
from ledger.models import Account
from merchants.errors import MerchantError
from merchants.models import FundIncome, Settlement
from points import wallets
from points.audit import services as audit
from points.auth import roles
from points.auth.models import User
from points.errors import ForbiddenError, NotFoundError
from points.extensions import unit_of_work
from points.timeutil import local

DONATION, CHARITY_SALE = "donation", "charity_sale"
INCOME_KINDS = (DONATION, CHARITY_SALE)
KIND_LABELS = {DONATION: N_("捐赠"), CHARITY_SALE: N_("义卖收入"), "settlement": N_("商户结算"),
               "payout": N_("结算付款")}
SOURCE_LIMIT, NOTE_LIMIT = 80, 200
HOLDER_TYPES = (wallets.RESIDENT, wallets.HOUSEHOLD, wallets.MERCHANT)
REQUEST_KEY = re.compile(r"[A-Za-z0-9_-]{8,64}")
PAGE_SIZE = 50


class UnknownIncomeKindError(MerchantError):
    code = "invalid_income_kind"
    message = N_("请选择“捐赠”或“义卖收入”")


class IncomeSourceRequiredError(MerchantError):
    code = "source_required"
    message = N_("请填写捐赠人或义卖活动的名称")


class IncomeDateInFutureError(MerchantError):
    code = "date_in_future"
    message = N_("收入日期不能晚于今天")


class FundShortError(MerchantError):
    code = "fund_insufficient"
    message = N_("社区基金余额不足：现有 ¥%(available)s，本次结算需要 ¥%(needed)s。"
                 "请先登记捐赠或义卖收入，再结算。")


@dataclass
class Recorded:
    income: FundIncome
    created: bool


@dataclass
class Movement:
    """One line of the fund: money in (an income) or out (a settlement), signed."""

    at: object
    kind: str
    amount: Decimal
    balance_after: Decimal
    income: FundIncome | None = None
    settlement: Settlement | None = None


@dataclass
class Overview:
    balance: Decimal
    movements: list
    outstanding_points: Decimal
    outstanding_cny: Decimal
    coverage_percent: Decimal | None  # None when no point is out


# Rules -------------------------------------------------------------------------------

def ensure_office(actor, community_id):
    """Only the office (staff, admins) of the community handles money; a district
    administrator acts in any community."""
    if actor.role not in roles.OFFICE_ROLES:
        raise ForbiddenError()
    if actor.community_id not in (None, community_id):
        raise NotFoundError()


def office_staff(session, community_id):
    """The community's first active office member (staff, then admin), for the batch
    jobs that act in the office's name (``coupons issue --all``, ``settlements run``);
    ``None`` when it has none."""
    return session.scalar(select(User).where(
        User.community_id == community_id, User.active.is_(True),
        User.role.in_((roles.STAFF, roles.ADMIN))).order_by(User.role != roles.STAFF, User.id)
        .limit(1))


def clean_income(kind, source, note, received_on, today):
    """``(source, note)`` cleaned, or the refusal of a bad kind, source or day."""
    if kind not in INCOME_KINDS:
        raise UnknownIncomeKindError()
    source = " ".join((source or "").split())
    if not source:
        raise IncomeSourceRequiredError()
    if not isinstance(received_on, date) or received_on > today:
        raise IncomeDateInFutureError()
    return source[:SOURCE_LIMIT], " ".join((note or "").split())[:NOTE_LIMIT]


def request_key_or_new(key):
    """The form's one-time key (a double submission records once), or a fresh one."""
    return key if key and REQUEST_KEY.fullmatch(key) else uuid.uuid4().hex


def coverage_percent(fund, outstanding_cny):
    if outstanding_cny <= 0:
        return None
    return (Decimal(fund) * 100 / outstanding_cny).quantize(Decimal("0.1"))


# Use cases ---------------------------------------------------------------------------

def fund_account(session, community_id):
    return ledger.system_account(session, community_id, ledger.CNY, "fund")


def income_values(income):
    """The audit log's picture of an income."""
    return {"kind": income.kind, "amount_cny": income.amount_cny, "donor": income.source,
            "received_on": income.received_on, "note": income.note}


def _by_request_key(session, community_id, request_key):
    return session.scalar(select(FundIncome).where(FundIncome.community_id == community_id,
                                                   FundIncome.request_key == request_key))


def record_income(session, *, actor, community, kind, amount, source, received_on, note="",
                  request_key=None, now):
    """Record money received into the fund: a CNY transfer ``income`` → ``fund`` and the
    income's details, in the audit log. The same ``request_key`` again returns the first
    record (``created=False``) and moves nothing. Raises ``InvalidAmountError`` (more
    than two decimals, zero, negative), ``UnknownIncomeKindError``,
    ``IncomeSourceRequiredError``, ``IncomeDateInFutureError``."""
    ensure_office(actor, community.id)
    amount = ledger.to_cny(amount)
    source, note = clean_income(kind, source, note, received_on, local(now).date())
    request_key = request_key_or_new(request_key)
    try:
        with unit_of_work(session):
            earlier = _by_request_key(session, community.id, request_key)
            if earlier is not None:
                return Recorded(earlier, created=False)
            income = _post_income(session, actor=actor, community=community, kind=kind,
                                  amount=amount, source=source, received_on=received_on,
                                  note=note, request_key=request_key, now=now)
    except IntegrityError:
        # The same form posted twice at once: the other request recorded it.
        earlier = _by_request_key(session, community.id, request_key)
        if earlier is None:
            raise
        return Recorded(earlier, created=False)
    return Recorded(income, created=True)


def _post_income(session, *, actor, community, kind, amount, source, received_on, note,
                 request_key, now):
    posted = ledger.transfer(
        session, debit=ledger.system_account(session, community.id, ledger.CNY, "income"),
        credit=fund_account(session, community.id), amount=amount,
        key=f"fund-income:{community.id}:{request_key}", kind=kind, reason=source,
        actor_id=actor.id, ref_type="fund_income", now=now)
    income = FundIncome(community_id=community.id, kind=kind, amount_cny=amount, source=source,
                        received_on=received_on, note=note, request_key=request_key,
                        transfer_id=posted.id, recorded_by_id=actor.id, created_at=now)
    session.add(income)
    session.flush()
    audit.record(session, actor=actor, action=f"fund.{kind}", obj_type="fund_income",
                 obj_id=income.id, after=income_values(income), community_id=community.id,
                 now=now)
    return income


# Reading -----------------------------------------------------------------------------

def fund_balance(session, community_id):
    """The fund's balance in yuan; zero before anything was received (reads only)."""
    account = find_account(session, community_id=community_id, owner_type=COMMUNITY,
                           owner_id=community_id, ledger=ledger.CNY, purpose="fund")
    return ledger.balance_of(session, account).balance if account else ledger.ZERO


def outstanding_points(session, community_id):
    """Points still out: balance plus held of every resident, household and shop account
    of the community (coupon accounts are residents' too)."""
    balance, held = session.execute(
        select(func.coalesce(func.sum(Account.balance), ledger.ZERO),
               func.coalesce(func.sum(Account.held), ledger.ZERO))
        .where(Account.community_id == community_id, Account.ledger == ledger.POINTS,
               Account.owner_type.in_(HOLDER_TYPES))).one()
    return Decimal(balance) + Decimal(held)


def movements(session, community_id, limit=PAGE_SIZE):
    """The fund's latest movements, newest first, each with its income or settlement."""
    account = find_account(session, community_id=community_id, owner_type=COMMUNITY,
                           owner_id=community_id, ledger=ledger.CNY, purpose="fund")
    if account is None:
        return []
    lines = ledger.statement(session, account, limit=limit)
    ids = [line.transfer_id for line in lines]
    incomes = {row.transfer_id: row for row in session.scalars(
        select(FundIncome).where(FundIncome.transfer_id.in_(ids)))}
    settled = {row.cny_transfer_id: row for row in session.scalars(
        select(Settlement).where(Settlement.cny_transfer_id.in_(ids)))}
    return [Movement(at=line.created_at, kind=line.kind, amount=line.amount,
                     balance_after=line.balance_after, income=incomes.get(line.transfer_id),
                     settlement=settled.get(line.transfer_id)) for line in lines]


def overview(session, community):
    """Balance, movements and coverage of the fund (reads only)."""
    balance = fund_balance(session, community.id)
    points = outstanding_points(session, community.id)
    value = ledger.points_to_cny(points, community.points_per_yuan)
    return Overview(balance=balance, movements=movements(session, community.id),
                    outstanding_points=points, outstanding_cny=value,
                    coverage_percent=coverage_percent(balance, value))
