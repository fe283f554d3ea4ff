"""Refusals of the earning side."""
from ledger.errors import DomainError, N_


class EarningError(DomainError):
    code = "earning_error"


class ActivityTypeNotFoundError(EarningError):
    code = "not_found"
    message = N_("找不到这个活动类型")


class ActivityTypeNameTakenError(EarningError):
    code = "already_exists"
    message = N_("已经有叫“%(name)s”的活动类型了")


class InvalidRuleError(EarningError):
    code = "invalid_rule"
    message = N_("积分规则有误")


class UnknownUnitError(InvalidRuleError):
    message = N_("计分方式只能是按次或按小时")


class PointsNotPositiveError(InvalidRuleError):
    message = N_("积分必须是大于零的整数")


class CapNotPositiveError(InvalidRuleError):
    message = N_("上限和复核门槛必须大于零，不设请留空")


class DailyAboveMonthlyError(InvalidRuleError):
    message = N_("每日上限不能大于每月上限")


class HoursRequiredError(InvalidRuleError):
    code = "hours_required"
    message = N_("按小时计分的工作必须填写时长（大于 0，最多 24 小时）")


class CapReachedError(EarningError):
    code = "cap_reached"
    message = N_("超过了“%(type)s”的积分上限")


class DailyCapReachedError(CapReachedError):
    message = N_("超过了“%(type)s”的每日上限：这一天还能获得 %(remaining)s 分")


class MonthlyCapReachedError(CapReachedError):
    message = N_("超过了“%(type)s”的每月上限：这个月还能获得 %(remaining)s 分")


class AlreadyCreditedError(EarningError):
    code = "already_credited"
    message = N_("这项工作已经记过积分了")


class TypeNameMissingError(InvalidRuleError):
    code = "name_missing"
    message = N_("请填写活动类型的名称（最多 40 个字）")


class UnknownCategoryError(InvalidRuleError):
    message = N_("请选择一个类别")


class CreditNotFoundError(EarningError):
    code = "not_found"
    message = N_("找不到这笔积分记录")


class CreditReversedError(EarningError):
    code = "already_reversed"
    message = N_("这笔积分已经撤销过了")


class CreditSpentError(EarningError):
    code = "insufficient_points"
    message = N_("这笔积分已经被用掉了，余额不足，不能撤销；请先与居民联系")
