"""Pure rules of the audit log: JSON-safe values, labels and plain words, the filters."""
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask_babel import gettext

from ledger.errors import N_
from points.audit.errors import (
    BadActorError,
    BadCursorError,
    BadDayError,
    BadObjectIdError,
    DayOrderError,
    ObjectIdWithoutTypeError,
    UnknownActionError,
    UnknownObjectTypeError,
)
from points.timeutil import start_of_local_date

MAX_LIMIT = 200
MAX_ID = 2**63 - 1  # a BIGINT; a larger number would overflow the query on PostgreSQL
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)  # local days that convert safely
YES, NO = N_("是"), N_("否")

ACTION_LABELS = {
    "resident.register": N_("登记居民"),
    "proxy.grant": N_("设置亲情代理"),
    "proxy.revoke": N_("取消亲情代理"),
    "resident.anonymise": N_("注销并匿名化居民"),  # privacy
    # fund, coupons and settlement
    "fund.donation": N_("登记捐赠"), "fund.charity_sale": N_("登记义卖收入"),
    "coupon_rule.create": N_("新建积分券规则"), "coupon_rule.save": N_("修改积分券规则"),
    "coupon.issue": N_("发放积分券"), "settlement.run": N_("商户月度结算"),
    "settlement.paid": N_("登记结算付款"),
    # check-in and attendance
    "member_card.reissue": N_("换发会员卡"), "activity.confirm": N_("确认活动出勤"),
    "member_card.issue_grid": N_("为网格补发会员卡"),
    # activities and sign-ups
    "activity.create": N_("新建活动"), "activity.update": N_("修改活动"),
    "activity.publish": N_("发布活动"), "activity.cancel": N_("取消活动"),
    # earning and inspections
    "activity_type.create": N_("新增活动类型"), "activity_type.save": N_("修改活动类型"),
    "activity_type.deactivate": N_("停用活动类型"), "activity_type.activate": N_("恢复活动类型"),
    "inspection.create": N_("录入卫生评比"), "inspection.correct": N_("更正卫生评比"),
    # scanning and refunds
    "voucher.refund": N_("退回已核销的券"),
    # claims
    "claim.approve": N_("通过积分申报"), "claim.approve_first": N_("初审通过积分申报（待复核）"),
    "claim.reject": N_("退回积分申报"), "claim.adjust": N_("调整申报的积分"),
    # requests and tasks (群众点单)
    "request.publish": N_("把点单发布为任务"), "request.decline": N_("不受理点单"),
    "request.merge": N_("合并相同的点单"), "request.route": N_("把点单转给网格"),
    "task.reassign": N_("调整任务的志愿者"), "task.cancel": N_("取消任务"),
    "task.confirm_for": N_("替居民确认任务办好"), "task.decide": N_("处理任务的异议"),
    # mall: the store's goods, shop offers and shops
    "offer.create": N_("上架商品或优惠"), "offer.update": N_("修改商品或优惠"),
    "offer.stock": N_("调整库存"), "offer.hide": N_("隐藏商品或优惠"),
    "offer.show": N_("重新显示商品或优惠"), "offer.photo": N_("更换商品照片"),
    "merchant.register": N_("登记商户"), "merchant.approve": N_("批准商户合作"),
    "merchant.suspend": N_("暂停商户合作"), "merchant.reactivate": N_("恢复商户合作"),
    "merchant.bill_cap": N_("修改商户每单上限"),
    "user.leaderboard": N_("修改排行榜显示方式"),  # leaderboards
    "device.issue": N_("开通扫码设备"), "device.revoke": N_("停用扫码设备"),  # shop devices
    "credit.reverse": N_("撤销积分"), "levels.save": N_("修改等级设置"),  # progress
}

