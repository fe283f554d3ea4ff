"""``examples/redeem_voucher.py`` against the demo community on a real HTTP server."""
import runpy
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from werkzeug.serving import make_server

import ledger
from ledger.models import Base
from ledger.verify import verify

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "redeem_voucher.py"


@pytest.fixture
def demo_server(tmp_path):
    from points import create_app
    from points.config import TestConfig
    from points.demo import create_demo
    from points.extensions import db
    from points.timeutil import utcnow

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    engine = ledger.install(create_engine(url))
    Base.metadata.create_all(engine)
    engine.dispose()
    app = create_app(TestConfig(url, tmp_path / "instance"))
    with app.app_context():
        create_demo(db.session, now=utcnow(), upload_dir=tmp_path / "uploads")
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    with app.app_context():
        db.engine.dispose()


def test_the_example_signs_in_makes_a_voucher_and_redeems_it(demo_server, capsys):
    from points.extensions import db

    app, url = demo_server
    example = runpy.run_path(str(EXAMPLE))
    assert example["main"](["--base-url", url, "--points", "30"]) == 0
    out = capsys.readouterr().out
    assert "spent 30" in out and "(409)" in out
    with app.app_context():
        assert verify(db.session) == []


def test_the_example_stops_with_the_servers_answer_on_a_wrong_password(demo_server):
    _, url = demo_server
    example = runpy.run_path(str(EXAMPLE))
    with pytest.raises(SystemExit, match="expected 201, got 401"):
        example["main"](["--base-url", url, "--password", "wrong-password"])
