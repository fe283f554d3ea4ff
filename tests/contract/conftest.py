"""Contract-test fixtures: 北新社区 with one user of every role and a little of everything
their paths name (an activity with a sign-up, a claim, offers, a held and a redeemed
voucher, a request with its task, a credit, an inspection score, a settlement), a bearer
token per role, and the app's OpenAPI document loaded by schemathesis."""
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig

from points.auth import roles
from points.auth import services as auth_services
from points.auth.models import User
from points.timeutil import local, utcnow
from tests import factories

OPENAPI_PATH = "/api/v1/openapi.json"
ANONYMOUS = "anonymous"
CALLERS = (*roles.ROLES, ANONYMOUS)

# Same cases every run. "constants" off: schemathesis would also draw string literals
# found in our Python source (SQL fragments, messages) and send them as "valid" values
# without checking them against the parameter's pattern, so a header documented as
# ``^[!-~]+$`` got "points > 0" and the check blamed the API.
#
# Two documented behaviours the default checks would call bugs:
# - a schema-valid request may still be refused by a domain rule, documented in DESIGN.md:
#   410 (voucher expired or cancelled) and 422 with a domain code (sign-ups closed, work day
#   too old). A 422 ``invalid_input`` on a named field is still a failure: see
#   ``field_rules_are_documented`` in test_schemathesis.py.
# - unknown query parameters are ignored, as HTTP clients and caches add their own
#   ("allow-extra-parameters": false stops sending them as "invalid" requests).
CONFIG = SchemathesisConfig.from_dict({
    "seed": 20261124,
    "generation": {"deterministic": True, "no-shrink": True, "allow-extra-parameters": False},
    "analysis": {"constants": {"enabled": False}},
    "checks": {"positive_data_acceptance": {"expected-statuses": [
        "2xx", "3xx", "401", "403", "404", "409", "410", "422", "429", "5xx"]}},
})


def seed_world(session, instance_path):
    """Everything the paths name, made through the services, and a token per role."""
    from merchants import settlement
    from points.claims import services as claims
    from points.inspections import services as inspections
    from points.residents.acting import acting_as_self
    from points.tasks import services as tasks
    from points.tasks import staff as task_staff

    now = utcnow()
    community = factories.make_community(session, name="北新社区")
    grid = factories.make_grid(session, community, name="红星网格")
    home = factories.make_household(session, community, grid, address="3栋2单元401")
    shop = factories.make_merchant(session, community, name="张记面馆")
    users = {
        roles.RESIDENT: factories.make_resident(session, community, household=home, name="王秀英",
                                                points="800"),
        roles.MERCHANT_CLERK: factories.make_user(session, community, roles.MERCHANT_CLERK,
                                                  name="李小红", merchant=shop),
        roles.MERCHANT_OWNER: factories.make_user(session, community, roles.MERCHANT_OWNER,
                                                  name="张建国", merchant=shop),
        roles.GRID_WORKER: factories.make_user(session, community, roles.GRID_WORKER,
                                               name="刘网格", grids=[grid]),
        roles.STAFF: factories.make_user(session, community, roles.STAFF, name="陈干事"),
        roles.ADMIN: factories.make_user(session, community, roles.ADMIN, name="周书记"),
        roles.DISTRICT_ADMIN: factories.make_user(session, None, roles.DISTRICT_ADMIN, name="钱文"),
    }
    resident, staff = users[roles.RESIDENT], users[roles.STAFF]
    neighbour = factories.make_resident(session, community, household=home, name="李建华",
                                        points="200")
    care = factories.make_activity_type(session, community, name="敬老助老", category="elderly",
                                        unit="participation", points="10")
    activity = factories.make_activity(session, community, care, created_by=staff)
    factories.make_signup(session, activity, resident)
    store_offer = factories.make_offer(session, community)
    shop_offer = factories.make_offer(session, community, shop, title="牛肉面一碗", points="30")
    held = factories.make_voucher(session, resident, store_offer)
    factories.make_voucher(session, resident, shop_offer)
    factories.give_fund(session, community, "5000.00")
    last_month = now.replace(day=1) - timedelta(days=3)
    factories.make_redemption(session, neighbour, shop, "20", last_month,
                              clerk=users[roles.MERCHANT_CLERK])
    settled = settlement.settle_merchant(session, actor=staff, community=community,
                                         merchant_id=shop.id, period=f"{local(last_month):%Y-%m}",
                                         now=now).settlement
    credit = factories.make_credit(session, neighbour, "10", local(now).date())
    uploads = Path(instance_path) / "uploads"
    claim = claims.file_claim(session, acting=acting_as_self(resident), type_id=care.id,
                              work_day=local(now).date(), hours=None, description="陪邻居去医院",
                              location="", photos=[], upload_dir=uploads / "claims", now=now)
    service_request = tasks.file_request(
        session, acting=acting_as_self(resident), category="escort", description="周三去医院复查",
        place="3栋2单元401", preferred_time="周三上午", urgent=False, photos=[],
        upload_dir=uploads / "requests", now=now)
    task = task_staff.publish_request(
        session, actor=staff, community=community, request_id=service_request.id,
        title="陪王秀英去医院", type_id=care.id, points="20", volunteers_needed=1,
        deadline=now + timedelta(days=2), now=now)
    scored = inspections.score_grid(
        session, actor=users[roles.ADMIN], community=community, grid_id=grid.id,
        month=f"{local(now):%Y-%m}", now=now,
        entries=[{"household_id": home.id, "personal": 8, "home": 8, "public": 8}])
    tokens = {role: issue_token(session, user) for role, user in users.items()}
    return SimpleNamespace(
        user_ids={role: user.id for role, user in users.items()},
        community=community, grid=grid, home=home, shop=shop, users=users, tokens=tokens,
        neighbour=neighbour, care=care, activity=activity, store_offer=store_offer,
        shop_offer=shop_offer, held=held, settlement=settled, credit=credit, claim=claim,
        request=service_request, task=task, scored=scored, points=Decimal("800"))


def issue_token(session, user):
    """A bearer token of ``user`` (a User or its id), straight from the service: signing in
    through ``/auth/token`` is rate limited."""
    if isinstance(user, int):
        user = session.get(User, user)
    raw, _token = auth_services.issue_token(session, user=user, now=utcnow(), ttl=timedelta(hours=2))
    return raw


def auth_headers(world, role):
    if role == ANONYMOUS:
        return {}
    return {"Authorization": f"Bearer {world.tokens[role]}"}


@pytest.fixture
def world(app, db):
    return seed_world(db.session, app.config["INSTANCE_PATH"])


@pytest.fixture(params=CALLERS)
def caller(request):
    """Whose token the generated requests carry (``anonymous``: none)."""
    return request.param


@pytest.fixture
def api_schema(app):
    return schemathesis.openapi.from_wsgi(OPENAPI_PATH, app, config=CONFIG)
