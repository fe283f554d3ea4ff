"""The authorization matrix: every route of ``app.url_map``, every method, called by each
person of tests/authz_table.py, answers as the table says; and a resident, a clerk or
another community's staff cannot reach someone else's things by changing an id.

The people and things are built once per database (``matrix``); the matrix sends each
request with no body (a guard refuses before reading one; an admitted person then gets a
400/422, which is a pass) and collects every mismatch into one readable failure.
"""
import shutil

import pytest
from sqlalchemy import select
from werkzeug.routing import AnyConverter

from merchants import qr as voucher_qr
from merchants.models import Coupon, Settlement, Voucher
from points.claims.models import Claim
from points.extensions import limiter
from points.tasks.models import ServiceRequest
from tests import authz_table as authz
from tests.authz_table import (ADMIN, CLERK, DISTRICT, GRID, OTHER, OWNER, PEOPLE, PROXY,
                               RESIDENT, STAFF, TABLE)
from tests.conftest import BACKENDS, private_pg_database
from tests.factories import sign_in
from tests.ledger import book
from tests.points import authz_world

SKIPPED_METHODS = {"HEAD", "OPTIONS"}
# Requests that end the person's sign-in or acting: sent after every other.
LAST = ("residents.stop", "web.sign_out", "api_auth.revoke_token")


# --- the app, the world and the signed-in clients, once per database ---------------------

class Matrix:
    def __init__(self, app, db, world):
        self.app, self.db, self.w = app, db, world
        self.pages = {}  # person → test client signed in (ANON: none)
        self.api = {}  # person → headers with a bearer token


def people(w):
    """The signed-in people of the matrix, by their name in tests/authz_table.py."""
    return {RESIDENT: w.resident, PROXY: w.proxy, CLERK: w.clerk, OWNER: w.owner,
            GRID: w.grid_worker, STAFF: w.staff, ADMIN: w.admin, DISTRICT: w.district,
            OTHER: w.b_staff}


def _database(backend, tmp_path_factory, request):
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("authz") / "authz.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    # Its own database: the module's world outlives single tests, and the other tests
    # this process runs meanwhile empty the shared one before each of theirs.
    return request.getfixturevalue("authz_pg_database_url")


@pytest.fixture(scope="module")
def authz_pg_database_url():
    with private_pg_database() as url:
        yield url


@pytest.fixture(scope="module", params=BACKENDS)
def matrix(request, tmp_path_factory):
    from points import create_app
    from points.auth.services import issue_token
    from points.config import TestConfig
    from points.extensions import db
    from points.residents.views import COMMUNITY_KEY
    from points.timeutil import utcnow
    from datetime import timedelta

    url = _database(request.param, tmp_path_factory, request)
    instance = tmp_path_factory.mktemp("authz-instance")
    app = create_app(TestConfig(url, instance))
    # Requests run outside any app context of ours: one shared with them would keep
    # flask-login's user in ``g`` from one request to the next.
    with app.app_context():
        world = authz_world.build(db.session, instance)
        tokens = {name: issue_token(db.session, user=user, now=utcnow(),
                                    ttl=timedelta(days=1))[0]
                  for name, user in people(world).items()}
        db.session.remove()
    m = Matrix(app, db, world)
    for name, user in people(world).items():
        client = app.test_client()
        assert sign_in(client, user).status_code == 302
        m.pages[name] = client
        m.api[name] = {"Authorization": f"Bearer {tokens[name]}"}
    # The son acts for his mother on pages; the district administrator works in A.
    assert m.pages[PROXY].post(f"/me/acting/{world.resident.id}").status_code == 302
    with m.pages[DISTRICT].session_transaction() as http_session:
        http_session[COMMUNITY_KEY] = world.a.id
    yield m
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# --- building a URL for each route ------------------------------------------------------

