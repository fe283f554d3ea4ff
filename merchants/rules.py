"""Pure rules of vouchers: whether one may be made, redeemed, cancelled or refunded."""
import hashlib
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from merchants import errors
from merchants.models import CANCELLED, EXPIRED, HELD, REDEEMED, REFUNDED
from points.months import month_of as period_of  # noqa: F401  (the settlement month of a moment)
from points.timeutil import local

VOUCHER_STATUS_ERRORS = {
    REDEEMED: errors.VoucherAlreadyRedeemedError,
    REFUNDED: errors.VoucherRefundedError,
    CANCELLED: errors.VoucherCancelledError,
    EXPIRED: errors.VoucherExpiredError,
}


def request_fingerprint(*, offer_id, merchant_id, points):
    """What a voucher request asked for: a repeat with the same ``Idempotency-Key`` must
    ask for the same, or it is refused."""
    text = f"offer={offer_id or ''};merchant={merchant_id or ''};points={points or ''}"
    return hashlib.sha256(text.encode()).hexdigest()


def is_expired(voucher, now):
    return voucher.status == EXPIRED or (voucher.status == HELD and voucher.expires_at <= now)


# Who hands out the community store's goods at its counter: office staff, not grid
# workers (out in their grids) nor district administrators (no community).
COUNTER_ROLES = frozenset({"staff", "admin"})
SHOP_ROLES = frozenset({"merchant_clerk", "merchant_owner"})


def is_valid_at(voucher, clerk):
    """A shop's voucher at that shop only (its clerks and owner); the community store's
    at its counter (office staff). Residents and anyone else redeem nothing."""
    if voucher.merchant_id is None:
        return clerk.merchant_id is None and clerk.role in COUNTER_ROLES
    return clerk.role in SHOP_ROLES and voucher.merchant_id == clerk.merchant_id


def ensure_valid_at(voucher, clerk):
    if not is_valid_at(voucher, clerk):
        raise errors.WrongShopError()


def ensure_still_held(voucher, now):
    if is_expired(voucher, now):
        raise errors.VoucherExpiredError()
    if voucher.status != HELD:
        raise VOUCHER_STATUS_ERRORS[voucher.status]()


def ensure_redeemable(voucher, clerk, now):
    ensure_valid_at(voucher, clerk)
    ensure_still_held(voucher, now)


def ensure_cancellable(voucher, now):
    if voucher.status != HELD:
        raise VOUCHER_STATUS_ERRORS[voucher.status]()


def ensure_resident(user):
    """Only residents spend points in the mall: a shop's staff must not turn their own
    points into their shop's yuan."""
    if user.role != "resident":
        raise errors.NotAResidentWalletError()


def ensure_shop_open(merchant):
    if merchant is not None and merchant.status != "active":
        raise errors.ShopNotActiveError()


def ensure_offer_available(offer):
    if not offer.active:
        raise errors.OfferUnavailableError()
    if offer.stock is not None and offer.stock <= 0:
        raise errors.OutOfStockError()


def ensure_within_monthly_limit(offer, taken_this_month):
    if offer.monthly_limit is not None and taken_this_month >= offer.monthly_limit:
        raise errors.MonthlyLimitError(limit=offer.monthly_limit)


def ensure_within_bill_cap(merchant, points):
    if points > merchant.per_bill_cap:
        raise errors.OverBillCapError(cap=str(merchant.per_bill_cap))


def ensure_refundable(voucher, reason):
    if voucher.status != REDEEMED:
        raise errors.NotRefundableError()
    if not (reason or "").strip():
        raise errors.RefundReasonRequiredError()


def may_refund(voucher, actor, now):
    """The owner refunds any of the shop's redemptions (until the month is settled); a
    clerk only one they redeemed themselves today, to put right a mistake at the till
    while the customer is still there. Older ones need the owner: a refund lowers what
    the shop is paid."""
    if actor.role == "merchant_owner":
        return True
    return (actor.role == "merchant_clerk" and voucher.redeemed_by_id == actor.id
            and voucher.redeemed_at is not None
            and local(voucher.redeemed_at).date() == local(now).date())


def ensure_may_refund(voucher, actor, now):
    if not may_refund(voucher, actor, now):
        raise errors.RefundNotAllowedError()


def lifetime(offer, *, item_ttl, amount_ttl):
    """How long a voucher stays valid: items for days (fetch them any time this month),
    amounts at a shop for minutes (made standing at the till)."""
    return item_ttl if offer is not None else amount_ttl


DEFAULT_ITEM_TTL = timedelta(days=30)
DEFAULT_AMOUNT_TTL = timedelta(minutes=30)


# Catalogue: the values staff and shop owners type --------------------------------------

# Vouchers that use up one of an offer's monthly places (cancelled and expired ones give
# the place back).
COUNTED_STATUSES = (HELD, REDEEMED)
SHOWN_STATUSES = (HELD, REDEEMED, CANCELLED, EXPIRED, REFUNDED)


def whole_points(value):
    """A points price: a whole number above zero (at most ``MAX_POINTS``), as a Decimal."""
    if isinstance(value, (float, bool)) or value is None:
        raise errors.OfferPointsInvalidError()
    try:
        points = Decimal(str(value).strip())
    except InvalidOperation:
        raise errors.OfferPointsInvalidError() from None
    if (not points.is_finite() or not 0 < points <= MAX_POINTS
            or points != points.to_integral_value()):
        raise errors.OfferPointsInvalidError()
    return points.quantize(Decimal("1"))


def _whole(value, error, *, minimum):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise error() from None
    if number < minimum or number > MAX_UNITS:
        raise error()
    return number


def stock_or_none(value):
    """Units in stock: empty for unlimited, else a whole number from zero."""
    return _whole(value, errors.StockInvalidError, minimum=0)


def limit_or_none(value):
    """Vouchers per resident per month: empty for no limit, else at least one."""
    return _whole(value, errors.MonthlyLimitInvalidError, minimum=1)


def stock_change(value):
    """Units added (or taken off, below zero) in one stock change: never zero."""
    try:
        change = int(str(value).strip())
    except (TypeError, ValueError):
        raise errors.StockChangeInvalidError() from None
    if change == 0 or abs(change) > MAX_UNITS:
        raise errors.StockChangeInvalidError()
    return change


def clean_reason(reason, limit=200):
    return " ".join((reason or "").split())[:limit]


MAX_UNITS = 100_000
MAX_POINTS = Decimal("1000000")
