"""Refusals of household inspections (文明积分)."""
from ledger.errors import DomainError, N_


class InspectionError(DomainError):
    code = "inspection_error"


class InvalidMonthError(InspectionError):
    code = "invalid_month"
    message = N_("月份的格式应为“2026-11”")


class FutureMonthError(InspectionError):
    code = "future_month"
    message = N_("还没到这个月，不能评比")


class ScoreOutOfRangeError(InspectionError):
    code = "score_out_of_range"
    message = N_("每项分数须为 0 到 10 的整数")


class IncompleteScoresError(InspectionError):
    code = "scores_incomplete"
    message = N_("%(address)s 的三项分数要填全；这次不评的户请三项都留空")


class NoScoresError(InspectionError):
    code = "no_scores"
    message = N_("请至少给一户打分")


class DuplicateHouseholdError(InspectionError):
    code = "duplicate_household"
    message = N_("同一户在一次录入里只能出现一次")


class HouseholdNotInGridError(InspectionError):
    code = "not_found"
    message = N_("找不到这一户，或这一户不在这个网格")


class ScoreNotFoundError(InspectionError):
    code = "not_found"
    message = N_("找不到这条评比记录")


class ReasonRequiredError(InspectionError):
    code = "reason_required"
    message = N_("更正必须写明原因")


class NothingToCorrectError(InspectionError):
    code = "nothing_changed"
    message = N_("分数和原来一样，没有需要更正的")


class StaleCorrectionError(InspectionError):
    code = "score_changed"
    message = N_("这一户的分数刚被别人更正过，请看最新结果后再改")


class ConcurrentScoringError(InspectionError):
    code = "score_changed"
    message = N_("刚才有人同时在给这一户打分，请刷新后查看结果")