# Plain words for the keys and coded values that the recorded pictures use.
FIELD_LABELS = {
    "name": N_("姓名"), "phone": N_("手机号"), "role": N_("身份"), "household_id": N_("户编号"),
    "address": N_("门牌/户号"), "grid_id": N_("网格编号"), "relation": N_("与户主关系"),
    "source": N_("登记方式"), "resident_id": N_("居民编号"), "proxy_id": N_("代办人编号"),
    "granted_by_id": N_("经办人编号"), "created_at": N_("设置时间"), "revoked_at": N_("取消时间"),
    # fund, coupons and settlement
    "kind": N_("类型"), "amount_cny": N_("金额（元）"), "donor": N_("捐赠人或来源"),
    "received_on": N_("收入日期"), "note": N_("备注"), "rule_name": N_("规则名称"),
    "min_points": N_("当月至少获得积分"), "budget": N_("每月预算（积分）"),
    "valid_days": N_("有效天数"), "issued": N_("本次发放张数"),
    "skipped_by_budget": N_("超出预算未发"), "already": N_("之前已发"),
    "merchant_id": N_("商户编号"), "period": N_("结算月份"), "voucher_count": N_("核销笔数"),
    "points_per_yuan": N_("每元折合积分"), "payment_reference": N_("付款凭证号"),
    # check-in and attendance
    "code": N_("会员码"), "issued_at": N_("发卡时间"), "attendees": N_("出勤名单"),
    "count": N_("人数"), "excluded": N_("签到但未计入"),
    # activities and sign-ups
    "type_id": N_("活动类型编号"), "title": N_("活动名称"), "description": N_("活动说明"),
    "place": N_("地点"), "starts_at": N_("开始时间"), "ends_at": N_("结束时间"),
    "checkin_opens_at": N_("签到开始"), "checkin_closes_at": N_("签到截止"),
    "capacity": N_("名额"), "hours": N_("记几小时"), "status": N_("状态"),
    "published_at": N_("发布时间"), "cancelled_at": N_("取消时间"),
    # earning and inspections
    "category": N_("类别"), "unit": N_("计分方式"), "points": N_("积分"),
    "daily_cap": N_("每天上限"), "monthly_cap": N_("每月上限"), "photo_required": N_("需要照片"),
    "location_required": N_("需要填写地点"), "second_approval_above": N_("第二人复核门槛"),
    "active": N_("使用中"), "month": N_("月份"), "personal": N_("个人卫生"),
    "home": N_("家庭环境"), "public": N_("公共卫生"), "result": N_("评比结果"),
    "revision": N_("第几次评定"),
    "credit_id": N_("积分记录编号"),  # claims
    # requests and tasks
    "task_id": N_("任务编号"), "volunteers_needed": N_("需要志愿者人数"),
    "merged_into_id": N_("合并到的点单编号"), "volunteer_id": N_("志愿者编号"),
    "credited": N_("是否记积分"), "rating": N_("评价"),
    # mall
    "stock": N_("库存"), "change": N_("变动件数"), "monthly_limit": N_("每人每月限兑次数"),
    "per_bill_cap": N_("每单最多可用积分"), "photo_key": N_("照片"),
    "voided_vouchers": N_("作废的兑换券张数"),
    "leaderboard": N_("排行榜显示方式"),  # leaderboards
    "label": N_("设备名称"), "user_id": N_("登录身份（用户编号）"),  # shop devices
    "expires_at": N_("到期时间"),
}
OBJECT_LABELS = {"user": N_("居民账号"), "proxy_grant": N_("亲情代理"),
                 "fund_income": N_("社区基金收入"), "coupon_rule": N_("积分券规则"),
                 "settlement": N_("结算单"),
                 "member_card": N_("会员卡"), "voucher": N_("兑换券"),
                 "grid": N_("网格"),
                 "activity": N_("活动"),
                 "activity_type": N_("活动类型"), "inspection_score": N_("家庭卫生评比"),
                 "claim": N_("积分申报"),
                 "service_request": N_("群众点单"), "task": N_("点单任务"),
                 "credit": N_("积分记录"), "community": N_("社区"),  # progress
                 "offer": N_("商品或优惠"), "merchant": N_("合作商户"),
                 "api_token": N_("扫码设备")}
VALUE_LABELS = {
    ("source", "form"): N_("逐个登记"), ("source", "import"): N_("表格导入"),
    ("role", "resident"): N_("居民"),
    ("kind", "donation"): N_("捐赠"), ("kind", "charity_sale"): N_("义卖收入"),
    ("status", "settled"): N_("已结算"), ("status", "paid"): N_("已付款"),
    ("status", "redeemed"): N_("已核销"), ("status", "refunded"): N_("已退款"),
    ("status", "draft"): N_("草稿"), ("status", "published"): N_("已发布"),
    ("status", "cancelled"): N_("已取消"), ("status", "confirmed"): N_("已确认出勤"),
    ("unit", "hour"): N_("按小时计分"), ("unit", "participation"): N_("按次计分"),
    ("result", "clean"): N_("清洁户"), ("result", "not_clean"): N_("未达标"),
    ("category", "environment"): N_("环境卫生"), ("category", "greening"): N_("绿化美化"),
    ("category", "mediation"): N_("矛盾调解"), ("category", "elderly"): N_("敬老助老"),
    ("category", "civility"): N_("文明劝导"), ("category", "hazard"): N_("安全隐患上报"),
    ("category", "other"): N_("其他"),
    ("status", "pending"): N_("待审核"), ("status", "second_review"): N_("待复核"),  # claims
    ("status", "approved"): N_("已通过"), ("status", "rejected"): N_("未通过"),
    # requests and tasks ("published", "cancelled" read as above)
    ("status", "received"): N_("待社区处理"), ("status", "declined"): N_("未受理"),
    ("status", "merged"): N_("已合并"), ("status", "open"): N_("等志愿者接单"),
    ("status", "done"): N_("志愿者说办好了，待确认"), ("status", "disputed"): N_("有异议，社区处理中"),
    ("status", "closed"): N_("已办结"),
    # mall (a shop's status; "pending" reads 待审核 above)
    ("status", "active"): N_("合作中"), ("status", "suspended"): N_("已暂停"),
    ("kind", "item"): N_("商品"), ("kind", "discount"): N_("优惠"),
    # leaderboards
    ("leaderboard", "named"): N_("显示全名"), ("leaderboard", "masked"): N_("只显示姓"),
    ("leaderboard", "hidden"): N_("不上榜"),
}


