"""Shared by test_fuzz_forms.py and test_fuzz_api.py: one seeded app per module and
backend, hostile values, the ledger fingerprint, and what every answer must be.

The promise under test (docs/SECURITY.md, "Bad input"): whatever a client sends, the
answer is a clear error (4xx, its message translated) or a plain success, never a 500;
a refusal changes nothing in the ledger, and a poisoned number (``1e309``, ``NaN``,
``Infinity``, beyond int64, negative) never moves points.
"""
import contextlib
import os
import re
import shutil
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from werkzeug.routing import IntegerConverter

from points.auth import roles
from tests.conftest import BACKENDS, private_pg_database



def fuzz(examples):
    """Hypothesis settings: ``examples`` cases (``JIFEN_FUZZ_EXAMPLES`` for a deeper run),
    the same every run, no shrinking (a failure is reported as drawn, with the others)."""
    examples = int(os.environ.get("JIFEN_FUZZ_EXAMPLES") or examples)
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))

# Numbers no amount, count or id may ever be: each is refused, never stored.
POISON = ("1e309", "-1e309", "NaN", "nan", "-NaN", "Infinity", "-Infinity", "inf", "1e-400",
          str(2**31), str(2**63), str(2**64), str(10**30), "-1", "-2147483649", "-0.5", "0x10")
# Odd spellings of a plain number: Python's Decimal and int read them as that number
# (full-width digits are what a Chinese input method types), so they may be accepted.
ODD_NUMBERS = ("1_000", "1e3", "１２３", "١٢٣", " 7 ", "+5")
# Text no field expects: control characters, direction overrides, markup, SQL, format
# strings, impossible dates, JSON words.
ODD_TEXT = ("", " ", "\x00", "a\x00b", "\t\r\n", "💩🀄", "\u202e\u0627\u0644", "𝟙𝟚𝟛",
            "<script>alert(1)</script>", "' OR 1=1 --", "%s%n{0}{}", "../../etc/passwd",
            "2026-13-45", "0000-00-00", "9999-12-31T23:59:60", "true", "[]", "{}", "null")
HUGE_TEXT = "长" * 20_000  # beyond every Length(max); 60 kB in UTF-8
HOSTILE_STRINGS = st.one_of(
    st.sampled_from(POISON + ODD_NUMBERS + ODD_TEXT + (HUGE_TEXT,)),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=40),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
)
# Names that carry a number (amounts, counts, ids): where a poisoned value must never be
# accepted along with a change to the ledger.
NUMERIC_NAME = re.compile(r"(_id|_ids|^id|points|hours|amount|stock|capacity|cap|budget|rating|"
                          r"needed|days|personal|home|public|revision|quantity|present)$")

# Preferred signed-in role for a route that several may use: the most powerful first.
PREFERENCE = (roles.ADMIN, roles.STAFF, roles.RESIDENT, roles.MERCHANT_OWNER, roles.MERCHANT_CLERK,
              roles.GRID_WORKER, roles.DISTRICT_ADMIN)
CJK = re.compile(r"[\u4e00-\u9fff]")

# Path variables → the table whose first row they name (ids of the seeded world).
ID_TABLES = {
    "activity_id": "activities", "event_id": "activities", "claim_id": "claims",
    "credit_id": "credits", "voucher_id": "vouchers", "request_id": "service_requests",
    "task_id": "tasks", "settlement_id": "settlements", "merchant_id": "merchants",
    "grid_id": "grids", "type_id": "activity_types", "score_id": "inspection_scores",
    "notification_id": "notifications", "coupon_id": "coupons", "rule_id": "coupon_rules",
    "grant_id": "proxy_grants", "device_id": "api_tokens",
}


