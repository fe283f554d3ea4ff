"""注销并匿名化 on a 390px phone: an office worker opens a resident who moved away, reads
what will happen on the confirmation page, gives the reason and confirms; the resident's
page then shows the placeholder name. The confirmation page is measured and photographed."""
import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.test_journeys import check_layout, shoot, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def leaving(live_server):
    """A community of its own, its office worker and a resident with points who leaves."""
    from points.extensions import db

    with live_server.app.app_context():
        session = db.session
        community = factories.make_community(session, name="西岭社区")
        staff = factories.make_user(session, community, "staff", name="郑干事")
        resident = factories.make_resident(session, community, name="孙桂芳", points="80")
        resident_id = resident.id
        session.refresh(staff)
        session.expunge(staff)
        db.session.remove()
    return staff, resident_id


def test_staff_anonymise_a_resident_through_the_confirmation_page(page, live_server, artifacts_dir,
                                                                  leaving):
    staff, resident_id = leaving
    sign_in(page, live_server, staff)
    page.goto(f"{live_server.url}/staff/residents/{resident_id}")
    page.locator("[data-test=anonymise-link]").click()

    expect(page.locator("[data-test=anonymise-confirm] [data-test=name]")).to_have_text("孙桂芳")
    expect(page.locator("[data-test=anonymise-confirm]")).to_contain_text("按社区规定到期作废")
    page.get_by_label("注销原因（如：已搬离本社区）").fill("已搬离本社区")
    check_layout(page)
    shoot(page, artifacts_dir, "privacy")

    page.locator("[data-test=anonymise-submit]").click()
    expect(page.locator("[data-test=name]")).to_have_text(f"已注销居民 #{resident_id}")
    expect(page.locator("[data-test=anonymise-link]")).to_have_count(0)
