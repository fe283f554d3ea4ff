"""Sign-in and account refusals."""
from ledger.errors import DomainError, N_


class AuthError(DomainError):
    code = "auth_error"


class BadCredentialsError(AuthError):
    # One message for an unknown phone and a wrong password: it must not tell which.
    code = "bad_credentials"
    message = N_("手机号或密码不正确")


class TokenInvalidError(AuthError):
    code = "token_invalid"
    message = N_("登录已失效，请重新登录")


class WeakPasswordError(AuthError):
    code = "weak_password"
    message = N_("新密码至少 8 位，且不能和手机号或旧密码相同")


class PhoneTakenError(AuthError):
    code = "already_exists"
    message = N_("手机号 %(phone)s 已经登记过了")


class InvalidPhoneError(AuthError):
    code = "invalid_phone"
    message = N_("手机号应为 11 位数字，以 1 开头")


class SignInLockedError(AuthError):
    # Too many wrong passwords for one phone number: the wait grows (points/auth/lockout.py).
    code = "sign_in_locked"
    message = N_("密码错误次数太多，为保护账户已暂时锁定，请 %(minutes)s 分钟后再试。"
                 "忘记密码可以请社区工作人员重设。")

    def __init__(self, *, retry_after):
        super().__init__(minutes=max(1, -(-retry_after // 60)))
        self.retry_after = retry_after
