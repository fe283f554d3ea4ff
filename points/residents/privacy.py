"""Personal data (PIPL): a resident's own data as one JSON file, and
anonymising a resident who leaves.

Anonymising replaces the person's name and phone and clears the office's notes about them;
it never touches the ledger (entries, transfers, holds are immutable and stay balanced).
Points left in the wallet stay recorded and expire under the community's policy. Claim and
request photos are evidence for points awarded and are kept.
"""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select, update

from ledger.errors import N_
from points import statements, wallets
from points.audit import services as audit
from points.auth import roles
from points.auth.models import ApiToken, ProxyGrant, User
from points.errors import ForbiddenError, NotFoundError
from points.extensions import unit_of_work
from points.residents.errors import ResidentError
from points.residents.models import ResidentProfile

ANONYMISED_PREFIX = "anon-"  # never a mainland mobile number: it cannot be dialled or signed in with
UNUSABLE_PASSWORD = "!anonymised"  # not a hash any password verifies against
STATEMENT_PAGE = 500


class AlreadyAnonymisedError(ResidentError):
    code = "already_anonymised"
    message = N_("这位居民已经注销并匿名化了")


class VoucherStillHeldError(ResidentError):
    code = "voucher_still_held"
    message = N_("这位居民还有 %(count)s 张未使用的兑换券，积分被冻结着；请先取消兑换券再注销")


def is_anonymised(user):
    return (user.phone or "").startswith(ANONYMISED_PREFIX)


# --- a resident's own data ---------------------------------------------------------------

def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _row(obj, *, drop=()):
    """The columns of ``obj`` as JSON values, without ``drop``."""
    return {column.name: _plain(getattr(obj, column.key))
            for column in obj.__table__.columns if column.name not in drop}


def _rows(session, model, column, user_id, *, drop=()):
    found = session.scalars(select(model).where(column == user_id).order_by(*model.__table__.primary_key))
    return [_row(obj, drop=drop) for obj in found]


def _statement(session, user):
    lines, before = [], None
    account_id = wallets.find_wallet(session, user)  # a clerk's own wallet, never the shop's
    while True:
        page, before = statements.account_page(session, account_id, before=before,
                                               limit=STATEMENT_PAGE)
        lines += [{"entry_id": line.entry_id, "kind": line.kind, "amount": str(line.amount),
                   "balance_after": str(line.balance_after), "at": _plain(line.created_at),
                   "description": line.description} for line in page]
        if before is None:
            return lines


def own_data(session, user, *, now):
    """Everything the system holds about ``user`` that is theirs to take away, as a dict
    ready for JSON. Other people appear only by name where it explains a decision (the
    approver of a claim, the proxy the person chose); no password or token hashes."""
    from merchants.models import Coupon, Voucher
    from points.activities.models import CheckIn, MemberCard, SignUp
    from points.claims.models import Claim, ClaimDecision
    from points.gamification.models import BadgeAward, Standing
    from points.notifications.models import Notification
    from points.tasks.models import ServiceRequest, TaskAssignment

    household = user.household
    profile = session.get(ResidentProfile, user.id)
    grants = session.scalars(select(ProxyGrant).where(
        (ProxyGrant.resident_id == user.id) | (ProxyGrant.proxy_id == user.id)).order_by(ProxyGrant.id))
    claims = _rows(session, Claim, Claim.user_id, user.id, drop=("filed_by_id",))
    for claim in claims:
        decisions = session.scalars(select(ClaimDecision).where(ClaimDecision.claim_id == claim["id"])
                                    .order_by(ClaimDecision.id))
        claim["decisions"] = [{"decision": d.decision, "points": _plain(d.points), "reason": d.reason,
                               "at": _plain(d.at), "approver": _name(session, d.approver_id)}
                              for d in decisions]
    balance = wallets.wallet_balance(session, user)
    wallet = wallets.find_wallet(session, user)
    return {
        "exported_at": _plain(now),
        "profile": {
            "id": user.id, "name": user.name, "phone": user.phone, "role": user.role,
            "community": user.community.name if user.community else None,
            "household_address": household.address if household else None,
            "grid": household.grid.name if household and household.grid else None,
            "relation": profile.relation if profile else None,
            "registered_at": _plain(profile.registered_at) if profile else _plain(user.created_at),
            "language": user.language, "elder_mode": user.elder_mode,
            "leaderboard": user.leaderboard, "last_sign_in_at": _plain(user.last_sign_in_at),
        },
        "proxies": [{"id": grant.id, "relation": grant.relation,
                     "direction": "acts_for_me" if grant.resident_id == user.id else "i_act_for",
                     "other_name": (grant.proxy if grant.resident_id == user.id else grant.resident).name,
                     "created_at": _plain(grant.created_at), "revoked_at": _plain(grant.revoked_at)}
                    for grant in grants],
        "balance": {"points": str(balance.balance), "held": str(balance.held),
                    "lifetime_earned": str(statements.lifetime_earned(session, wallet) if wallet else 0)},
        "statement": _statement(session, user),
        "claims": claims,
        "sign_ups": _rows(session, SignUp, SignUp.user_id, user.id),
        "check_ins": _rows(session, CheckIn, CheckIn.user_id, user.id, drop=("by_id",)),
        "member_card": _rows(session, MemberCard, MemberCard.user_id, user.id, drop=("code",)),
        "vouchers": _rows(session, Voucher, Voucher.user_id, user.id, drop=(
            "idempotency_key", "request_hash", "redeemed_by_id", "refunded_by_id", "hold_id",
            "refund_transfer_id", "settlement_id")),
        "coupons": _rows(session, Coupon, Coupon.user_id, user.id),
        "badges": _rows(session, BadgeAward, BadgeAward.user_id, user.id),
        "standing": _rows(session, Standing, Standing.user_id, user.id),
        "service_requests": _rows(session, ServiceRequest, ServiceRequest.requester_id, user.id,
                                  drop=("filed_by_id", "reviewed_by_id")),
        "task_assignments": _rows(session, TaskAssignment, TaskAssignment.volunteer_id, user.id,
                                  drop=("assigned_by_id",)),
        "notifications": _rows(session, Notification, Notification.user_id, user.id),
    }


