"""Refusals of the reports: a bad period or grid is bad input (422); a grid or community
out of the reader's reach is ``forbidden`` (403); one that does not exist ``not_found``."""
from ledger.errors import DomainError, N_


class ReportError(DomainError):
    code = "report_error"


class BadPeriodError(ReportError):
    code = "bad_period"
    message = N_("请选择一个月份（如 2026-03），或起止日期（结束日期不含在内，最长一年）")


class GridRequiredError(ReportError):
    code = "grid_required"
    message = N_("您负责多个网格，请选择一个网格")


class GridNotFoundError(ReportError):
    code = "not_found"
    message = N_("找不到这个网格")


class CommunityNotFoundError(ReportError):
    code = "not_found"
    message = N_("找不到这个社区")


class DistrictGridError(ReportError):
    code = "grid_needs_community"
    message = N_("按网格查看时，请先选择社区")
