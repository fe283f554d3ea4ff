"""Refusals of activities and sign-ups. Each changes nothing; codes map to HTTP statuses in
``points/errors.py`` (not listed there: 422)."""
from ledger.errors import DomainError, N_


class ActivityError(DomainError):
    code = "activity_error"


class ActivityNotFoundError(ActivityError):
    code = "not_found"
    message = N_("找不到这个活动")


# Creating and editing


class TitleMissingError(ActivityError):
    code = "title_missing"
    message = N_("请填写活动名称")


class TitleTooLongError(ActivityError):
    code = "title_too_long"
    message = N_("活动名称最多 %(limit)s 个字")


class PlaceMissingError(ActivityError):
    code = "place_missing"
    message = N_("请填写活动地点")


class PlaceTooLongError(ActivityError):
    code = "place_too_long"
    message = N_("活动地点最多 %(limit)s 个字")


class DescriptionTooLongError(ActivityError):
    code = "description_too_long"
    message = N_("活动说明最多 %(limit)s 个字")


class TypeInactiveError(ActivityError):
    code = "type_inactive"
    message = N_("这个活动类型已停用，请选择其他类型")


class GridRequiredError(ActivityError):
    code = "grid_required"
    message = N_("网格员只能为自己负责的网格创建活动，请选择网格")


class TimeMissingError(ActivityError):
    code = "time_missing"
    message = N_("请填写活动的开始和结束时间")


class EndsBeforeStartError(ActivityError):
    code = "ends_before_start"
    message = N_("结束时间必须晚于开始时间")


class TooLongError(ActivityError):
    code = "activity_too_long"
    message = N_("一场活动最长 %(hours)s 小时，请核对日期")


class CheckinWindowOrderError(ActivityError):
    code = "checkin_window_order"
    message = N_("签到截止时间必须晚于签到开始时间")


class CheckinOpensOutOfRangeError(ActivityError):
    code = "checkin_opens_out_of_range"
    message = N_("签到最早在活动开始前 %(hours)s 小时开始，而且要在活动结束前开始")


class CheckinClosesOutOfRangeError(ActivityError):
    code = "checkin_closes_out_of_range"
    message = N_("签到要在活动开始以后截止，最晚在活动结束后 %(hours)s 小时截止")


class CapacityError(ActivityError):
    code = "invalid_capacity"
    message = N_("名额必须是 1 到 %(limit)s 之间的整数")


class PointsError(ActivityError):
    code = "invalid_points"
    message = N_("积分必须是大于零的整数")


class HoursError(ActivityError):
    code = "invalid_hours"
    message = N_("按小时计分的活动，时长要大于 0、最多 24 小时，最多两位小数")


# Publishing and cancelling


class NotDraftError(ActivityError):
    code = "activity_not_draft"
    message = N_("活动已经发布或取消，不能再修改")


class StartsInThePastError(ActivityError):
    code = "starts_in_the_past"
    message = N_("活动开始时间已经过了，不能发布；请先修改时间")


class NotCancellableError(ActivityError):
    code = "activity_not_cancellable"
    message = N_("这个活动已经取消或已经确认出勤，不能再取消")


class ReasonTooLongError(ActivityError):
    code = "reason_too_long"
    message = N_("取消原因最多 %(limit)s 个字")


# Signing up


class NotAVolunteerError(ActivityError):
    code = "forbidden"
    message = N_("只有居民和商户可以报名参加活动")


class ActivityCancelledError(ActivityError):
    code = "activity_cancelled"
    message = N_("这个活动已经取消了")


class SignUpsClosedError(ActivityError):
    code = "signups_closed"
    message = N_("活动已经开始，报名已截止")


class AlreadySignedUpError(ActivityError):
    code = "already_signed_up"
    message = N_("您已经报名了这个活动")


class AlreadyWaitlistedError(AlreadySignedUpError):
    message = N_("您已经在这个活动的候补名单上了")


class ConcurrentSignUpError(ActivityError):
    # Another sign-up of the same activity wrote at the same moment; the lock makes this
    # rare, the constraints make it harmless.
    code = "signup_conflict"
    message = N_("刚才有人同时报名，请再试一次")


class NotSignedUpError(ActivityError):
    code = "signup_not_found"
    message = N_("您没有报名这个活动")


class CancelAfterStartError(ActivityError):
    code = "cancel_after_start"
    message = N_("活动已经开始，不能再取消报名")
