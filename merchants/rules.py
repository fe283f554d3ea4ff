"""Pure rules of vouchers: whether one may be made, redeemed, cancelled or refunded."""
import hashlib
from datetime import timedelta

from merchants import errors
from merchants.models import CANCELLED, EXPIRED, HELD, REDEEMED, REFUNDED

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


def ensure_valid_at(voucher, clerk):
    """A shop's voucher at that shop only; the community store's at its counter (staff)."""
    if voucher.merchant_id is None:
        if clerk.merchant_id is not None:
            raise errors.WrongShopError()
    elif voucher.merchant_id != clerk.merchant_id:
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


def lifetime(offer, *, item_ttl, amount_ttl):
    """How long a voucher stays valid: items for days (fetch them any time this month),
    amounts at a shop for minutes (made standing at the till)."""
    return item_ttl if offer is not None else amount_ttl


def period_of(local_moment):
    """``YYYY-MM`` of a local datetime: the settlement month a redemption belongs to."""
    return f"{local_moment.year:04d}-{local_moment.month:02d}"


DEFAULT_ITEM_TTL = timedelta(days=30)
DEFAULT_AMOUNT_TTL = timedelta(minutes=30)
