"""What a clerk scanned, typed or photographed → the voucher it names, redeemed; and the
shop's redemptions read back.

A scan is one of three things, told apart by their shape before any lookup:

- the voucher's QR, a URL ``…/v/<token>`` (a phone's own camera opens it too);
- the bare token (``WzEsMl0.…``: always has a dot, a short code never does);
- a short code read aloud and typed (``K7QM-2XHD-5``), with its check character.

Each failure has its own reason: a tampered or truncated token, another QR or text
(not a voucher), a wrong check character, a code or token of another community
(unknown, never "someone else's"), and the voucher's own state (redeemed, expired,
cancelled, refunded, another shop's). Nothing moves on any of them.
"""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, func, or_, select

from ledger.amounts import ZERO
from merchants import errors, photo_decode, qr, rules, services
from merchants.models import REDEEMED, REFUNDED, Merchant, Voucher
from points import codes, months
from points.auth.models import User
from points.auth.rules import mask_name
from points.residents.acting import live_grant

PAGE_SIZE = 50
URL_MARKER = "/v/"  # merchants.qr: the QR carries …/v/<token>


# Resolving a scan ----------------------------------------------------------------------

def looks_like_token(text):
    """A URL of a voucher QR, or a bare signed token (a code never has a dot; another
    site's URL has one but no ``/v/``)."""
    return URL_MARKER in text or ("." in text and "://" not in text)


def voucher_of_token(token, *, community_id, secret):
    """The voucher id a signed token names in ``community_id``. A tampered or truncated
    token is ``BadVoucherTokenError``; another community's is unknown."""
    token_community, voucher_id = qr.voucher_from_token(secret, token)
    if token_community != community_id:
        raise errors.VoucherNotFoundError()
    return voucher_id


def resolve(session, scanned, *, community_id, secret):
    """The id of the voucher of ``community_id`` that ``scanned`` names, or the exact
    reason it names none (raises; reads only)."""
    text = (scanned or "").strip()
    if not text:
        raise errors.NoCodeError()
    if looks_like_token(text):
        return voucher_of_token(qr.token_in(text), community_id=community_id, secret=secret)
    if "://" in text or codes.normalize(text) is None:
        raise errors.NotAVoucherError()
    return services.voucher_by_code(session, text, community_id)


# Redeeming -----------------------------------------------------------------------------

@dataclass
class Redemption:
    """A redeemed (or refunded) voucher as the shop sees it: the resident's name masked."""

    voucher: Voucher
    resident_name: str


MISREAD_ERRORS = (errors.NoCodeError, errors.NotAVoucherError, errors.BadCheckCharacterError,
                  errors.BadVoucherTokenError, errors.NoPhotoError, errors.NotAPhotoError,
                  errors.PhotoTooLargeError, errors.NoQrInPhotoError)


@dataclass
class Outcome:
    """What the scan page shows: a redemption (green), or a refusal (red) with the
    voucher when telling its state helps the clerk (already redeemed at …)."""

    redemption: Redemption | None = None
    error: errors.MerchantError | None = None
    voucher: Voucher | None = None

    @property
    def ok(self):
        return self.redemption is not None

    @property
    def is_misread(self):
        """A refusal of what was read (typed, scanned, photographed), not of a voucher:
        the clerk should look again rather than turn the resident away."""
        return isinstance(self.error, MISREAD_ERRORS)


def masked_owner(voucher):
    return mask_name(voucher.owner.name if voucher.owner else "")


def redeem_scanned(session, *, clerk, scanned, secret, now):
    """Resolve ``scanned`` and redeem that voucher at the clerk's shop, exactly once
    (``services.redeem_voucher`` locks the voucher). Raises the refusal's error."""
    voucher_id = resolve(session, scanned, community_id=clerk.community_id, secret=secret)
    voucher = services.redeem_voucher(session, clerk=clerk, voucher_id=voucher_id, now=now)
    return Redemption(voucher, masked_owner(voucher))


