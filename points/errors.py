"""The one table from exceptions to HTTP statuses, and the handlers that use it.

JSON requests (``/api/…``, or asking for JSON) get ``{"error": {"code", "message"}}``;
pages get ``templates/errors/<status>.html`` or, for a domain refusal on a form, a flash
and a redirect back. No handler ever shows a stack trace.
"""
import logging

from flask import flash, jsonify, redirect, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException, InternalServerError

from ledger.errors import DomainError, N_

log = logging.getLogger(__name__)

# code → status; domain errors not listed here are refusals of valid input: 422.
STATUS_BY_CODE = {
    "not_found": 404,
    "account_not_found": 404,
    "hold_not_found": 404,
    "voucher_not_found": 404,
    "forbidden": 403,
    "wrong_shop": 403,
    "not_signed_in": 401,
    "bad_credentials": 401,
    "token_invalid": 401,
    "already_exists": 409,
    "already_anonymised": 409,  # privacy
    "idempotency_conflict": 422,
    "hold_already_resolved": 409,
    "already_reversed": 409,
    "voucher_already_redeemed": 409,
    "voucher_expired": 410,
    "voucher_cancelled": 410,
    # mall (merchants/catalogue.py, shops.py, services.issue_voucher): the last unit gone
    # is a conflict with the offer's state (409), like a place taken; a refunded voucher
    # is gone (410) like a cancelled one; an unknown offer or shop is not found.
    "voucher_refunded": 410,
    "out_of_stock": 409,
    "offer_not_found": 404,
    "shop_not_found": 404,
    "shop_not_pending": 409,
    "shop_already_suspended": 409,
    "shop_not_suspended": 409,
    "insufficient_points": 422,
    # fund, coupons and settlement (merchants/fund.py, coupons.py, settlement.py)
    "settlement_already_paid": 409, "coupon_used": 409, "coupon_in_use": 409,
    "coupon_expired": 410, "concurrent_issue": 409,
    # scanning and refunds (merchants/scanning.py)
    "bad_voucher_token": 404,
    "not_a_voucher": 404,
    "bad_check_character": 422,
    "photo_too_large": 413,
    "refund_not_allowed": 403,
    "already_settled": 409,
    "not_refundable": 409,
    "already_checked_in": 409,  # check-in and attendance (points/activities/checkin_errors.py)
    "attendance_already_confirmed": 409,
    "member_card_not_found": 404,
    "score_changed": 409,
    "already_signed_up": 409,
    "signup_not_found": 404,
    "signup_conflict": 409,
    # claims (points/claims/errors.py): deciding on one's own, household's or proxied
    # claim is forbidden; a claim decided meanwhile or the first approver again conflicts.
    "own_claim": 403, "own_household_claim": 403, "own_proxied_claim": 403,
    "claim_already_decided": 409, "same_approver": 409,
    # requests and tasks (points/tasks/errors.py): someone else's request, claim or
    # conversation is forbidden; a task or request whose state moved on conflicts.
    "own_request": 403, "own_household_request": 403, "not_your_claim": 403,
    "not_in_conversation": 403, "not_your_request": 403,
    "request_already_reviewed": 409, "task_full": 409, "task_not_open": 409,
    "already_claimed": 409, "step_not_allowed": 409, "task_not_done": 409,
    "already_confirmed": 409, "already_disputed": 409, "task_not_disputed": 409,
    "too_many_devices": 409, "device_not_found": 404,  # shop devices (merchants/devices.py)
    "sign_in_locked": 429,  # points/auth/lockout.py
}

HTTP_MESSAGES = {
    400: N_("请求格式不正确"),
    401: N_("请先登录"),
    403: N_("您没有权限进行这个操作"),
    404: N_("找不到这个页面或记录"),
    405: N_("不支持这种请求方式"),
    409: N_("与当前状态冲突"),
    410: N_("已失效"),
    413: N_("上传的内容太大了"),
    415: N_("不支持的内容类型"),
    422: N_("填写的内容有误"),
    429: N_("操作太频繁，请稍后再试"),
    500: N_("系统出了点问题，请稍后再试"),
    503: N_("服务暂时不可用"),
}
CSRF_MESSAGE = N_("这个页面已过期或不完整，没有保存。请返回，刷新页面后再提交一次。")
HTTP_CODES = {400: "bad_request", 401: "not_signed_in", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 409: "conflict", 410: "gone",
              413: "too_large", 415: "unsupported_media_type", 422: "invalid_input",
              429: "too_many_requests", 500: "internal_error", 503: "unavailable"}


class NotFoundError(DomainError):
    code = "not_found"
    message = N_("找不到这个页面或记录")


class ForbiddenError(DomainError):
    code = "forbidden"
    message = N_("您没有权限进行这个操作")


def status_for(error):
    return STATUS_BY_CODE.get(error.code, 422)


def wants_json():
    if request.path.startswith("/api/") or request.path == "/healthz":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not request.accept_mimetypes["text/html"]


def error_body(code, message, **extra):
    return {"error": {"code": code, "message": message, **extra}}


def translated(error):
    return gettext(error.message, **error.params) if error.params else gettext(error.message)


def handle_domain_error(error):
    status = status_for(error)
    if wants_json():
        headers = {"Retry-After": str(error.retry_after)} if hasattr(error, "retry_after") else {}
        return jsonify(error_body(error.code, translated(error))), status, headers
    if request.method == "POST" and status in (409, 410, 422):
        flash(translated(error), "error")
        return redirect(request.referrer or request.path)
    return render_error(status, translated(error))


def handle_validation_error(error):
    if wants_json():
        body = error_body("invalid_input", gettext(HTTP_MESSAGES[422]), fields=error.messages)
        return jsonify(body), 422
    return render_error(422, gettext(HTTP_MESSAGES[422]))


def handle_http_error(error):
    status = error.code or 500
    response = error.get_response()
    if wants_json():
        fields = _webargs_messages(error)
        extra = {"fields": fields} if fields else {}
        code = HTTP_CODES.get(status, "http_error")
        body = error_body(code, gettext(HTTP_MESSAGES.get(status, HTTP_MESSAGES[400])), **extra)
        json_response = jsonify(body)
        json_response.status_code = status
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response.headers:
                json_response.headers[header] = response.headers[header]
        return json_response
    rendered = render_error(status, gettext(HTTP_MESSAGES.get(status, HTTP_MESSAGES[400])))
    for header in ("Allow", "Retry-After"):
        if header in response.headers:
            rendered[2][header] = response.headers[header]
    return rendered


def _webargs_messages(error):
    data = getattr(error, "data", None) or {}
    return data.get("messages")


def handle_csrf_error(error):
    """A form without its token, or one left open longer than the token lives: say so
    plainly, so that the resident goes back and sends it again."""
    return render_error(400, gettext(CSRF_MESSAGE))


def handle_unexpected(error):
    log.exception("unhandled error on %s %s", request.method, request.path)
    return handle_http_error(InternalServerError())


def render_error(status, message):
    template = f"errors/{status}.html" if status in (403, 404, 500) else "errors/error.html"
    return render_template(template, status=status, message=message), status, {}


def register(app):
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(ValidationError, handle_validation_error)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