def _name(session, user_id):
    person = session.get(User, user_id) if user_id else None
    return person.name if person else None


# --- anonymising -------------------------------------------------------------------------

def anonymise(session, *, actor, user_id, reason, now):
    """Anonymise the resident ``user_id`` of the actor's community (office staff only).

    Name and phone replaced, the office's relation and note cleared, the account closed
    (inactive, unusable password, every API token revoked, every proxy grant ended). The
    audit event names the fields changed, never their old values. Ledger rows are left as
    they are. Refused while a voucher still holds points (``VoucherStillHeldError``), and
    a second time (``AlreadyAnonymisedError``).
    """
    from merchants.models import HELD, Voucher

    if actor.role not in roles.OFFICE_ROLES:
        raise ForbiddenError()
    reason = (reason or "").strip()
    if not reason:
        raise ReasonMissingError()
    with unit_of_work(session):
        user = session.scalar(select(User).where(User.id == user_id)
                              .execution_options(all_communities=True))
        if (user is None or user.role != roles.RESIDENT
                or actor.community_id not in (None, user.community_id)):
            raise NotFoundError()
        if is_anonymised(user):
            raise AlreadyAnonymisedError()
        held = len(session.scalars(select(Voucher.id).where(
            Voucher.user_id == user.id, Voucher.status == HELD)).all())
        if held:
            raise VoucherStillHeldError(count=held)
        user.name = f"已注销居民 #{user.id}"
        user.phone = f"{ANONYMISED_PREFIX}{user.id}"
        user.password_hash = UNUSABLE_PASSWORD
        user.active = False
        user.must_change_password = False
        user.leaderboard = "hidden"
        changed = ["name", "phone", "password", "active", "leaderboard"]
        profile = session.get(ResidentProfile, user.id)
        if profile is not None:
            profile.relation = ""
            profile.note = ""
            changed += ["relation", "note"]
        session.execute(update(ApiToken).where(ApiToken.user_id == user.id,
                                               ApiToken.revoked_at.is_(None)).values(revoked_at=now))
        session.execute(update(ProxyGrant).where(
            (ProxyGrant.resident_id == user.id) | (ProxyGrant.proxy_id == user.id),
            ProxyGrant.revoked_at.is_(None)).values(revoked_at=now))
        audit.record(session, actor=actor, action="resident.anonymise", obj_type="user",
                     obj_id=user.id, after={"fields": changed}, reason=reason,
                     community_id=user.community_id, now=now)
    return user


class ReasonMissingError(ResidentError):
    code = "anonymise_reason_missing"
    message = N_("请写明注销原因")
