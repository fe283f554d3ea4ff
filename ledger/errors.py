"""The ledger's typed errors.

``DomainError`` is the root of every domain exception in the project: each carries a
stable ``code`` for clients and a user-facing ``message`` (Chinese, the msgid that the
English catalogue translates) with ``params`` for its placeholders. The ledger knows
nothing of HTTP; ``points/errors.py`` maps codes to statuses.
"""


def N_(message):
    """Mark a message for translation without translating it (no Flask here)."""
    return message


class DomainError(Exception):
    code = "domain_error"
    message = N_("操作未能完成")

    def __init__(self, *args, **params):
        super().__init__(*args)
        self.params = params

    def __str__(self):
        return f"{self.code}: {self.message % self.params if self.params else self.message}"


class LedgerError(DomainError):
    code = "ledger_error"


class InvalidAmountError(LedgerError):
    code = "invalid_amount"
    message = N_("金额无效：积分须为正整数，人民币最多两位小数")


class LedgerMismatchError(LedgerError):
    code = "ledger_mismatch"
    message = N_("积分和人民币不能互相转账")


class CrossCommunityError(LedgerError):
    code = "cross_community"
    message = N_("不能在两个社区的账户之间转账")


class SameAccountError(LedgerError):
    code = "same_account"
    message = N_("不能转给同一个账户")


class AccountNotFoundError(LedgerError):
    code = "account_not_found"
    message = N_("账户不存在")


class InsufficientPointsError(LedgerError):
    code = "insufficient_points"
    message = N_("余额不足：可用 %(available)s，需要 %(needed)s")


class IdempotencyConflictError(LedgerError):
    code = "idempotency_conflict"
    message = N_("这个请求编号已用于另一笔不同的操作")


class HoldNotFoundError(LedgerError):
    code = "hold_not_found"
    message = N_("冻结记录不存在")


class HoldResolvedError(LedgerError):
    code = "hold_already_resolved"
    message = N_("这笔冻结已经处理过了")


class AlreadyReversedError(LedgerError):
    code = "already_reversed"
    message = N_("这笔记录已经冲正过了")


class NotReversibleError(LedgerError):
    code = "not_reversible"
    message = N_("这笔记录不能冲正")


class ReasonRequiredError(LedgerError):
    code = "reason_required"
    message = N_("请填写原因和经办人")


class NotInTransactionError(LedgerError):
    code = "not_in_transaction"
    message = N_("内部错误：加锁必须在事务中进行")