def url_values(w, secret):
    """What each URL argument names: 王秀英's things, 张记面馆's, community A's."""
    return {
        "activity_id": w.activity.id, "event_id": w.activity.id, "type_id": w.kind.id,
        "claim_id": w.claim.id, "position": w.claim_photo, "credit_id": w.credit.id,
        "score_id": w.score, "grid_id": w.grid.id, "month": w.month, "period": w.period,
        "request_id": w.request.id, "task_id": w.task.id, "user_id": w.resident.id,
        "resident_id": w.resident.id, "grant_id": w.spare_grant.id,
        "voucher_id": w.voucher.id, "offer_id": w.offer.id, "coupon_id": w.coupon,
        "rule_id": w.rule.id, "device_id": w.spare_device.id, "merchant_id": w.shop.id,
        "settlement_id": w.settlement.id, "notification_id": w.notification.id,
        "token": voucher_qr.voucher_token(secret, w.voucher), "code": "a",
        "name": "journal", "fmt": "csv", "state": "on", "filename": "css/app.css",
        "step": "claim", "decision": "credit",
    }


def overrides(w):
    """Where an endpoint's argument must name something else than the default."""
    store = {"offer_id": w.store_offer.id}
    pending_shop = {"merchant_id": w.pending_shop.id}
    request_photo = {"position": w.request_photo}
    draft = {"activity_id": w.draft.id}
    return {
        "activities.cancel": draft, "activities.publish": draft,
        "api_activities.publish_event": {"event_id": w.draft.id},
        "web.set_language": {"code": "zh_Hans_CN"},
        "residents.anonymise": {"user_id": w.victim.id},
        "api_privacy.anonymise": {"user_id": w.victim.id},
        "merchants.store_active": {**store, "change": "show"}, "merchants.store_edit": store,
        "merchants.store_photo": store, "merchants.store_stock": store,
        "merchants.offer_active": {"change": "show"},
        "merchants.shop": pending_shop, "merchants.shop_cap": pending_shop,
        "merchants.shop_status": {**pending_shop, "change": "approve"},
        "merchants.shop_suspend": pending_shop,
        "earning.set_active": {"change": "activate"},
        "tasks.request_photo": request_photo, "api_tasks.get_photo": request_photo,
        "merchants.offer_photo": store,
        "merchants.refund": {"voucher_id": w.refundable.id},
        "api_scan.refund": {"voucher_id": w.refundable.id},
    }


def routes(app):
    """``(endpoint, method, rule)`` of every route, GETs first, ``LAST`` last."""
    found = [(rule.endpoint, method, rule) for rule in app.url_map.iter_rules()
             for method in sorted(rule.methods - SKIPPED_METHODS)]
    return sorted(found, key=lambda row: (row[0] in LAST, row[1] != "GET", row[0], row[1]))


def build_url(app, rule, values):
    arguments = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        if name in values:
            arguments[name] = values[name]
        elif isinstance(converter, AnyConverter):
            arguments[name] = sorted(converter.items)[0]
        else:
            raise AssertionError(f"no value for <{name}> of {rule.endpoint}")
    with app.test_request_context():
        return app.url_for(rule.endpoint, **arguments)


# --- what came back -----------------------------------------------------------------------

def outcome(response):
    """What the answer means: ``sign_in`` (401, or 302 to /sign-in?next=…; sign-out's
    plain redirect to /sign-in is its normal answer), ``forbidden`` (the guard's 403, error code
    ``forbidden``), ``missing`` (404), ``error`` (5xx) or ``pass``."""
    status = response.status_code
    if status == 401 or (status == 302 and response.location.split("?")[0].endswith("/sign-in")
                         and "next=" in response.location):
        return "sign_in"  # login_required's redirect names the page asked for
    if status == 403:
        code = (response.get_json(silent=True) or {}).get("error", {}).get("code")
        return "forbidden" if code == "forbidden" else "pass"  # own_claim, wrong_shop…
    if status == 404:
        return "missing"
    if status >= 500:
        return "error"
    return "pass"


def matches(want, got):
    return got == want or (want == "refused" and got in ("forbidden", "missing"))


