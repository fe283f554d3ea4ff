"""The Content-Security-Policy in a real browser: the main pages of every role, the clerk's
scan page (with its zxing-wasm decoder compiled and run) and a resident's voucher page
load without a single CSP violation, reported either on the console or as a
``securitypolicyviolation`` event."""
import pytest
from playwright.sync_api import expect

from tests.browser.test_journeys import HOME, check_layout, shoot, sign_in

pytestmark = pytest.mark.browser

# Playwright's init scripts run outside the page's CSP: this one records every violation.
LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__csp.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""

# The scan page's decoder, compiled from the vendored .wasm and run on a blank frame:
# without 'wasm-unsafe-eval' the compile is refused and this throws.
DECODE_BLANK = """
async () => {
  const wasm = document.querySelector("form[data-scanner]").dataset.wasm;
  if (!window.__zxingPrepared) {
    window.ZXingWASM.prepareZXingModule({
      overrides: { locateFile: (path, prefix) => (path.endsWith(".wasm") ? wasm : prefix + path) },
      fireImmediately: true,
    });
    window.__zxingPrepared = true;
  }
  const found = await window.ZXingWASM.readBarcodes(new ImageData(32, 32), { formats: ["QRCode"] });
  return found.length;
}
"""


class Watch:
    """A fresh phone (browser context) that collects CSP complaints of every page."""

    def __init__(self, browser, browser_context_args):
        self.context = browser.new_context(**browser_context_args)
        self.context.add_init_script(LISTEN)
        self.page = self.context.new_page()
        self.console = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))

    def _console(self, message):
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(message.text)

    def open(self, url):
        response = self.page.goto(url)
        self.page.wait_for_load_state("load")
        assert response.status == 200, url
        assert "script-src 'self'" in response.headers["content-security-policy"]
        return response

    def violations(self):
        return self.console + self.page.evaluate("window.__csp")


@pytest.fixture
def watch(browser, browser_context_args):
    opened = []

    def make():
        opened.append(Watch(browser, browser_context_args))
        return opened[-1]

    yield make
    for each in opened:
        each.context.close()


def voucher_of_a_new_resident(live_server):
    """A resident of the live server's community with a held voucher at 张记面馆."""
    from merchants.models import Merchant
    from points.communities.models import Community
    from points.extensions import db
    from tests import factories

    with live_server.app.app_context():
        session = db.session
        community = session.get(Community, live_server.users["admin"].community_id)
        shop = session.query(Merchant).filter_by(community_id=community.id, name="张记面馆").one()
        resident = factories.make_resident(session, community, name="郑淑芬", points="200")
        voucher = factories.make_held_voucher(session, resident, shop, points="40")
        session.refresh(resident)
        session.expunge(resident)
        voucher_id = voucher.id
        db.session.remove()
    return resident, voucher_id


def test_an_inline_handler_is_refused_and_the_watch_sees_it(watch, live_server):
    phone = watch()
    phone.open(f"{live_server.url}/sign-in")

    phone.page.evaluate("""() => document.body.insertAdjacentHTML(
        "beforeend", '<img src="/static/none.png" onerror="window.__ran = true">')""")
    phone.page.wait_for_timeout(300)

    assert phone.page.evaluate("window.__ran === undefined")
    assert any("script-src" in v for v in phone.violations())


def test_every_roles_home_loads_without_a_csp_violation(watch, live_server):
    anonymous = watch()
    anonymous.open(f"{live_server.url}/sign-in")
    assert anonymous.violations() == []

    for role, home in HOME.items():
        phone = watch()
        sign_in(phone.page, live_server, live_server.users[role])
        expect(phone.page).to_have_url(f"{live_server.url}{home}")
        phone.open(f"{live_server.url}{home}")
        check_layout(phone.page)
        assert phone.violations() == [], role


def test_the_scan_page_runs_its_wasm_decoder_under_the_policy(watch, live_server, artifacts_dir):
    clerk = watch()
    sign_in(clerk.page, live_server, live_server.users["merchant_clerk"])
    clerk.open(f"{live_server.url}/merchant/scan")
    clerk.page.wait_for_function("() => window.ZXingWASM")

    assert clerk.page.evaluate(DECODE_BLANK) == 0
    # No camera here: the page says so in words and offers the typed code.
    expect(clerk.page.locator("[data-test=code-input]")).to_be_visible()
    shoot(clerk.page, artifacts_dir, "csp-scan")
    assert clerk.violations() == []


def test_the_voucher_page_and_its_status_polling_stay_within_the_policy(
        watch, live_server, artifacts_dir):
    resident, voucher_id = voucher_of_a_new_resident(live_server)
    phone = watch()
    sign_in(phone.page, live_server, resident)

    phone.open(f"{live_server.url}/vouchers/{voucher_id}")
    expect(phone.page.locator("[data-test=qr]")).to_be_visible()
    phone.page.wait_for_function("() => document.querySelector('[data-test=qr]').naturalWidth > 0")
    check_layout(phone.page)
    shoot(phone.page, artifacts_dir, "csp-voucher")
    phone.page.wait_for_timeout(2500)  # voucher.js polls the status: a fetch under connect-src
    assert phone.violations() == []


def test_the_api_docs_page_renders_under_its_own_policy(watch, live_server):
    docs = watch()
    docs.open(f"{live_server.url}/api/v1/docs")

    expect(docs.page.get_by_text("积分超市 API").first).to_be_visible(timeout=15000)
    docs.page.wait_for_timeout(500)
    # ReDoc's "powered by" badge is an image on its CDN: blocked on purpose (no page of
    # this service loads anything from elsewhere); nothing else may be refused.
    refused = [v for v in docs.violations() if "cdn.redoc.ly" not in v]
    assert refused == []
