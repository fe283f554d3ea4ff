"""Refusals of requests and tasks.

Statuses (``points/errors.py``): an unknown request or task, or one out of reach, is
``not_found`` (404); acting on someone else's request, claim or conversation is 403; a
state that no longer allows the act (a full, closed or already confirmed task, a request
reviewed meanwhile) is 409; every other refusal is bad input (422). Photo refusals are
those of claims (``points.claims.errors``), caps those of ``points.earning.errors``.
"""
from ledger.errors import DomainError, N_


class TaskError(DomainError):
    code = "task_error"


class RequestNotFoundError(TaskError):
    code = "not_found"
    message = N_("找不到这份点单")


class TaskNotFoundError(TaskError):
    code = "not_found"
    message = N_("找不到这个任务")


# Filing a request


class CategoryUnknownError(TaskError):
    code = "category_unknown"
    message = N_("请选择需要哪类帮助")


class RequestDescriptionMissingError(TaskError):
    code = "description_missing"
    message = N_("请写一写需要什么帮助")


class RequestDescriptionTooLongError(TaskError):
    code = "description_too_long"
    message = N_("说明最多 %(limit)s 个字")


class PlaceMissingError(TaskError):
    code = "place_missing"
    message = N_("请写明在哪里（地址或地点）")


class TextTooLongError(TaskError):
    code = "text_too_long"
    message = N_("“%(field)s”最多 %(limit)s 个字")


class RequesterUnknownError(TaskError):
    code = "requester_unknown"
    message = N_("没有找到这个手机号的居民，请核对后再填")


class NotARequesterError(TaskError):
    code = "forbidden"
    message = N_("只有居民和志愿者可以点单")


# Reviewing


class AlreadyReviewedError(TaskError):
    code = "request_already_reviewed"
    message = N_("这份点单已经处理过了")


class ReasonMissingError(TaskError):
    code = "reason_missing"
    message = N_("请填写原因（居民会看到）")


class ReasonTooLongError(TaskError):
    code = "reason_too_long"
    message = N_("原因最多 %(limit)s 个字")


class TitleMissingError(TaskError):
    code = "title_missing"
    message = N_("请填写任务名称（最多 %(limit)s 个字）")


class OfferedPointsInvalidError(TaskError):
    code = "points_invalid"
    message = N_("积分要填 1 到 %(limit)s 之间的整数")


class PointsAboveCapError(TaskError):
    code = "points_above_cap"
    message = N_("“%(type)s”每人每天最多 %(cap)s 分，任务积分不能更多")


class VolunteersNeededInvalidError(TaskError):
    code = "volunteers_needed_invalid"
    message = N_("需要的志愿者人数要在 1 到 %(limit)s 之间")


class DeadlineInvalidError(TaskError):
    code = "deadline_invalid"
    message = N_("截止时间要在现在之后、%(days)s 天以内")


class TaskTypeUnknownError(TaskError):
    code = "task_type_unknown"
    message = N_("请选择一种计分的活动类型")


class MergeTargetInvalidError(TaskError):
    code = "merge_target_invalid"
    message = N_("只能合并到本社区另一份还在处理的点单")


class GridUnknownError(TaskError):
    code = "grid_unknown"
    message = N_("请选择本社区的一个网格")


# Claiming and working


class NotAVolunteerError(TaskError):
    code = "forbidden"
    message = N_("只有居民和志愿者可以接单")


class OwnRequestError(TaskError):
    code = "own_request"
    message = N_("不能接自己的点单（或自己代办的点单）")


class OwnHouseholdRequestError(TaskError):
    code = "own_household_request"
    message = N_("不能接自己家里人的点单")


class TaskFullError(TaskError):
    code = "task_full"
    message = N_("这个任务的名额已经满了")


class TaskNotOpenError(TaskError):
    code = "task_not_open"
    message = N_("这个任务已经不能接了")


class AlreadyClaimedError(TaskError):
    code = "already_claimed"
    message = N_("您已经接了这个任务")


class NotClaimedError(TaskError):
    code = "not_your_claim"
    message = N_("您没有接这个任务")


class StepNotAllowedError(TaskError):
    code = "step_not_allowed"
    message = N_("现在不能这样操作：%(state)s")


class VolunteerUnknownError(TaskError):
    code = "volunteer_unknown"
    message = N_("没有找到这个手机号的居民或志愿者，请核对后再填")


# Messages


class NotInConversationError(TaskError):
    code = "not_in_conversation"
    message = N_("只有点单人和接单的志愿者可以在这里留言")


class MessageEmptyError(TaskError):
    code = "message_empty"
    message = N_("请写上要说的话")


class MessageTooLongError(TaskError):
    code = "message_too_long"
    message = N_("留言最多 %(limit)s 个字")


# Closing


class NotYourRequestError(TaskError):
    code = "not_your_request"
    message = N_("这不是您的点单，不能确认或提出异议")


class NotDoneYetError(TaskError):
    code = "task_not_done"
    message = N_("志愿者还没有说办好，现在不能确认")


class AlreadyConfirmedError(TaskError):
    code = "already_confirmed"
    message = N_("这个任务已经确认过了")


class AlreadyDisputedError(TaskError):
    code = "already_disputed"
    message = N_("已经提出过异议，社区正在处理")


class NotDisputedError(TaskError):
    code = "task_not_disputed"
    message = N_("这个任务没有异议要处理")


class RatingInvalidError(TaskError):
    code = "rating_invalid"
    message = N_("评价请选 1 到 5 分")