def call(m, person, method, url, api):
    if api:
        headers = dict(m.api.get(person, {}))
        if person == DISTRICT:  # a district administrator names the community
            url += ("&" if "?" in url else "?") + f"community=a&community_id={m.w.a.id}"
        return m.app.test_client().open(url, method=method, headers=headers)
    # Pages are asked for JSON: a refusal then comes as the API's error body (its code
    # tells the guard's 403 from a domain one) and skips rendering an error page.
    client = m.pages.get(person) or m.app.test_client()
    return client.open(url, method=method, headers={"Accept": "application/json"})


# --- the tests ----------------------------------------------------------------------------

def test_the_table_names_every_route_and_method(matrix):
    """A route added without a line in tests/authz_table.py fails here, by name."""
    mapped = {}
    for endpoint, method, _ in routes(matrix.app):
        mapped.setdefault(endpoint, set()).add(method)
    declared = {endpoint: set(methods) for endpoint, methods in TABLE.items()}

    missing = sorted(f"{e} {m}" for e in mapped for m in mapped[e] - declared.get(e, set()))
    extra = sorted(f"{e} {m}" for e in declared for m in declared[e] - mapped.get(e, set()))

    assert not missing, "routes without a line in tests/authz_table.py: " + ", ".join(missing)
    assert not extra, "tests/authz_table.py lists routes the app has not: " + ", ".join(extra)


def walk_the_matrix(matrix):
    app, w = matrix.app, matrix.w
    values = url_values(w, app.config["SECRET_KEY"])
    special = overrides(w)
    wrong = []
    for endpoint, method, rule in routes(app):
        access = TABLE.get(endpoint, {}).get(method)
        if access is None:
            continue  # test_the_table_names_every_route_and_method reports it
        url = build_url(app, rule, {**values, **special.get(endpoint, {})})
        api = rule.rule.startswith("/api/")
        limiter.reset()  # the matrix signs in and asks for tokens more than a minute allows
        for person in PEOPLE:
            want = authz.expected(access, person)
            response = call(matrix, person, method, url, api)
            got = outcome(response)
            response.close()  # a streamed answer left open keeps its app context pushed
            if not matches(want, got):
                wrong.append(f"{method} {url} ({endpoint}) as {person}: expected {want}, "
                             f"got {response.status_code} ({got})")
    assert not wrong, f"{len(wrong)} answers differ from tests/authz_table.py:\n" + "\n".join(wrong)


# About 2,800 requests on each database (about 7 s on SQLite). The guards never ask the
# database which role someone has, but the object checks and the pages' queries do.
@pytest.mark.parametrize("matrix", BACKENDS, indirect=True)
def test_every_route_answers_every_person_as_the_table_says(matrix):
    walk_the_matrix(matrix)


# --- object-level checks: someone else's things by id, on both databases ------------------

def fresh(m, person):
    """A page client and API headers for ``person``, signed in now (the matrix signs
    everyone out and revokes their tokens at its end)."""
    from datetime import timedelta

    from points.auth.services import issue_token
    from points.timeutil import utcnow

    user = people(m.w)[person]
    limiter.reset()
    client = m.app.test_client()
    assert sign_in(client, user).status_code == 302
    with m.app.app_context():
        raw, _ = issue_token(m.db.session, user=user, now=utcnow(), ttl=timedelta(hours=1))
        m.db.session.remove()
    return client, {"Authorization": f"Bearer {raw}", "Accept": "application/json"}


def snapshot(m):
    """Every voucher, claim, coupon, settlement, request and person as they stand, and the
    ledger's counts."""
    from points.auth.models import User

    with m.app.app_context():
        session = m.db.session

        def rows(*columns):
            stmt = select(*columns).order_by(columns[0]).execution_options(all_communities=True)
            return session.execute(stmt).all()

        state = {
            "vouchers": rows(Voucher.id, Voucher.status, Voucher.redeemed_at),
            "claims": rows(Claim.id, Claim.status),
            "coupons": rows(Coupon.id, Coupon.status),
            "settlements": rows(Settlement.id, Settlement.status, Settlement.paid_at,
                                Settlement.payment_reference),
            "requests": rows(ServiceRequest.id, ServiceRequest.status),
            "people": rows(User.id, User.name, User.phone, User.active),
            "ledger": book.snapshot(session),  # a refusal that kept a row's status but moved points
        }
        session.remove()
    return state


