"""Refusals of the audit log's filters: each is bad input (422) and says which filter to fix."""
from ledger.errors import DomainError, N_


class AuditFilterError(DomainError):
    code = "bad_filter"
    message = N_("查找条件有误，请重新选择")


class BadDayError(AuditFilterError):
    message = N_("日期不对，请按“年-月-日”填写，如 2026-03-01")


class DayOrderError(AuditFilterError):
    message = N_("开始日期晚于结束日期，请重新选择")


class UnknownActionError(AuditFilterError):
    message = N_("没有这种操作，请从列表里选择")


class UnknownObjectTypeError(AuditFilterError):
    message = N_("没有这种对象，请从列表里选择")


class BadObjectIdError(AuditFilterError):
    message = N_("对象编号只能填数字，如 128")


class ObjectIdWithoutTypeError(AuditFilterError):
    message = N_("填了对象编号，请同时选择是哪种对象")


class BadActorError(AuditFilterError):
    message = N_("没有这个操作人，请从列表里选择")


class BadCursorError(AuditFilterError):
    message = N_("翻页位置不对，请从第一页重新查看")
