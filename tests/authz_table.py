"""Who may call which route: the one table the authorization matrix
(tests/points/test_authorization_matrix.py) checks every route of ``app.url_map`` against.

Each endpoint maps each of its methods (HEAD and OPTIONS aside) to ``at(guard, only)``:

- ``guard``: the user roles (points/auth/roles.py) the route's guard lets through:
  ``PUBLIC`` (no guard), ``SIGNED_IN`` (any signed-in user), or a set of roles.
  A person the guard refuses gets the refusal: signed out, pages redirect to ``/sign-in``
  (302) and the API answers 401; signed in with another role, 403 (the API's error code
  ``forbidden``; the page with the generic "您没有权限进行这个操作").
- ``only``: when the URL names one person's or one shop's thing (王秀英's voucher, 张记面馆's
  settlement…), the people of the matrix who may also see or touch it; the others the
  guard lets in are refused it with 403 or 404. ``None``: everyone the guard lets in.
  ``A_SIDE`` is everyone of community A: whatever the URL names belongs to A, so the
  staff member of community B (``OTHER``) must be refused it (403 or 404, never a pass).

"Pass" means the guard let the request through: any answer but the refusals above
(200, a redirect elsewhere, 400, 409, 422…, even a domain 403 such as ``own_claim``).
Writes are sent with no body, so where a view checks its form before it looks the object
up, ``OTHER`` is not refused here but by the object-level tests in the same file (with
real bodies, asserting nothing changed); ``only`` states what the empty request shows.
A new route must be added here before its tests pass: the matrix fails on any endpoint
or method of ``app.url_map`` missing from this table, or listed here and gone.
"""
from typing import NamedTuple

from points.auth import roles

# The people of the matrix (tests/points/authz_world.py builds them).
ANON = "anonymous"
RESIDENT = "resident"  # 王秀英: owns the claim, request, vouchers, coupon the URLs name
PROXY = "proxy"  # her son, 亲情代理: pages act for her; the API knows no acting
CLERK = "clerk"  # of 张记面馆, the shop the URLs name
OWNER = "owner"  # of 张记面馆
GRID = "grid_worker"  # of her grid
STAFF = "staff"
ADMIN = "admin"
DISTRICT = "district_admin"  # no community; pages: chose A; API: names A (?community=a)
OTHER = "other_community"  # staff of community B

PEOPLE = (ANON, RESIDENT, PROXY, CLERK, OWNER, GRID, STAFF, ADMIN, DISTRICT, OTHER)
USER_ROLE = {RESIDENT: roles.RESIDENT, PROXY: roles.RESIDENT, CLERK: roles.MERCHANT_CLERK,
             OWNER: roles.MERCHANT_OWNER, GRID: roles.GRID_WORKER, STAFF: roles.STAFF,
             ADMIN: roles.ADMIN, DISTRICT: roles.DISTRICT_ADMIN, OTHER: roles.STAFF}
A_SIDE = frozenset(PEOPLE) - {ANON, OTHER}
HERS = frozenset({RESIDENT, PROXY})  # 王秀英's own, on pages (her son acts for her)
HERS_API = frozenset({RESIDENT})  # 王秀英's own, through the API
SHOP = frozenset({CLERK, OWNER})  # 张记面馆's own
OFFICE_A = frozenset({STAFF, ADMIN, DISTRICT})

PUBLIC = None
SIGNED_IN = frozenset(roles.ROLES)
WALLET = roles.WALLET_ROLES
MERCHANT = roles.MERCHANT_ROLES
STAFF_ROLES = roles.STAFF_ROLES
OFFICE = roles.OFFICE_ROLES
REDEEMERS = roles.MERCHANT_ROLES | {roles.STAFF, roles.ADMIN}  # the store counter too
BOARD_READERS = SIGNED_IN - {roles.DISTRICT_ADMIN}  # boards belong to one community
RESIDENT_ONLY = frozenset({roles.RESIDENT})
OWNER_ONLY = frozenset({roles.MERCHANT_OWNER})
DISTRICT_ONLY = frozenset({roles.DISTRICT_ADMIN})