# Refusals about the voucher's own state: the clerk is shown which voucher and since when
# (it is this shop's: ``ensure_valid_at`` is checked first). Another shop's voucher, or an
# unknown one, shows nothing of it.
STATE_ERRORS = tuple(rules.VOUCHER_STATUS_ERRORS.values())


def scan_outcome(session, *, clerk, scanned, secret, now):
    """``redeem_scanned`` for a page: the refusal is returned, not raised."""
    voucher_id = None
    try:
        voucher_id = resolve(session, scanned, community_id=clerk.community_id, secret=secret)
        voucher = services.redeem_voucher(session, clerk=clerk, voucher_id=voucher_id, now=now)
    except errors.MerchantError as error:
        shown = voucher_id is not None and isinstance(error, STATE_ERRORS)
        return Outcome(error=error, voucher=session.get(Voucher, voucher_id) if shown else None)
    return Outcome(redemption=Redemption(voucher, masked_owner(voucher)))


def photo_outcome(session, *, clerk, upload, secret, now):
    """The QR in an uploaded photo (a stream), redeemed as ``scan_outcome``; no photo,
    a file that is none, too large or without a QR is refused with that reason."""
    try:
        scanned = photo_decode.qr_text(photo_decode.read_limited(upload))
    except errors.MerchantError as error:
        return Outcome(error=error)
    return scan_outcome(session, clerk=clerk, scanned=scanned, secret=secret, now=now)


def shop_of(session, user):
    """The shop the user scans for; None at the community store's counter."""
    return session.get(Merchant, user.merchant_id) if user.merchant_id else None


# The voucher's own URL (/v/<token>) ------------------------------------------------------

OWNER, REDEEMER, OTHER = "owner", "redeemer", "other"


def opener_of(session, user, voucher):
    """Who opened the voucher's URL: its owner (or their 亲情代理 proxy), someone who may
    redeem it (the shop's clerk or owner, office staff for the store), or anyone else."""
    if voucher is None or voucher.community_id != user.community_id:
        return OTHER
    if voucher.user_id == user.id or live_grant(session, resident_id=voucher.user_id,
                                                proxy_id=user.id):
        return OWNER
    return REDEEMER if rules.is_valid_at(voucher, user) else OTHER


@dataclass
class Opened:
    opener: str
    voucher: Voucher | None = None  # only for its owner or someone who may redeem it
    resident_name: str = ""
    refusal: errors.MerchantError | None = None  # why it cannot be redeemed now


def state_refusal(voucher, now):
    """The error redeeming the voucher would meet because of its own state, or None."""
    try:
        rules.ensure_still_held(voucher, now)
    except errors.MerchantError as error:
        return error
    return None


def voucher_at_url(session, token, *, user, secret, now):
    """What ``/v/<token>`` shows ``user``; a tampered or truncated token raises its
    reason (``BadVoucherTokenError``). Reads only: opening the URL never redeems."""
    token_community, voucher_id = qr.voucher_from_token(secret, token)
    voucher = session.get(Voucher, voucher_id) if token_community == user.community_id else None
    opener = opener_of(session, user, voucher)
    if opener == OTHER:
        return Opened(OTHER)
    if opener == OWNER:
        return Opened(OWNER, voucher)
    return Opened(REDEEMER, voucher, masked_owner(voucher), state_refusal(voucher, now))


# Reading redemptions -------------------------------------------------------------------

def _redemptions_of(merchant_id):
    return (select(Voucher, User.name).join(User, User.id == Voucher.user_id)
            .where(Voucher.merchant_id == merchant_id,
                   Voucher.status.in_((REDEEMED, REFUNDED)),
                   Voucher.redeemed_at.is_not(None)))


def _before(stmt, cursor):
    """Keyset paging, newest first: strictly older than ``(redeemed_at, id)``."""
    if cursor is None:
        return stmt
    at, voucher_id = cursor
    return stmt.where(or_(Voucher.redeemed_at < at,
                          and_(Voucher.redeemed_at == at, Voucher.id < voucher_id)))


