"""One journey per role on a 390px phone: sign in, land home, English and back, 关怀模式.

Every page on the way is measured in the browser: nothing wider than the screen, text at
least 18px (22px in 关怀模式) with line height 1.5, every text colour at least 4.5:1
against its background, every tap target at least 44px (60px in 关怀模式). A full-page
screenshot of each step goes to tests/artifacts/; with ``JIFEN_DOCS_SCREENSHOTS=1`` the
resident's home and the sign-in page are also written to docs/ for the README.
"""
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

DOCS = Path(__file__).resolve().parents[2] / "docs"
WRITE_DOCS = os.environ.get("JIFEN_DOCS_SCREENSHOTS") == "1"

HOME = {
    "resident": "/home",
    "merchant_clerk": "/merchant",
    "merchant_owner": "/merchant",
    "grid_worker": "/staff",
    "admin": "/staff",
}

# Measures the page; returns lists of problems (empty lists: all good).
MEASURE = """
([minFont, minTarget]) => {
  const parse = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const c = parse(getComputedStyle(node).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const visible = (el) => {
    const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.display !== "none";
  };
  const label = (el) => el.tagName.toLowerCase() + (el.className ? "." + el.className : "")
    + " “" + (el.innerText || el.value || "").trim().slice(0, 20) + "”";
  const text = [], contrast = [], targets = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (!visible(el)) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (own) {
      const s = getComputedStyle(el), size = parseFloat(s.fontSize);
      const lineHeight = s.lineHeight === "normal" ? 1.2 * size : parseFloat(s.lineHeight);
      if (size < minFont - 0.01) text.push(label(el) + " font " + size + "px");
      if (lineHeight / size < 1.2 - 0.01) text.push(label(el) + " line-height " + (lineHeight / size).toFixed(2));
      const fg = lum(parse(s.color).slice(0, 3)), bg = lum(background(el));
      const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
      if (ratio < 4.5) contrast.push(label(el) + " " + ratio.toFixed(2) + ":1");
    }
    if (el.matches("a[href], button, input:not([type=hidden]), select, textarea")) {
      const r = el.getBoundingClientRect();
      if (r.height < minTarget - 0.5 || r.width < minTarget - 0.5)
        targets.push(label(el) + " " + Math.round(r.width) + "x" + Math.round(r.height));
    }
  }
  const body = getComputedStyle(document.body);
  return {
    scrollWidth: document.documentElement.scrollWidth,
    bodyFont: parseFloat(body.fontSize),
    bodyLineHeight: parseFloat(body.lineHeight) / parseFloat(body.fontSize),
    text, contrast, targets,
    // Playwright's full-page screenshot leaves empty style="" behind; count real ones.
    inlineStyles: [...document.querySelectorAll("[style]")]
      .filter((el) => el.getAttribute("style").trim()).length,
    inlineScripts: [...document.scripts].filter((s) => !s.src).length,
  };
}
"""


def check_layout(page, *, elder=False):
    min_font, min_target = (22, 60) if elder else (18, 44)
    page.wait_for_load_state("load")  # the stylesheet, not just the DOM the expect() saw
    found = page.evaluate(MEASURE, [min_font, min_target])
    assert found["scrollWidth"] <= 390, f"page is {found['scrollWidth']}px wide on a 390px screen"
    assert found["bodyFont"] >= min_font
    assert found["bodyLineHeight"] >= 1.5 - 0.01
    assert found["text"] == []
    assert found["contrast"] == []
    assert found["targets"] == []
    assert found["inlineStyles"] == 0 and found["inlineScripts"] == 0
    return found


def shoot(page, artifacts_dir, name, docs_name=None):
    path = artifacts_dir / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if docs_name and WRITE_DOCS:
        DOCS.mkdir(exist_ok=True)
        page.screenshot(path=str(DOCS / docs_name), full_page=True)
    return path


def sign_in(page, live_server, user):
    page.goto(f"{live_server.url}/sign-in")
    page.get_by_label("手机号").fill(user.phone)
    page.get_by_label("密码").fill(PASSWORD)
    page.locator("[data-test=submit]").click()


def test_sign_in_page_on_a_phone(page, live_server, artifacts_dir):
    page.goto(f"{live_server.url}/sign-in")

    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", name="欢迎来到积分超市")).to_be_visible()
    expect(page.locator("[data-test=language]")).to_be_visible()
    expect(page.locator("[data-test=elder]")).to_be_visible()
    check_layout(page)
    shoot(page, artifacts_dir, "signin-zh", docs_name="screenshot-signin.png")

    page.locator("[data-test=elder]").click()
    expect(page.locator("html")).to_have_class("elder")
    check_layout(page, elder=True)
    shoot(page, artifacts_dir, "signin-elder")
    page.locator("[data-test=elder]").click()
    expect(page.locator("html")).not_to_have_class("elder")


def test_wrong_password_is_said_in_words(page, live_server):
    page.goto(f"{live_server.url}/sign-in")
    page.get_by_label("手机号").fill(live_server.users["resident"].phone)
    page.get_by_label("密码").fill("wrong-password")
    page.locator("[data-test=submit]").click()

    expect(page.get_by_role("alert")).to_have_text("手机号或密码不正确")
    check_layout(page)


@pytest.mark.parametrize("role", list(HOME))
def test_journey(page, live_server, artifacts_dir, role):
    user = live_server.users[role]

    sign_in(page, live_server, user)

    expect(page).to_have_url(f"{live_server.url}{HOME[role]}")
    expect(page.locator("[data-test=who]")).to_contain_text(user.name)
    expect(page.locator("[data-test=nav] [aria-current=page]")).to_be_visible()
    check_layout(page)
    shoot(page, artifacts_dir, f"{role}-zh",
          docs_name="screenshot-resident.png" if role == "resident" else None)

    page.locator("[data-test=language]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(f"{live_server.url}{HOME[role]}")
    expect(page.locator("[data-test=sign-out]")).to_have_text("Sign out")
    check_layout(page)
    shoot(page, artifacts_dir, f"{role}-en")

    page.locator("[data-test=language]").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("[data-test=sign-out]")).to_have_text("退出登录")

    page.locator("[data-test=elder]").click()
    expect(page.locator("html")).to_have_class("elder")
    check_layout(page, elder=True)
    shoot(page, artifacts_dir, f"{role}-elder")
    page.locator("[data-test=elder]").click()
    expect(page.locator("html")).not_to_have_class("elder")

    page.locator("[data-test=sign-out]").click()
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    expect(page.get_by_role("status")).to_have_text("您已退出登录")


def test_resident_home_shows_balance_held_and_household(page, live_server):
    sign_in(page, live_server, live_server.users["resident"])

    expect(page.locator("[data-test=balance]")).to_have_text("1230")
    expect(page.locator("[data-test=held]")).to_contain_text("50")
    expect(page.locator("[data-test=household]")).to_contain_text("3栋2单元401")


def test_password_and_error_pages_fit_the_phone(page, live_server, artifacts_dir):
    sign_in(page, live_server, live_server.users["merchant_clerk"])

    page.locator("[data-test=change-password]").click()
    page.locator("[data-test=submit]").click()  # empty form: errors spelled out
    expect(page.locator(".field-error").first).to_be_visible()
    check_layout(page)
    shoot(page, artifacts_dir, "change-password-errors")

    page.goto(f"{live_server.url}/no-such-page")
    expect(page.get_by_role("heading", name="找不到这个页面或记录")).to_be_visible()
    check_layout(page)
    shoot(page, artifacts_dir, "error-404")
