"""Schemathesis against the live app, with every check on, once for each role's token and
once without one: no 5xx, every status documented, every body matching its schema.

Bounded so it stays a unit test: a few derandomized examples per operation, valid and
invalid, no shrinking, no coverage or stateful phase. One test per database and caller
walks every operation the document lists (whatever is registered when it runs) and
reports every operation that broke its contract, not just the first.
"""
import traceback

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err

from tests.contract.conftest import auth_headers, issue_token

EXAMPLES = 6
SIGN_OUT = ("DELETE", "/api/v1/auth/token")
BOUNDED = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                   phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))


def often_seeded(path_parameters, largest):
    """Ids on a fresh database are small: fold drawn ids onto 0..largest+1 so they often
    name a seeded row and sometimes none. Huge, negative and non-integer ids stay."""
    return {name: value % (largest + 2) if isinstance(value, int) and 0 <= value < 10**9 else value
            for name, value in (path_parameters or {}).items()}


# Input rules the OpenAPI document cannot state: a rule across fields ("send either
# offer_id, or merchant_id and points") and an opaque cursor (any string is a string, only
# ours decode).
UNDOCUMENTABLE = {"_schema", "cursor"}


def field_rules_are_documented(ctx, response, case):
    """A request drawn as valid from the document is never refused as ``invalid_input`` on
    a named field: every per-field rule the API enforces must be in its schema."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code != 422:
        return None
    error = (response.json() or {}).get("error", {})
    if error.get("code") != "invalid_input":
        return None
    # {"json": {field: [...]}, "query": ...} from webargs, or {field: [...]} from a form.
    named = set()
    for key, value in (error.get("fields") or {}).items():
        named |= set(value) if isinstance(value, dict) else {key}
    assert named <= UNDOCUMENTABLE, f"schema-valid input refused on {sorted(named - UNDOCUMENTABLE)}: {error}"
    return None


def operations(schema):
    """Every operation; one the document cannot describe fails the run (test_openapi.py
    says which)."""
    for result in schema.get_all_operations():
        assert not isinstance(result, Err), result.err()
        yield result.ok()


def check_operation(operation, send):
    strategy = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                         operation.as_strategy(GenerationMode.NEGATIVE))

    @BOUNDED
    @given(case=strategy)
    def run(case):
        send(case)

    run()


def test_every_operation_keeps_its_contract(api_schema, world, caller, db):
    def send(case):
        if case.path_parameters:
            case.path_parameters = often_seeded(case.path_parameters, largest=12)
        headers = auth_headers(world, caller)
        if headers and (case.method, case.path) == SIGN_OUT:
            # Signing out revokes the token it is sent with: spend a fresh one, keep the role's.
            headers = {"Authorization": f"Bearer {issue_token(db.session, world.user_ids[caller])}"}
        # Schemathesis's WSGI transport asks for gzip but does not unpack it (real clients
        # do; tests/points/test_serving.py checks the gzip answers): ask for plain bodies.
        headers = {**(headers or {}), "Accept-Encoding": "identity"}
        try:
            case.call_and_validate(headers=headers, additional_checks=[field_rules_are_documented])
        finally:
            # As in production, where every request has a session of its own: the test
            # shares one app context, and a failed request must not poison the next.
            db.session.remove()

    broken = []
    for operation in operations(api_schema):
        try:
            check_operation(operation, send)
        except FailureGroup as failures:  # a check failed: schemathesis says which and how
            broken.append(f"{operation.label} as {caller}:\n{failures}")
        except Exception:  # noqa: BLE001  (the app raised: a 500 in production)
            broken.append(f"{operation.label} as {caller} raised:\n{traceback.format_exc(limit=-6)}")
    assert not broken, "\n\n".join(broken)