@pytest.fixture(scope="module", params=BACKENDS)
def site(request, tmp_path_factory):
    """An app on a fresh database of the backend, seeded once with every role and a little
    of everything (tests/contract/conftest.py's world), inside its app context."""
    from points import create_app
    from points.config import TestConfig
    from points.extensions import db
    from tests.contract.conftest import seed_world

    where = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    databases = contextlib.ExitStack()
    if request.param == "sqlite":
        shutil.copy(request.getfixturevalue("sqlite_template"), where / "fuzz.db")
        url = f"sqlite:///{where / 'fuzz.db'}"
    else:  # its own: the other tests this process runs meanwhile empty the shared one
        url = databases.enter_context(private_pg_database())
    app = create_app(TestConfig(url, where / "instance"))
    with app.app_context():
        world = seed_world(db.session, app.config["INSTANCE_PATH"])
        ids = {name: first_id(db.session, table) for name, table in ID_TABLES.items()}
        ids.update(user_id=world.neighbour.id, resident_id=world.neighbour.id,
                   store_offer_id=world.store_offer.id, shop_offer_id=world.shop_offer.id)
        # Plain values only: requests run in app contexts of their own (no context is
        # held open: Flask-Login keeps the signed-in user on it), the rows stay here.
        users = {role: SimpleNamespace(id=user.id, phone=user.phone) for role, user in world.users.items()}
        site = SimpleNamespace(app=app, backend=request.param, ids=ids, users=users,
                               tokens=world.tokens, period=world.settlement.period)
        db.session.remove()
    engine = create_engine(url)
    site.ledger = engine
    yield site
    engine.dispose()
    with app.app_context():
        db.engine.dispose()
    databases.close()


def first_id(session, table):
    found = session.execute(text(f"SELECT min(id) FROM {table}")).scalar()  # noqa: S608 (our names)
    session.rollback()
    return found or 1


def fingerprint(site):
    """Counts of transfers, entries, holds and vouchers, and the sums of balances and
    holds: any movement of points changes it."""
    with site.ledger.connect() as connection:
        return tuple(connection.execute(text(
        "SELECT (SELECT count(*) FROM ledger_transfers), (SELECT count(*) FROM ledger_entries),"
        " (SELECT count(*) FROM ledger_holds), (SELECT count(*) FROM vouchers),"
        " (SELECT coalesce(sum(balance), 0) FROM ledger_accounts),"
        " (SELECT coalesce(sum(held), 0) FROM ledger_accounts)")).one())


def allowed_roles(view, method="POST"):
    """The roles ``require_role``/``token_required`` let through to ``view`` (read from the
    decorator's closure), or None when any signed-in user may."""
    if hasattr(view, "view_class"):
        view = getattr(view.view_class, method.lower())
    while view is not None:
        code = getattr(view, "__code__", None)
        for name in ("allowed", "allowed_roles"):
            if code is not None and name in code.co_freevars:
                found = view.__closure__[code.co_freevars.index(name)].cell_contents
                return set(found) or None
        view = getattr(view, "__wrapped__", None)
    return None


def role_for(view, method="POST"):
    allowed = allowed_roles(view, method)
    return next(role for role in PREFERENCE if allowed is None or role in allowed)


def path_values(rule, site, override=None):
    """Values for ``rule``'s variables naming the seeded rows (or ``override`` for every
    integer one)."""
    values = {}
    for name, converter in rule._converters.items():
        if hasattr(converter, "items"):  # any(a, b): the first
            values[name] = sorted(converter.items)[0]
        elif isinstance(converter, IntegerConverter):
            values[name] = override if override is not None else site.ids.get(name, 1)
        else:
            values[name] = {"period": site.period, "month": site.period, "state": "on", "code": "en",
                            "token": "x"}.get(name, "x")
    if "offer_id" in values and override is None:
        values["offer_id"] = site.ids["store_offer_id" if rule.rule.startswith("/staff/")
                                      else "shop_offer_id"]
    return values


def is_poisoned(fields):
    """True when a numeric-named field carries a value no number may be."""
    def bad(value):
        if isinstance(value, (list, tuple)):  # a form field reads its first value
            return bool(value) and bad(value[0])
        if isinstance(value, bool) or value is None:
            return False
        if isinstance(value, (int, float)):
            return not (0 <= value < 2**31) or value != value
        return isinstance(value, str) and (value.strip() in POISON or value.startswith("-"))
    return any(NUMERIC_NAME.search(name) and bad(value) for name, value in fields.items())


def check_refusal_text(response):
    """A refusal says what went wrong in words, translated (Chinese by default); never a
    stack trace."""
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and "Internal Server Error" not in body
    if response.is_json:
        error = response.get_json()["error"]
        assert error["code"] and CJK.search(error["message"]), error
    else:
        assert CJK.search(body), body[:300]


def used(response):
    """Read and close the response (a streamed body holds its connection until then)."""
    response.get_data()
    response.close()
    return response
