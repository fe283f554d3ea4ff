"""``GET /healthz``: the service answers, and says whether its database does."""
from points import config as app_config
from points import create_app

CLOSED_PORT_URL = "postgresql+psycopg://postgres@127.0.0.1:1/nothing"


def test_healthz_reports_ok_with_the_database(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_the_database_does_not_answer(tmp_path):
    settings = app_config.TestConfig(CLOSED_PORT_URL, tmp_path / "instance")
    settings.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True,
                                          "connect_args": {"connect_timeout": 2}}
    app = create_app(settings)

    response = app.test_client().get("/healthz")

    assert response.status_code == 503
    body = response.get_json()
    assert body["database"] == "down" and body["status"] != "ok"
    assert "Traceback" not in response.get_data(as_text=True)


def test_healthz_needs_no_sign_in_and_no_cookie(client):
    response = client.get("/healthz")

    assert response.status_code == 200 and "Set-Cookie" not in response.headers
