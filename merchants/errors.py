"""Refusals of the spending side: each with its code, status (points/errors.py) and words."""
from ledger.errors import DomainError, N_


class MerchantError(DomainError):
    code = "merchant_error"


class VoucherNotFoundError(MerchantError):
    code = "voucher_not_found"
    message = N_("查不到这张券，请核对号码")


class BadCheckCharacterError(MerchantError):
    code = "bad_check_character"
    message = N_("号码有误（校验位不对），请再核对一遍")


class BadVoucherTokenError(MerchantError):
    code = "voucher_not_found"
    message = N_("二维码无效或不完整，请重新扫描")


class VoucherAlreadyRedeemedError(MerchantError):
    code = "voucher_already_redeemed"
    message = N_("这张券已经核销过了")


class VoucherExpiredError(MerchantError):
    code = "voucher_expired"
    message = N_("这张券已过期")


class VoucherCancelledError(MerchantError):
    code = "voucher_cancelled"
    message = N_("这张券已取消")


class VoucherRefundedError(MerchantError):
    code = "voucher_refunded"
    message = N_("这张券已退款")


class WrongShopError(MerchantError):
    code = "wrong_shop"
    message = N_("这张券不能在本店使用")


class VoucherNotOpenError(MerchantError):
    code = "voucher_not_open"
    message = N_("这张券已经不能取消了")


class OfferNotFoundError(MerchantError):
    code = "offer_not_found"
    message = N_("找不到这件商品或优惠")


class OfferUnavailableError(MerchantError):
    code = "offer_unavailable"
    message = N_("这件商品或优惠暂时不能兑换")


class OutOfStockError(MerchantError):
    code = "out_of_stock"
    message = N_("已经兑完了，库存不足")


class MonthlyLimitError(MerchantError):
    code = "monthly_limit"
    message = N_("这件商品每人每月最多兑换 %(limit)s 次")


class ShopNotActiveError(MerchantError):
    code = "shop_not_active"
    message = N_("这家商户暂停服务，不能使用积分")


class OverBillCapError(MerchantError):
    code = "over_bill_cap"
    message = N_("这家店每单最多可用 %(cap)s 积分")


class NotAResidentWalletError(MerchantError):
    code = "forbidden"
    message = N_("只有居民可以兑换")


class IdempotencyKeyReusedError(MerchantError):
    code = "idempotency_conflict"
    message = N_("同一个请求编号不能用于不同的兑换")


class RefundReasonRequiredError(MerchantError):
    code = "reason_required"
    message = N_("退款必须填写原因")


class NotRefundableError(MerchantError):
    code = "not_refundable"
    message = N_("只有已核销的券可以退款")


class AlreadySettledError(MerchantError):
    code = "already_settled"
    message = N_("这个月已经结算，不能再退款")