class Access(NamedTuple):
    guard: frozenset | None
    only: frozenset | None


def at(guard, only=None):
    return Access(None if guard is None else frozenset(guard),
                  None if only is None else frozenset(only))


def expected(access, person):
    """``pass``, ``sign_in`` (302 to /sign-in, API 401), ``forbidden`` (403 of the guard)
    or ``refused`` (403 or 404: the object is not theirs to see)."""
    if access.guard is not None:
        if person == ANON:
            return "sign_in"
        if USER_ROLE[person] not in access.guard:
            return "forbidden"
    elif person == ANON and access.only is not None and ANON not in access.only:
        return "refused"
    if access.only is not None and person not in access.only:
        return "refused"
    return "pass"


TABLE = {
    "activities.browse": {"GET": at(WALLET)},
    # a grid worker may not change a community-wide activity (403)
    "activities.cancel": {"POST": at(STAFF_ROLES, A_SIDE - {GRID})},
    "activities.detail": {"GET": at(STAFF_ROLES, A_SIDE)},
    "activities.edit": {"GET": at(STAFF_ROLES, A_SIDE), "POST": at(STAFF_ROLES, A_SIDE)},
    "activities.index": {"GET": at(STAFF_ROLES)},
    "activities.new": {"GET": at(STAFF_ROLES), "POST": at(STAFF_ROLES)},
    # a grid worker may not change a community-wide activity (403)
    "activities.publish": {"POST": at(STAFF_ROLES, A_SIDE - {GRID})},
    "activities.show": {"GET": at(WALLET)},
    "activities.sign_up": {"POST": at(WALLET)},
    "activities.withdraw": {"POST": at(WALLET)},
    "api-docs.openapi_json": {"GET": at(PUBLIC)},
    "api-docs.openapi_redoc": {"GET": at(PUBLIC)},
    "api_activities.create_event": {"POST": at(STAFF_ROLES)},
    # the events API works in the token's community: a district admin (none) gets 404
    "api_activities.get_event": {"GET": at(SIGNED_IN, A_SIDE - {DISTRICT})},
    "api_activities.list_events": {"GET": at(SIGNED_IN)},
    # a grid worker may not change a community-wide event (403); district admin: 404 (above)
    "api_activities.publish_event": {"POST": at(STAFF_ROLES, A_SIDE - {GRID, DISTRICT})},
    "api_activities.sign_up": {"POST": at(WALLET)},
    "api_activities.withdraw": {"DELETE": at(WALLET)},
    "api_audit.events": {"GET": at(OFFICE)},
    "api_auth.create_token": {"POST": at(PUBLIC)},
    "api_auth.me": {"GET": at(SIGNED_IN)},
    "api_auth.revoke_token": {"DELETE": at(SIGNED_IN)},
    "api_boards.read_board": {"GET": at(BOARD_READERS)},
    "api_boards.read_grid_board": {"GET": at(BOARD_READERS)},
    "api_boards.set_choice": {"PUT": at(WALLET)},
    "api_checkin.confirm_attendance": {"POST": at(STAFF_ROLES)},
    "api_checkin.create_checkin": {"POST": at(SIGNED_IN)},
    # the events API works in the token's community: a district admin (none) gets 404
    "api_checkin.list_checkins": {"GET": at(STAFF_ROLES, A_SIDE - {DISTRICT})},
    "api_checkin.my_card": {"GET": at(WALLET)},
    "api_claims.approve": {"POST": at(STAFF_ROLES, A_SIDE)},
    "api_claims.create_claim": {"POST": at(WALLET)},
    # hers (her proxy too), her grid's worker and the office
    "api_claims.get_claim": {"GET": at(SIGNED_IN, HERS | OFFICE_A | {GRID})},
    # hers (her proxy too), her grid's worker and the office
    "api_claims.get_photo": {"GET": at(SIGNED_IN, HERS | OFFICE_A | {GRID})},
    "api_claims.list_claims": {"GET": at(SIGNED_IN)},
    "api_claims.reject": {"POST": at(STAFF_ROLES)},
    "api_coupons.change_rule": {"PUT": at(OFFICE)},
    "api_coupons.create_rule": {"POST": at(OFFICE)},
    "api_coupons.issue": {"POST": at(OFFICE)},
    "api_coupons.my_coupons": {"GET": at(RESIDENT_ONLY)},
    "api_coupons.rules": {"GET": at(OFFICE)},
    "api_coupons.use": {"POST": at(RESIDENT_ONLY)},
    "api_devices.issue_device": {"POST": at(OWNER_ONLY)},
    "api_devices.list_devices": {"GET": at(OWNER_ONLY)},
    "api_devices.revoke_device": {"DELETE": at(OWNER_ONLY)},
    "api_inspections.correct": {"POST": at(STAFF_ROLES)},
    "api_inspections.create": {"POST": at(STAFF_ROLES)},
    "api_inspections.sheet": {"GET": at(STAFF_ROLES)},
    "api_mall.cancel_voucher": {"POST": at(RESIDENT_ONLY, HERS_API)},
    "api_mall.catalog": {"GET": at(RESIDENT_ONLY)},
    "api_mall.create_voucher": {"POST": at(RESIDENT_ONLY)},
    "api_mall.get_voucher": {"GET": at(RESIDENT_ONLY, HERS_API)},
    "api_mall.list_vouchers": {"GET": at(RESIDENT_ONLY)},
    "api_privacy.anonymise": {"POST": at(OFFICE)},
    "api_privacy.my_data": {"GET": at(WALLET)},
    "api_progress.my_progress": {"GET": at(WALLET)},
    "api_progress.reverse_credit": {"POST": at(OFFICE)},
    "api_reports.summary": {"GET": at(STAFF_ROLES)},
    "api_scan.redeem": {"POST": at(REDEEMERS)},
    "api_scan.redemptions": {"GET": at(MERCHANT)},
    "api_scan.refund": {"POST": at(MERCHANT)},
    "api_settlement.create": {"POST": at(OFFICE)},
    "api_settlement.index": {"GET": at(OFFICE | OWNER_ONLY)},
    "api_settlement.paid": {"POST": at(OFFICE)},
    "api_settlement.show": {"GET": at(OFFICE | OWNER_ONLY, A_SIDE)},
    "api_tasks.cancel": {"POST": at(STAFF_ROLES)},
    "api_tasks.claim": {"POST": at(WALLET)},
    # the requester's act: staff 404; wallet holders are refused after the body (object tests)
    "api_tasks.confirm": {"POST": at(SIGNED_IN, {RESIDENT, PROXY, CLERK, OWNER})},
    "api_tasks.create_request": {"POST": at(SIGNED_IN)},
    "api_tasks.decide": {"POST": at(STAFF_ROLES)},
    "api_tasks.decline": {"POST": at(STAFF_ROLES)},
    "api_tasks.dispute": {"POST": at(WALLET)},
    "api_tasks.done": {"POST": at(WALLET)},
    "api_tasks.get_figures": {"GET": at(STAFF_ROLES)},
    "api_tasks.get_photo": {"GET": at(SIGNED_IN, HERS | OFFICE_A | {GRID})},
    "api_tasks.get_request": {"GET": at(SIGNED_IN, HERS | OFFICE_A | {GRID})},
    "api_tasks.get_task": {"GET": at(SIGNED_IN, A_SIDE)},
    "api_tasks.list_requests": {"GET": at(SIGNED_IN)},
    "api_tasks.list_tasks": {"GET": at(SIGNED_IN)},
    "api_tasks.merge": {"POST": at(STAFF_ROLES)},
    "api_tasks.post_message": {"POST": at(SIGNED_IN)},
    "api_tasks.publish": {"POST": at(STAFF_ROLES)},
    "api_tasks.reassign": {"POST": at(STAFF_ROLES)},
    "api_tasks.release": {"POST": at(WALLET)},
    "api_tasks.route": {"POST": at(STAFF_ROLES)},
    "api_tasks.start": {"POST": at(WALLET)},
    "api_wallet.balance": {"GET": at(WALLET)},
    "api_wallet.statement": {"GET": at(WALLET)},
    "audit.export": {"GET": at(OFFICE)},
    "audit.index": {"GET": at(OFFICE)},
    # a grid worker may not confirm a community-wide activity (403)
    "checkin.attendance": {
        "GET": at(STAFF_ROLES, A_SIDE - {GRID}), "POST": at(STAFF_ROLES, A_SIDE - {GRID})},
    "checkin.attendance_add": {"POST": at(STAFF_ROLES)},
    "checkin.card": {"GET": at(WALLET)},
    "checkin.card_png": {"GET": at(WALLET)},
    "checkin.card_print": {"GET": at(WALLET)},
    "checkin.desk": {"GET": at(STAFF_ROLES, A_SIDE), "POST": at(STAFF_ROLES, A_SIDE)},
    "checkin.reissue": {"POST": at(STAFF_ROLES, A_SIDE)},
    "checkin.rotating": {"GET": at(PUBLIC)},
    "checkin.screen": {"GET": at(STAFF_ROLES, A_SIDE)},
    "checkin.screen_png": {"GET": at(STAFF_ROLES, A_SIDE)},
    "checkin.staff_card": {"GET": at(STAFF_ROLES, A_SIDE)},
    "checkin.staff_card_png": {"GET": at(STAFF_ROLES, A_SIDE)},
    "claims.approve": {"POST": at(STAFF_ROLES, A_SIDE)},
    "claims.approve_many": {"POST": at(STAFF_ROLES)},
    "claims.detail": {"GET": at(WALLET, HERS)},
    "claims.index": {"GET": at(WALLET)},
    "claims.new": {"GET": at(WALLET), "POST": at(WALLET)},
    "claims.photo": {"GET": at(SIGNED_IN, HERS | OFFICE_A | {GRID})},
    "claims.reject": {"POST": at(STAFF_ROLES)},
    "claims.review": {"GET": at(STAFF_ROLES)},
    "claims.staff_detail": {"GET": at(STAFF_ROLES, A_SIDE)},
    "dashboard.index": {"GET": at(STAFF_ROLES)},
    "dashboard.monthly": {"GET": at(STAFF_ROLES)},
    "earning.edit_type": {"GET": at(OFFICE, A_SIDE), "POST": at(OFFICE, A_SIDE)},
    "earning.new_type": {"GET": at(OFFICE), "POST": at(OFFICE)},
    "earning.set_active": {"POST": at(OFFICE, A_SIDE)},
    "earning.types": {"GET": at(STAFF_ROLES)},
    "gamification.choice": {"GET": at(WALLET), "POST": at(WALLET)},
    "gamification.grids": {"GET": at(SIGNED_IN)},
    "gamification.honour": {"GET": at(PUBLIC)},
    "gamification.leaderboard": {"GET": at(SIGNED_IN)},
    "health.healthz": {"GET": at(PUBLIC)},
    "inspections.clean": {"GET": at(STAFF_ROLES)},
    "inspections.correct": {"GET": at(OFFICE, A_SIDE), "POST": at(OFFICE, A_SIDE)},
    "inspections.index": {"GET": at(STAFF_ROLES)},
    "inspections.save": {"POST": at(STAFF_ROLES, A_SIDE)},
    "inspections.sheet": {"GET": at(STAFF_ROLES, A_SIDE)},
    # grid workers see the ladder; only the office changes it (403)
    "levels.index": {"GET": at(STAFF_ROLES), "POST": at(STAFF_ROLES, frozenset(PEOPLE) - {GRID})},
    "levels.reverse_credit": {"POST": at(OFFICE)},
    "me.badges": {"GET": at(WALLET)},
    "me.cards": {"GET": at(STAFF_ROLES)},
    "me.issue_cards": {"POST": at(STAFF_ROLES, A_SIDE)},
    "me.statement": {"GET": at(WALLET)},
    "merchant_devices.add": {"POST": at(OWNER_ONLY)},
    "merchant_devices.index": {"GET": at(OWNER_ONLY)},
    "merchant_devices.revoke": {"POST": at(OWNER_ONLY)},
    "merchants.buy": {"POST": at(WALLET)},
    # her son without the form's acting_for acts as himself
    "merchants.cancel": {"POST": at(WALLET, {RESIDENT})},
    "merchants.catalog": {"GET": at(WALLET)},
    "merchants.coupon_rules": {"GET": at(OFFICE)},
    "merchants.edit_coupon_rule": {"GET": at(OFFICE, A_SIDE), "POST": at(OFFICE, A_SIDE)},
    "merchants.fund_page": {"GET": at(OFFICE), "POST": at(OFFICE)},
    "merchants.issue_coupons": {"POST": at(OFFICE)},
    "merchants.mark_paid": {"POST": at(OFFICE, A_SIDE)},
    "merchants.merchant_statement": {"GET": at(OWNER_ONLY)},
    "merchants.my_coupons": {"GET": at(RESIDENT_ONLY)},
    "merchants.new_coupon_rule": {"POST": at(OFFICE)},
    "merchants.offer": {"GET": at(WALLET)},
    "merchants.offer_active": {"POST": at(OWNER_ONLY)},
    "merchants.offer_edit": {"GET": at(OWNER_ONLY), "POST": at(OWNER_ONLY)},
    "merchants.offer_new": {"GET": at(OWNER_ONLY), "POST": at(OWNER_ONLY)},
    "merchants.offer_photo": {"GET": at(SIGNED_IN, A_SIDE)},
    "merchants.offer_stock": {"POST": at(OWNER_ONLY)},
    "merchants.offers": {"GET": at(OWNER_ONLY)},
    "merchants.open_token": {"GET": at(SIGNED_IN)},
    "merchants.pay": {"GET": at(WALLET), "POST": at(WALLET)},
    "merchants.redeem_token": {"POST": at(REDEEMERS, A_SIDE)},
    "merchants.redemptions": {"GET": at(MERCHANT)},
    "merchants.refund": {"GET": at(MERCHANT), "POST": at(MERCHANT)},
    "merchants.run_settlement": {"POST": at(OFFICE, A_SIDE)},
    "merchants.scan": {"GET": at(REDEEMERS)},
    "merchants.scan_photo": {"POST": at(REDEEMERS)},
    "merchants.scan_submit": {"POST": at(REDEEMERS)},
    "merchants.settlements": {"GET": at(MERCHANT)},
    "merchants.shop": {"GET": at(OFFICE, A_SIDE)},
    "merchants.shop_cap": {"POST": at(OFFICE)},
    "merchants.shop_new": {"GET": at(OFFICE), "POST": at(OFFICE)},
    "merchants.shop_status": {"POST": at(OFFICE, A_SIDE)},
    "merchants.shop_suspend": {"POST": at(OFFICE)},
    "merchants.shops": {"GET": at(OFFICE)},
    "merchants.staff_settlements": {"GET": at(OFFICE)},
    "merchants.staff_statement": {"GET": at(OFFICE, A_SIDE)},
    "merchants.statement_csv": {"GET": at(OFFICE | OWNER_ONLY, A_SIDE)},
    "merchants.statement_print": {"GET": at(OFFICE | OWNER_ONLY, A_SIDE)},
    "merchants.statement_xlsx": {"GET": at(OFFICE | OWNER_ONLY, A_SIDE)},
    "merchants.store": {"GET": at(OFFICE)},
    "merchants.store_active": {"POST": at(OFFICE, A_SIDE)},
    "merchants.store_edit": {"GET": at(OFFICE, A_SIDE), "POST": at(OFFICE, A_SIDE)},
    "merchants.store_new": {"GET": at(OFFICE), "POST": at(OFFICE)},
    "merchants.store_photo": {"POST": at(OFFICE)},
    "merchants.store_stock": {"POST": at(OFFICE)},
    "merchants.use_coupon": {"POST": at(RESIDENT_ONLY)},
    "merchants.voucher": {"GET": at(WALLET, HERS)},
    "merchants.voucher_qr": {"GET": at(WALLET, HERS)},
    "merchants.voucher_status": {"GET": at(WALLET, HERS)},
    "merchants.vouchers": {"GET": at(WALLET)},
    "notifications.index": {"GET": at(SIGNED_IN)},
    "notifications.mark_all_read": {"POST": at(SIGNED_IN)},
    "notifications.mark_read": {"POST": at(SIGNED_IN, {RESIDENT})},
    "reports.download": {"GET": at(OFFICE)},
    "reports.index": {"GET": at(OFFICE)},
    # herself (stops acting) or her son (live grant); no grant: 403
    "residents.act_for": {"POST": at(WALLET, HERS)},
    "residents.anonymise": {"GET": at(OFFICE, A_SIDE), "POST": at(OFFICE, A_SIDE)},
    "residents.choose_community": {"GET": at(DISTRICT_ONLY), "POST": at({DISTRICT})},
    "residents.detail": {"GET": at(STAFF_ROLES, A_SIDE)},
    "residents.grant_proxy": {"POST": at(STAFF_ROLES)},
    "residents.import_sheet": {"GET": at(STAFF_ROLES), "POST": at(STAFF_ROLES)},
    "residents.import_template": {"GET": at(STAFF_ROLES)},
    "residents.index": {"GET": at(STAFF_ROLES)},
    "residents.me": {"GET": at(WALLET)},
    "residents.my_data": {"GET": at(WALLET)},
    "residents.register": {"GET": at(STAFF_ROLES), "POST": at(STAFF_ROLES)},
    "residents.revoke_proxy": {"POST": at(STAFF_ROLES, A_SIDE)},
    "residents.stop": {"POST": at(WALLET)},
    "static": {"GET": at(PUBLIC)},
    "tasks.board": {"GET": at(STAFF_ROLES)},
    "tasks.cancel": {"POST": at(STAFF_ROLES)},
    "tasks.confirm": {"POST": at(WALLET)},
    "tasks.confirm_for": {"POST": at(STAFF_ROLES, A_SIDE)},
    "tasks.decide": {"POST": at(STAFF_ROLES)},
    "tasks.decline": {"POST": at(STAFF_ROLES)},
    "tasks.dispute": {"POST": at(WALLET)},
    "tasks.figures_page": {"GET": at(STAFF_ROLES)},
    "tasks.hall": {"GET": at(WALLET)},
    "tasks.merge": {"POST": at(STAFF_ROLES, A_SIDE)},
    "tasks.message": {"POST": at(SIGNED_IN)},
    "tasks.my_requests": {"GET": at(WALLET)},
    "tasks.new_request": {"GET": at(WALLET), "POST": at(WALLET)},
    "tasks.phone_request": {"GET": at(STAFF_ROLES), "POST": at(STAFF_ROLES)},
    "tasks.publish": {"POST": at(STAFF_ROLES)},
    "tasks.queue": {"GET": at(STAFF_ROLES)},
    "tasks.reassign": {"POST": at(STAFF_ROLES)},
    "tasks.request_detail": {"GET": at(WALLET, HERS)},
    "tasks.request_photo": {"GET": at(SIGNED_IN, HERS | OFFICE_A | {GRID})},
    "tasks.route": {"POST": at(STAFF_ROLES, A_SIDE)},
    "tasks.staff_request": {"GET": at(STAFF_ROLES, A_SIDE)},
    "tasks.staff_task": {"GET": at(STAFF_ROLES, A_SIDE)},
    "tasks.step": {"POST": at(WALLET)},
    "tasks.task_detail": {"GET": at(SIGNED_IN, A_SIDE)},
    "web.change_password": {"GET": at(SIGNED_IN), "POST": at(SIGNED_IN)},
    "web.index": {"GET": at(PUBLIC)},
    "web.merchant_home": {"GET": at(MERCHANT)},
    "web.resident_home": {"GET": at(WALLET)},
    "web.set_elder_mode": {"POST": at(PUBLIC)},
    "web.set_language": {"POST": at(PUBLIC)},
    "web.sign_in": {"GET": at(PUBLIC), "POST": at(PUBLIC)},
    "web.sign_out": {"POST": at(PUBLIC)},
    "web.staff_home": {"GET": at(STAFF_ROLES)},
}