def field_label(key):
    """The key in plain words, translated; an unknown key as it is."""
    return gettext(FIELD_LABELS[key]) if key in FIELD_LABELS else key


def object_label(object_type):
    return gettext(OBJECT_LABELS[object_type]) if object_type in OBJECT_LABELS else object_type


def value_label(key, value):
    """A coded value in plain words, translated; anything else (user data) untouched."""
    label = VALUE_LABELS.get((key, value)) if isinstance(value, str) else None
    return gettext(label) if label else value


def value_text(key, value):
    """One recorded value in plain words, as the page and the export show it: "—" for
    nothing, 是/否 for yes and no, a list joined by "、", coded values translated."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext(YES if value else NO)
    if isinstance(value, (list, tuple)):
        return "、".join(value_text(key, item) for item in value)
    if isinstance(value, dict):
        return values_text(value, separator="，")
    return str(value_label(key, value))


def values_text(data, separator="；"):
    """A recorded picture (``before`` or ``after``) in one line: ``姓名：王秀英；身份：居民``."""
    if data is None:
        return ""
    if not isinstance(data, dict):
        return str(data)
    return separator.join(f"{field_label(key)}：{value_text(key, value)}" for key, value in data.items())


def jsonable(value):
    """``value`` with every Decimal as a string (never a float: points are exact), every
    date and datetime as ISO 8601, tuples and sets as lists, recursively."""
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, float):
        raise TypeError("floats are not allowed in the audit log; use Decimal")
    return value


def clean_reason(reason):
    return " ".join((reason or "").split())[:200]


def page_limit(limit):
    """Between 1 and ``MAX_LIMIT`` rows a page."""
    return min(max(int(limit or 1), 1), MAX_LIMIT)


def day_range(first_day=None, last_day=None):
    """``(since, until)`` covering the local days from ``first_day`` to ``last_day``
    inclusive; either end may be open (None)."""
    since = start_of_local_date(first_day) if first_day else None
    until = start_of_local_date(last_day + timedelta(days=1)) if last_day else None
    return since, until


def action_label(action):
    return ACTION_LABELS.get(action, action)


@dataclass(frozen=True)
class AuditFilters:
    """What the office looks for; ``before_id`` is the page cursor (newest first)."""

    action: str | None = None
    actor_id: int | None = None
    obj_type: str | None = None
    obj_id: int | None = None
    first_day: date | None = None
    last_day: date | None = None
    before_id: int | None = None

    def query(self):
        """The keyword arguments of ``services.search`` (without the cursor)."""
        since, until = day_range(self.first_day, self.last_day)
        return {"action": self.action, "actor_id": self.actor_id, "obj_type": self.obj_type,
                "obj_id": self.obj_id, "since": since, "until": until}

    def link(self):
        """The filters as query arguments for a link (without the cursor; empty ones left out)."""
        found = {"action": self.action, "actor": self.actor_id, "object": self.obj_type,
                 "object_id": self.obj_id,
                 "start": self.first_day.isoformat() if self.first_day else None,
                 "end": self.last_day.isoformat() if self.last_day else None}
        return {key: value for key, value in found.items() if value is not None}


def number_of(text, error):
    """A positive whole number written in ``text`` (full-width digits too), None when
    blank; ``error`` raised for anything else."""
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdecimal() or not 0 < int(text) <= MAX_ID:
        raise error()
    return int(text)


def day_of(text):
    """A local day written ``YYYY-MM-DD``, None when blank; ``BadDayError`` otherwise."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise BadDayError() from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise BadDayError()
    return day


def filters_from(args, *, object_types):
    """``AuditFilters`` from the query arguments ``args`` (action, actor, object,
    object_id, start, end, before). Raises an ``AuditFilterError`` naming the bad one:
    an action without a label, an object type not in ``object_types``, an object number
    without its type, a day that is not a date or a start after the end."""
    action = (args.get("action") or "").strip() or None
    if action is not None and action not in ACTION_LABELS:
        raise UnknownActionError()
    obj_type = (args.get("object") or "").strip() or None
    if obj_type is not None and obj_type not in object_types:
        raise UnknownObjectTypeError()
    obj_id = number_of(args.get("object_id"), BadObjectIdError)
    if obj_id is not None and obj_type is None:
        raise ObjectIdWithoutTypeError()
    first_day, last_day = day_of(args.get("start")), day_of(args.get("end"))
    if first_day and last_day and first_day > last_day:
        raise DayOrderError()
    return AuditFilters(action=action, actor_id=number_of(args.get("actor"), BadActorError),
                        obj_type=obj_type, obj_id=obj_id, first_day=first_day, last_day=last_day,
                        before_id=number_of(args.get("before"), BadCursorError))
