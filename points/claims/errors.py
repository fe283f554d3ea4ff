"""Refusals of claims: filing, photos and the approvers' decisions.

Statuses (``points/errors.py``): an unknown claim, or one out of the approver's reach, is
``not_found`` (404); deciding on one's own, one's household's or a proxied claim is 403;
a claim decided meanwhile, or a second decision by the first approver, is 409; every
other refusal is bad input (422), caps included (``points.earning.errors``).
"""
from ledger.errors import DomainError, N_


class ClaimError(DomainError):
    code = "claim_error"


class ClaimNotFoundError(ClaimError):
    code = "not_found"
    message = N_("找不到这份申报")


# Filing


class ClaimTypeUnknownError(ClaimError):
    code = "claim_type_unknown"
    message = N_("请选择一种工作类型")


class WorkDayMissingError(ClaimError):
    code = "work_day_missing"
    message = N_("请填写做这项工作的日期")


class WorkDayInFutureError(ClaimError):
    code = "work_day_in_future"
    message = N_("工作日期不能是将来的日子")


class WorkDayTooOldError(ClaimError):
    code = "work_day_too_old"
    message = N_("只能申报最近 %(days)s 天内做的工作")


class HoursInvalidError(ClaimError):
    code = "hours_invalid"
    message = N_("时长要大于 0、最多 24 小时，最多两位小数（如 1.5）")


class DescriptionMissingError(ClaimError):
    code = "description_missing"
    message = N_("请写一写做了什么")


class DescriptionTooLongError(ClaimError):
    code = "description_too_long"
    message = N_("说明最多 %(limit)s 个字")


class LocationMissingError(ClaimError):
    code = "location_missing"
    message = N_("这类申报要写明地点（在哪里）")


class LocationTooLongError(ClaimError):
    code = "location_too_long"
    message = N_("地点最多 %(limit)s 个字")


# Photos


class PhotoError(ClaimError):
    code = "photo_invalid"


class PhotoRequiredError(PhotoError):
    code = "photo_required"
    message = N_("这类工作要附上至少一张照片")


class TooManyPhotosError(PhotoError):
    code = "too_many_photos"
    message = N_("最多只能附 %(limit)s 张照片")


class PhotoTooLargeError(PhotoError):
    code = "claim_photo_too_large"
    message = N_("第 %(number)s 张照片太大了：每张最大 %(limit)s MB")


class PhotoNotImageError(PhotoError):
    code = "photo_not_image"
    message = N_("第 %(number)s 张不是照片：只能上传 JPEG、PNG 或 WebP 图片")


class PhotoTooManyPixelsError(PhotoError):
    code = "photo_too_many_pixels"
    message = N_("第 %(number)s 张照片像素太多：最多 %(limit)s 百万像素")


# Decisions


class ClaimAlreadyDecidedError(ClaimError):
    code = "claim_already_decided"
    message = N_("这份申报已经处理过了")


class SameApproverTwiceError(ClaimError):
    code = "same_approver"
    message = N_("您已经初审通过了这份申报，需要另一位工作人员复核")


class OwnClaimError(ClaimError):
    code = "own_claim"
    message = N_("不能审核自己的申报")


class OwnHouseholdClaimError(ClaimError):
    code = "own_household_claim"
    message = N_("不能审核自己家里人的申报")


class ProxiedClaimError(ClaimError):
    code = "own_proxied_claim"
    message = N_("不能审核自己代办的申报")


class RejectReasonMissingError(ClaimError):
    code = "reason_missing"
    message = N_("请填写不通过的原因")


class AdjustReasonMissingError(ClaimError):
    code = "adjust_reason_missing"
    message = N_("改动积分时请写明原因")


class ReasonTooLongError(ClaimError):
    code = "reason_too_long"
    message = N_("原因最多 %(limit)s 个字")


class AdjustedPointsInvalidError(ClaimError):
    code = "points_invalid"
    message = N_("积分要填大于零的整数")


class TooManyAtOnceError(ClaimError):
    code = "too_many_at_once"
    message = N_("一次最多批量通过 %(limit)s 份申报")


class NothingChosenError(ClaimError):
    code = "nothing_chosen"
    message = N_("请先勾选要通过的申报")