def refused(response, also=()):
    response.close()
    return response.status_code in (403, 404, *also)


def reads_refused(client, urls, **kwargs):
    """The URLs of ``urls`` that answered anything but 403 or 404."""
    return not_refused({url: client.get(url, **kwargs) for url in urls})


def not_refused(answers, pages_may_redirect=False):
    """``{what: status}`` of the answers that were not 403 or 404 (nor, for a page's
    form when ``pages_may_redirect``, a redirect back with the refusal flashed)."""
    return {what: r.status_code for what, r in answers.items()
            if not refused(r, also=(302,) if pages_may_redirect and "page" in what else ())}


def test_a_resident_cannot_read_a_neighbours_things_by_id(matrix):
    w = matrix.w
    page, api = fresh(matrix, RESIDENT)
    claim, request_ = w.neighbour_claim.id, w.neighbour_request.id

    assert reads_refused(page, [
        f"/vouchers/{w.neighbour_voucher.id}", f"/vouchers/{w.neighbour_voucher.id}/qr.png",
        f"/vouchers/{w.neighbour_voucher.id}/status", f"/claims/{claim}",
        f"/claims/{claim}/photos/{w.claim_photo}", f"/requests/{request_}",
        f"/requests/{request_}/photos/{w.request_photo}",
        f"/settlements/{w.other_settlement.id}/print"]) == {}
    assert reads_refused(page, [
        f"/api/v1/vouchers/{w.neighbour_voucher.id}", f"/api/v1/claims/{claim}",
        f"/api/v1/claims/{claim}/photos/{w.claim_photo}", f"/api/v1/requests/{request_}",
        f"/api/v1/requests/{request_}/photos/{w.request_photo}",
        f"/api/v1/settlements/{w.other_settlement.id}"], headers=api) == {}


def test_own_data_and_statement_ignore_an_id_in_the_query(matrix):
    w = matrix.w
    page, api = fresh(matrix, RESIDENT)
    someone = f"?user_id={w.neighbour.id}&id={w.neighbour.id}&resident_id={w.neighbour.id}"

    for url, headers in ((f"/me/data{someone}", {}), (f"/api/v1/me/data{someone}", api),
                         (f"/me/statement{someone}", {}),
                         (f"/api/v1/me/statement{someone}", api)):
        response = page.get(url, headers=headers)
        body = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert w.neighbour.phone not in body, url  # her name may show in a task's title
    assert w.resident.phone in page.get(f"/api/v1/me/data{someone}", headers=api).get_data(
        as_text=True)


def test_a_resident_cannot_act_on_a_neighbours_things_by_id(matrix):
    w = matrix.w
    page, api = fresh(matrix, RESIDENT)
    before = snapshot(matrix)
    key = {"Idempotency-Key": "authz-object-check"}

    answers = {
        "cancel voucher (page)": page.post(f"/vouchers/{w.neighbour_voucher.id}/cancel"),
        "cancel voucher (API)": page.post(f"/api/v1/vouchers/{w.neighbour_voucher.id}/cancel",
                                          headers=api),
        "use coupon (API)": page.post(f"/api/v1/me/coupons/{w.neighbour_coupon}/vouchers",
                                      json={"merchant_id": w.shop.id}, headers={**api, **key}),
        "use coupon (page)": page.post(f"/coupons/{w.neighbour_coupon}/use",
                                       data={"merchant_id": w.shop.id}),
        "confirm request (API)": page.post(f"/api/v1/requests/{w.neighbour_request.id}/confirm",
                                           json={"rating": 5}, headers=api),
        "dispute request (API)": page.post(f"/api/v1/requests/{w.neighbour_request.id}/dispute",
                                           json={"reason": "没人来"}, headers=api),
        "confirm request (page)": page.post(f"/requests/{w.neighbour_request.id}/confirm",
                                            data={"rating": "5"}),
    }

    assert not_refused(answers, pages_may_redirect=True) == {}
    assert snapshot(matrix) == before


