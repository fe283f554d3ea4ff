"""Refusals of the game's settings (levels)."""
from ledger.errors import DomainError, N_


class GamificationError(DomainError):
    code = "gamification_error"


class InvalidLadderError(GamificationError):
    """The community's ladder breaks ``rules.ensure_valid_ladder``; subclasses say how."""

    code = "invalid_ladder"
    message = N_("等级设置有误：要有 2 到 10 级，第一级从 0 分起，门槛各不相同，名称 1 到 20 个字")


class LadderSizeError(InvalidLadderError):
    message = N_("请设置 2 到 10 个等级")


class LadderStartError(InvalidLadderError):
    message = N_("第一个等级的门槛必须是 0 分")


class LadderThresholdError(InvalidLadderError):
    message = N_("每个等级的门槛要是不小于 0 的整数，而且不能重复")


class LadderNameError(InvalidLadderError):
    message = N_("每个等级都要有名称，最多 20 个字")
