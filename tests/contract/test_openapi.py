"""The OpenAPI document at /api/v1/openapi.json is valid OpenAPI 3 and lists the paths
DESIGN.md promises."""
import pytest
import schemathesis
from openapi_spec_validator import validate
from schemathesis.core.result import Err

from tests.contract.conftest import CONFIG, OPENAPI_PATH

# The contract table of DESIGN.md ("The API contract"): method and path as the document spells them.
DESIGN_ROWS = [
    ("post", "/api/v1/auth/token"),
    ("get", "/api/v1/me"),
    ("get", "/api/v1/me/balance"),
    ("get", "/api/v1/me/statement"),
    ("get", "/api/v1/events"),
    ("post", "/api/v1/events/{event_id}/signups"),
    ("post", "/api/v1/claims"),
    ("get", "/api/v1/claims"),
    ("post", "/api/v1/claims/{claim_id}/approve"),
    ("post", "/api/v1/claims/{claim_id}/reject"),
    ("get", "/api/v1/catalog"),
    ("post", "/api/v1/vouchers"),
    ("post", "/api/v1/vouchers/{voucher_id}/cancel"),
    ("post", "/api/v1/merchant/redemptions"),
    ("post", "/api/v1/settlements"),
    ("get", "/api/v1/reports/summary"),
]


@pytest.fixture(scope="module")
def docs_app(tmp_path_factory):
    """The document does not depend on the database: one app on an empty SQLite file."""
    from points import create_app
    from points.config import TestConfig

    where = tmp_path_factory.mktemp("openapi")
    return create_app(TestConfig(f"sqlite:///{where / 'docs.db'}", where / "instance"))


@pytest.fixture(scope="module")
def document(docs_app):
    response = docs_app.test_client().get(OPENAPI_PATH)
    assert response.status_code == 200
    return response.get_json()


def test_document_validates_against_the_openapi_specification(document):
    validate(document)  # raises OpenAPIValidationError with the path of the first fault


def test_schemathesis_loads_the_document_without_complaint(docs_app):
    schema = schemathesis.openapi.from_wsgi(OPENAPI_PATH, docs_app, config=CONFIG)
    schema.validate()
    broken = [str(result.err()) for result in schema.get_all_operations() if isinstance(result, Err)]
    assert broken == []


def test_every_design_row_is_in_the_document(document):
    missing = [f"{method.upper()} {path}" for method, path in DESIGN_ROWS
               if method not in document["paths"].get(path, {})]
    assert missing == []


def test_every_error_is_documented_in_the_one_error_shape(document):
    error = document["components"]["responses"]["DEFAULT_ERROR"]["content"]["application/json"]["schema"]
    name = error["$ref"].rsplit("/", 1)[-1]
    shape = document["components"]["schemas"][name]
    assert shape["required"] == ["error"]
    body = document["components"]["schemas"][shape["properties"]["error"]["$ref"].rsplit("/", 1)[-1]]
    assert set(body["required"]) == {"code", "message"}


def test_bearer_operations_say_so(document):
    """Every operation but signing in (and the health check, outside /api/v1) names the
    bearer scheme, so generated clients send the token."""
    open_ = {("post", "/api/v1/auth/token")}
    missing = [f"{method.upper()} {path}" for path, item in document["paths"].items()
               for method, operation in item.items()
               if method in {"get", "post", "put", "patch", "delete"} and (method, path) not in open_
               and not operation.get("security")]
    assert missing == []