def test_a_clerk_cannot_see_redeem_or_refund_another_shops_vouchers(matrix):
    w = matrix.w
    page, api = fresh(matrix, CLERK)
    owner_page, owner_api = fresh(matrix, OWNER)
    before = snapshot(matrix)
    token = voucher_qr.voucher_token(matrix.app.config["SECRET_KEY"], w.other_shop_voucher)
    refund = f"/merchant/redemptions/{w.neighbour_redeemed.id}/refund"

    assert reads_refused(page, [f"/vouchers/{w.other_shop_voucher.id}", refund]) == {}
    assert reads_refused(owner_page, [
        f"/merchant/settlements/{w.other_settlement.id}",
        f"/settlements/{w.other_settlement.id}/print",
        f"/settlements/{w.other_settlement.id}/statement.csv"]) == {}
    assert reads_refused(owner_page, [f"/api/v1/settlements/{w.other_settlement.id}"],
                         headers=owner_api) == {}
    answers = {
        "refund (page)": page.post(refund, data={"reason": "顾客退货"}),
        "refund (API)": page.post(f"/api/v1/merchant/redemptions/{w.neighbour_redeemed.id}/refund",
                                  json={"reason": "顾客退货"}, headers=api),
        "redeem (API)": page.post("/api/v1/merchant/redemptions", json={"code": token},
                                  headers={**api, "Idempotency-Key": "authz-redeem"}),
        "redeem (page)": page.post(f"/v/{token}"),
    }

    assert not_refused(answers) == {}
    assert snapshot(matrix) == before


def test_staff_of_another_community_cannot_see_or_act_on_its_things(matrix):
    w = matrix.w
    page, api = fresh(matrix, OTHER)
    before = snapshot(matrix)
    claim, settlement = w.neighbour_claim.id, w.other_settlement.id
    token = voucher_qr.voucher_token(matrix.app.config["SECRET_KEY"], w.neighbour_voucher)

    assert reads_refused(page, [
        f"/staff/residents/{w.neighbour.id}", f"/staff/claims/{claim}",
        f"/claims/{claim}/photos/{w.claim_photo}", f"/staff/requests/{w.neighbour_request.id}",
        f"/settlements/{settlement}/print", f"/settlements/{settlement}/statement.csv",
        f"/staff/settlements/{w.other_shop.id}/{w.period}",
        f"/staff/residents/{w.neighbour.id}/card"]) == {}
    assert reads_refused(page, [
        f"/api/v1/claims/{claim}", f"/api/v1/claims/{claim}/photos/{w.claim_photo}",
        f"/api/v1/requests/{w.neighbour_request.id}", f"/api/v1/settlements/{settlement}"],
        headers=api) == {}
    answers = {
        "approve claim (API)": page.post(f"/api/v1/claims/{claim}/approve", json={}, headers=api),
        "reject claim (API)": page.post(f"/api/v1/claims/{claim}/reject",
                                        json={"reason": "不符合"}, headers=api),
        "approve claim (page)": page.post(f"/staff/claims/{claim}/approve", data={}),
        "redeem voucher (API)": page.post("/api/v1/merchant/redemptions", json={"code": token},
                                          headers={**api, "Idempotency-Key": "authz-b-redeem"}),
        "redeem voucher (page)": page.post(f"/v/{token}"),
        "mark paid (API)": page.post(f"/api/v1/settlements/{settlement}/paid",
                                     json={"reference": "B-001"}, headers=api),
        "mark paid (page)": page.post(f"/staff/settlement-payments/{settlement}",
                                      data={"reference": "B-001"}),
        "anonymise (API)": page.post(f"/api/v1/residents/{w.neighbour.id}/anonymise",
                                     json={"reason": "已搬离"}, headers=api),
        "anonymise (page)": page.post(f"/staff/residents/{w.neighbour.id}/anonymise",
                                      data={"reason": "已搬离"}),
    }

    assert not_refused(answers, pages_may_redirect=True) == {}
    assert snapshot(matrix) == before
