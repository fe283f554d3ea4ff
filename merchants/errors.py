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
    code = "bad_voucher_token"  # 404 like an unknown code, with its own words
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


class ShopNotFoundError(MerchantError):
    code = "shop_not_found"
    message = N_("找不到这家商户")


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


# Catalogue and shops (merchants/catalogue.py, merchants/shops.py) ----------------------

class OfferTitleRequiredError(MerchantError):
    code = "title_required"
    message = N_("请填写名称")


class OfferPointsInvalidError(MerchantError):
    code = "invalid_points"
    message = N_("积分必须是大于零的整数")


class OfferKindInvalidError(MerchantError):
    code = "invalid_kind"
    message = N_("类型只能是商品或优惠")


class StockInvalidError(MerchantError):
    code = "invalid_stock"
    message = N_("库存必须是不小于零的整数，不限量请留空")


class MonthlyLimitInvalidError(MerchantError):
    code = "invalid_monthly_limit"
    message = N_("每人每月限兑次数必须大于零，不限请留空")


class StockChangeInvalidError(MerchantError):
    code = "invalid_stock_change"
    message = N_("请填写增加或减少的件数（整数，不能为 0）")


class StockReasonRequiredError(MerchantError):
    code = "reason_required"
    message = N_("请填写库存变动的原因")


class StockBelowZeroError(MerchantError):
    code = "stock_below_zero"
    message = N_("库存不够减：现在只有 %(stock)s 件")


class UnlimitedStockError(MerchantError):
    code = "stock_unlimited"
    message = N_("这件商品不限量，不用加库存")


class ShopNameRequiredError(MerchantError):
    code = "name_required"
    message = N_("请填写商户名称")


class BillCapInvalidError(MerchantError):
    code = "invalid_bill_cap"
    message = N_("每单上限必须是大于零的整数")


class ShopNotPendingError(MerchantError):
    code = "shop_not_pending"
    message = N_("只有待审核的商户可以批准")


class ShopAlreadySuspendedError(MerchantError):
    code = "shop_already_suspended"
    message = N_("这家商户已经暂停了")


class ShopNotSuspendedError(MerchantError):
    code = "shop_not_suspended"
    message = N_("只有已暂停的商户可以恢复")


class SuspendReasonRequiredError(MerchantError):
    code = "reason_required"
    message = N_("暂停商户必须填写原因")


class NoShopError(MerchantError):
    code = "forbidden"
    message = N_("您的账号还没有关联店铺，请联系社区工作人员")


# Scanning and refunds (merchants/scanning.py, merchants/photo_decode.py) ----------------

class NoCodeError(MerchantError):
    code = "code_required"
    message = N_("请扫描二维码或输入券码")


class NotAVoucherError(MerchantError):
    code = "not_a_voucher"
    message = N_("这不是积分券的二维码或券码")


class NoPhotoError(MerchantError):
    code = "photo_required"
    message = N_("请先拍一张积分券二维码的照片")


class NotAPhotoError(MerchantError):
    code = "not_a_photo"
    message = N_("这个文件不是照片，请重新拍照")


class PhotoTooLargeError(MerchantError):
    code = "photo_too_large"
    message = N_("照片太大了，请重新拍一张（最大 %(megabytes)s MB）")


class NoQrInPhotoError(MerchantError):
    code = "no_qr_in_photo"
    message = N_("照片里没有找到二维码，请对准二维码再拍一张")


class RefundNotAllowedError(MerchantError):
    code = "refund_not_allowed"
    message = N_("店员只能退回自己当天核销的券，其他退款请找店主")
