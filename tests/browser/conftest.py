"""Browser tests: the app on a live server, driven by Debian's Chromium through Playwright.

Each pytest process (each xdist worker) starts its own server on a free port of 127.0.0.1,
with its own SQLite file and CSRF switched on, as in production. Playwright never
downloads a browser: ``/usr/bin/chromium`` is used, and when it is missing the tests are
skipped (or fail, when ``JIFEN_REQUIRE_BROWSER=1``).
"""
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from werkzeug.serving import WSGIRequestHandler, make_server

import ledger
from ledger.models import Base

CHROMIUM = Path(os.environ.get("JIFEN_CHROMIUM", "/usr/bin/chromium"))
REQUIRE_BROWSER = os.environ.get("JIFEN_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE_VIEWPORT = {"width": 390, "height": 844}
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


@pytest.fixture(scope="session")
def chromium_path():
    if not (CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK)):
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if REQUIRE_BROWSER:
            pytest.fail(f"{message}; JIFEN_REQUIRE_BROWSER=1")
        pytest.skip(message)
    return str(CHROMIUM)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, chromium_path):
    """pytest-playwright's launch arguments, pointed at the system Chromium."""
    return {**browser_type_launch_args, "executable_path": chromium_path, "headless": True,
            "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url(live_server):
    """The live server; replaces pytest-playwright's own ``base_url``, whose fallback
    fixture (an instance method) raises PytestRemovedIn10Warning under pytest 9."""
    return live_server.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": PHONE_VIEWPORT, "device_scale_factor": 1,
            "locale": "zh-CN", "timezone_id": "Asia/Shanghai", "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="session")
def artifacts_dir():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


class QuietHandler(WSGIRequestHandler):
    def log_request(self, code="-", size="-"):  # one line per request buries real failures
        pass


@dataclass
class LiveServer:
    url: str
    app: object
    users: dict = field(default_factory=dict)  # role → User (detached; phone and name)


def _seed(session):
    """A small community with one person of each role, and real-looking numbers."""
    from points import wallets
    from points.extensions import unit_of_work
    from tests import factories

    community = factories.make_community(session, name="北新社区", code="beixin")
    grid = factories.make_grid(session, community, name="红星网格")
    household = factories.make_household(session, community, grid, address="3栋2单元401")
    merchant = factories.make_merchant(session, community, name="张记面馆")
    for address in ("3栋2单元402", "5栋1单元101"):
        factories.make_resident(session, community,
                                household=factories.make_household(session, community, grid, address))
    users = {
        "resident": factories.make_resident(session, community, household=household, name="王秀英",
                                            points="1280"),
        "merchant_clerk": factories.make_user(session, community, "merchant_clerk", name="李小红",
                                              merchant=merchant),
        "merchant_owner": factories.make_user(session, community, "merchant_owner", name="张建国",
                                              merchant=merchant),
        "grid_worker": factories.make_user(session, community, "grid_worker", name="刘网格",
                                           grids=[grid]),
        "admin": factories.make_user(session, community, "admin", name="陈主任"),
    }
    resident = users["resident"]
    with unit_of_work(session):
        ledger.hold(session, account=wallets.wallet_id(session, resident),
                    destination=wallets.merchant_account_id(session, merchant),
                    amount=ledger.to_points("50"), key="browser-seed-hold")
    for user in users.values():
        session.refresh(user)
        session.expunge(user)
    return users


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, chromium_path):
    """The app with CSRF on, serving a seeded SQLite file on 127.0.0.1:<free port>."""
    from points import create_app
    from points.config import TestConfig
    from points.extensions import db

    class BrowserConfig(TestConfig):
        # The rate limiter stays on: switching it off sticks to the shared Limiter object
        # and would disable it for every later app in this process.
        WTF_CSRF_ENABLED = True

    directory = tmp_path_factory.mktemp("live")
    url = f"sqlite:///{directory / 'browser.db'}"
    engine = ledger.install(create_engine(url))
    Base.metadata.create_all(engine)
    engine.dispose()
    app = create_app(BrowserConfig(url, directory / "instance"))
    with app.app_context():
        users = _seed(db.session)
        db.session.remove()
    server = make_server("127.0.0.1", 0, buffered(app), threaded=True,
                         request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app, users=users)
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def fresh_rate_limits(live_server):
    """Every journey signs in from 127.0.0.1; the sign-in limit (20 a minute per address)
    is real and stays on, but one journey's sign-ins must not count against the next's."""
    from points.extensions import limiter

    limiter.reset()
    yield


def buffered(wsgi_app):
    """The app with each response read whole and closed before it is sent. A browser
    that navigates away while werkzeug's test server is still sending a static file
    would otherwise leave the file to the garbage collector, which reports it as an
    unclosed file in whatever test runs next (gunicorn closes it; this server does not)."""

    def app(environ, start_response):
        result = wsgi_app(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        return [body]

    return app
