"""The voucher's QR: a signed URL ``/v/<token>``, so a phone's own camera (or WeChat's
扫一扫) opens the voucher too, and a tampered or truncated token is recognised before
any lookup. The token signs the voucher id with the app's secret; it never expires by
itself (the voucher's status and ``expires_at`` decide)."""
from itsdangerous import BadSignature, URLSafeSerializer

from merchants.errors import BadVoucherTokenError

SALT = "voucher-v1"


def _serializer(secret):
    return URLSafeSerializer(secret, salt=SALT)


def voucher_token(secret, voucher):
    return _serializer(secret).dumps([voucher.community_id, voucher.id])


def voucher_from_token(secret, token):
    """``(community_id, voucher_id)`` of a token, or ``BadVoucherTokenError``."""
    try:
        community_id, voucher_id = _serializer(secret).loads(token or "")
    except (BadSignature, ValueError, TypeError):
        raise BadVoucherTokenError() from None
    if not isinstance(community_id, int) or not isinstance(voucher_id, int):
        raise BadVoucherTokenError()
    return community_id, voucher_id


def token_in(scanned):
    """The token inside what a scanner read: a full URL ``…/v/<token>`` or the token."""
    text = (scanned or "").strip()
    marker = "/v/"
    return text.rsplit(marker, 1)[1].split("?", 1)[0].strip("/") if marker in text else text