def redemptions_page(session, *, merchant_id, since=None, until=None, cursor=None,
                     limit=PAGE_SIZE):
    """Up to ``limit`` redemptions of the shop, newest first, with the cursor of the next
    page (``(redeemed_at, id)`` of the last one, or None on the last page)."""
    stmt = _before(_redemptions_of(merchant_id), cursor)
    if since is not None:
        stmt = stmt.where(Voucher.redeemed_at >= since, Voucher.redeemed_at < until)
    rows = session.execute(stmt.order_by(Voucher.redeemed_at.desc(), Voucher.id.desc())
                           .limit(limit + 1)).all()
    page = [Redemption(voucher, mask_name(name)) for voucher, name in rows[:limit]]
    last = page[-1].voucher if len(rows) > limit else None
    return page, (last.redeemed_at, last.id) if last else None


@dataclass
class Totals:
    redeemed_count: int
    redeemed_points: Decimal  # still redeemed: what the month will settle
    refunded_count: int
    refunded_points: Decimal


def month_totals(session, *, merchant_id, since, until):
    """Counts and points of the shop's month: still redeemed, and refunded."""
    rows = session.execute(
        select(Voucher.status, func.count(), func.sum(Voucher.points))
        .where(Voucher.merchant_id == merchant_id, Voucher.status.in_((REDEEMED, REFUNDED)),
               Voucher.redeemed_at >= since, Voucher.redeemed_at < until)
        .group_by(Voucher.status)).all()
    found = {status: (count, points or ZERO) for status, count, points in rows}
    redeemed, refunded = found.get(REDEEMED, (0, ZERO)), found.get(REFUNDED, (0, ZERO))
    return Totals(*redeemed, *refunded)


def is_settled(session, merchant_id, first_day):
    return services.settlement_for(session, merchant_id, months.month_of(first_day)) is not None


@dataclass
class Month:
    """A shop's month of redemptions as its page shows it."""

    first_day: date
    redemptions: list
    next_cursor: tuple | None
    totals: Totals
    settled: bool
    refundable: frozenset  # voucher ids the viewer may refund now
    is_current: bool  # the month of ``now``: no "next month" after it

    @property
    def period(self):
        return months.month_of(self.first_day)

    @property
    def earlier(self):
        return months.month_of(months.preceding(self.first_day))

    @property
    def later(self):
        return months.month_of(months.following(self.first_day))


def month_of_redemptions(session, *, actor, period, cursor, now):
    """The shop's redemptions of local month ``period`` (``YYYY-MM``; this month when
    absent or malformed), one page from ``cursor``, totals, and which the viewer may
    refund (none once the month is settled)."""
    first_day = months.first_day(period) or months.this_month(now)
    since, until = months.moments_of(first_day)
    page, next_cursor = redemptions_page(session, merchant_id=actor.merchant_id, since=since,
                                         until=until, cursor=cursor)
    settled = is_settled(session, actor.merchant_id, first_day)
    refundable = frozenset() if settled else frozenset(
        r.voucher.id for r in page
        if r.voucher.status == REDEEMED and rules.may_refund(r.voucher, actor, now))
    return Month(first_day, page, next_cursor,
                 month_totals(session, merchant_id=actor.merchant_id, since=since, until=until),
                 settled, refundable, is_current=first_day >= months.this_month(now))


def redemption_for_shop(session, *, merchant_id, voucher_id):
    """One redemption of the shop (for its refund form), else ``VoucherNotFoundError``."""
    row = session.execute(_redemptions_of(merchant_id).where(Voucher.id == voucher_id)).first()
    if row is None:
        raise errors.VoucherNotFoundError()
    return Redemption(row[0], mask_name(row[1]))


def refund(session, *, actor, voucher_id, reason, now):
    """``services.refund_redemption``, answered as the shop sees it."""
    voucher = services.refund_redemption(session, actor=actor, voucher_id=voucher_id,
                                         reason=reason, now=now)
    return Redemption(voucher, masked_owner(voucher))
