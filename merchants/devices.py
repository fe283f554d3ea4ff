"""Device tokens: a shop owner signs a till's tablet or scanner in as one of the shop's
clerks (or as the owner) for a long time, and can stop it at once.

A device token is an ``ApiToken`` of kind ``device`` (``points.auth``): stored hashed,
expiring after ``DEVICE_TOKEN_TTL``, shown once when issued. It belongs to the shop of
its user: the owner sees and revokes the device tokens of the users of their own shop.
At most ``MAX_LIVE_DEVICES`` unrevoked, unexpired ones a shop; the shop's row is locked
while counting, so two owners' tabs cannot both take the last place.

Revoking is idempotent: a token revoked already stays revoked with its first time, and
no second audit event is written (a double press of 停用 is not an error).
"""
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ledger.errors import N_
from merchants.catalogue import owned_shop
from merchants.errors import MerchantError
from merchants.models import Merchant
from points.audit import services as audit
from points.auth import roles
from points.auth.models import ApiToken, User
from points.auth.services import issue_token
from points.extensions import unit_of_work
from points.ids import is_id

DEVICE = "device"
LABEL_LIMIT = 60
MAX_LIVE_DEVICES = 20


class DeviceLabelInvalidError(MerchantError):
    code = "device_label_invalid"
    message = N_("请给设备起个名字（1 到 60 个字），比如“收银台平板”")


class NotAClerkOfShopError(MerchantError):
    code = "not_a_clerk_of_shop"
    message = N_("只能给本店在职的店员或店主开通设备")


class TooManyDevicesError(MerchantError):
    code = "too_many_devices"
    message = N_("本店最多同时使用 %(limit)s 台设备，请先停用不用的设备")


class DeviceNotFoundError(MerchantError):
    code = "device_not_found"
    message = N_("找不到这台设备")


def clean_label(label):
    """The label trimmed (inner runs of spaces made one); ``DeviceLabelInvalidError``
    when empty or longer than ``LABEL_LIMIT``."""
    label = " ".join(str(label or "").split())
    if not 1 <= len(label) <= LABEL_LIMIT:
        raise DeviceLabelInvalidError()
    return label


def device_values(token):
    """The audit log's picture of a device token (never the token or its hash)."""
    return {"label": token.label, "user_id": token.user_id, "expires_at": token.expires_at,
            "revoked_at": token.revoked_at}


def _lock_shop(session, shop):
    session.scalar(select(Merchant.id).where(Merchant.id == shop.id).with_for_update())


def _clerk_of(session, shop, clerk_id):
    user = session.get(User, clerk_id) if is_id(clerk_id) else None
    if (user is None or user.merchant_id != shop.id or user.community_id != shop.community_id
            or user.role not in roles.MERCHANT_ROLES or not user.active):
        raise NotAClerkOfShopError()
    return user


def _live_count(session, shop, now):
    return session.scalar(
        select(func.count()).select_from(ApiToken).join(User, User.id == ApiToken.user_id)
        .where(User.merchant_id == shop.id, ApiToken.kind == DEVICE,
               ApiToken.revoked_at.is_(None), ApiToken.expires_at > now))


def _devices_stmt(shop):
    return (select(ApiToken).join(User, User.id == ApiToken.user_id)
            .where(User.merchant_id == shop.id, User.community_id == shop.community_id,
                   ApiToken.kind == DEVICE))


def _record(session, owner, action, token, before, shop, now):
    audit.record(session, actor=owner, action=action, obj_type="api_token", obj_id=token.id,
                 before=before, after={**device_values(token), "merchant_id": shop.id},
                 community_id=shop.community_id, now=now)


def issue_device_token(session, *, owner, clerk_id, label, now, ttl):
    """A new device token signed in as ``clerk_id`` (a clerk or the owner of the owner's
    own shop, active), valid for ``ttl``. Returns ``(raw, ApiToken)``: the raw token is
    never stored and cannot be shown again. Raises ``ForbiddenError`` (not an owner),
    ``DeviceLabelInvalidError``, ``NotAClerkOfShopError``, ``TooManyDevicesError``."""
    shop = owned_shop(session, owner)
    label = clean_label(label)
    with unit_of_work(session):
        _lock_shop(session, shop)
        clerk = _clerk_of(session, shop, clerk_id)
        if _live_count(session, shop, now) >= MAX_LIVE_DEVICES:
            raise TooManyDevicesError(limit=MAX_LIVE_DEVICES)
        raw, token = issue_token(session, user=clerk, now=now, ttl=ttl, kind=DEVICE, label=label)
        session.flush()
        _record(session, owner, "device.issue", token, None, shop, now)
    return raw, token


def devices_of(session, *, owner):
    """The device tokens of the owner's shop not revoked (expired ones too, to be
    stopped), newest first, with their users loaded."""
    shop = owned_shop(session, owner)
    stmt = (_devices_stmt(shop).where(ApiToken.revoked_at.is_(None)).options(joinedload(ApiToken.user))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc()))
    return list(session.scalars(stmt))


def _device(session, shop, token_id, *, lock=False):
    stmt = _devices_stmt(shop).where(ApiToken.id == token_id)
    if lock:
        stmt = stmt.with_for_update(of=ApiToken).execution_options(populate_existing=True)
    token = session.scalar(stmt) if is_id(token_id) else None
    if token is None:
        raise DeviceNotFoundError()
    return token


def device_of(session, *, owner, token_id):
    """One device token of the owner's shop (revoked or not), or ``DeviceNotFoundError``."""
    return _device(session, owned_shop(session, owner), token_id)


def revoke_device(session, *, owner, token_id, now):
    """Stop a device token of the owner's shop at once: the next request with it is 401.
    Idempotent (see the module's docstring). Raises ``ForbiddenError`` (not an owner),
    ``DeviceNotFoundError`` (not a device token of this shop)."""
    shop = owned_shop(session, owner)
    with unit_of_work(session):
        token = _device(session, shop, token_id, lock=True)
        if token.revoked_at is None:
            before = device_values(token)
            token.revoked_at = now
            _record(session, owner, "device.revoke", token, before, shop, now)
    return token


def clerks_of(session, *, owner):
    """Who a device of the owner's shop may sign in as: the shop's active clerks by name,
    then the owner."""
    shop = owned_shop(session, owner)
    stmt = (select(User).where(User.merchant_id == shop.id, User.community_id == shop.community_id,
                               User.role.in_(roles.MERCHANT_ROLES), User.active.is_(True))
            .order_by((User.role == roles.MERCHANT_OWNER).asc(), User.name, User.id))
    return list(session.scalars(stmt))
