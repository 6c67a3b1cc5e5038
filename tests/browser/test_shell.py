"""Each demo role signs in in Chromium and sees its navigation; screenshots are kept."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

#: login id -> nav labels that must show, and labels that must not
EXPECTED_NAV = {
    "demo-admin": (["ホーム", "利用者管理", "監査ログ", "相談先の確認", "パスワード変更"], []),
    "demo-personnel": (["ホーム", "年次報告", "パスワード変更"], ["利用者管理"]),
    "demo-instructor": (["ホーム", "集合研修", "受講者の検索", "パスワード変更"], ["利用者管理"]),
    "demo-resident": (["ホーム", "パスワード変更"], ["利用者管理", "監査ログ"]),
    "demo-teacher": (["ホーム", "パスワード変更"], ["利用者管理"]),
    "demo-counter": (["ホーム", "パスワード変更"], ["利用者管理"]),
    "demo-counselor": (["ホーム", "パスワード変更"], ["利用者管理"]),
    "demo-student": (["ホーム", "パスワード変更"], ["利用者管理"]),
}


@pytest.mark.parametrize("login_id", sorted(EXPECTED_NAV))
def test_demo_role_signs_in_and_sees_its_navigation(page, live_server, screenshot, login_id):
    sign_in(page, live_server, login_id)
    assert page.url == f"{live_server}/"
    nav = page.get_by_role("navigation", name="メインメニュー")
    shown, hidden = EXPECTED_NAV[login_id]
    for label in shown:
        expect(nav.get_by_role("link", name=label), label).to_be_visible()
    for label in hidden:
        assert nav.get_by_role("link", name=label).count() == 0, label
    expect(page.get_by_role("link", name="いますぐ相談したい方へ")).to_be_visible()
    assert page.locator("html").get_attribute("lang") == "ja"
    screenshot(page, f"home-{login_id}")
    page.get_by_role("button", name="ログアウト").click()
    page.wait_for_load_state()
    assert page.url.endswith("/login")


def test_wrong_password_shows_generic_message(page, live_server, screenshot):
    sign_in(page, live_server, "demo-counter", "wrong-password-1")
    expect(page.get_by_text("ログインIDまたはパスワードが正しくありません。")).to_be_visible()
    screenshot(page, "login-error")


def test_skip_link_and_visible_focus(page, live_server):
    page.goto(f"{live_server}/login")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused.strip() == "本文へ移動"
    expect(page.get_by_role("link", name="本文へ移動")).to_be_visible()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_help_page_on_a_phone(phone_page, live_server, screenshot):
    phone_page.goto(f"{live_server}/help")
    expect(phone_page.get_by_role("heading", name="いますぐ相談したい方へ", level=1)).to_be_visible()
    # Nothing overflows a 375 px screen sideways.
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(phone_page, "help-phone")


def test_admin_pages_on_a_phone(phone_page, live_server, screenshot):
    sign_in(phone_page, live_server, "demo-admin")
    phone_page.goto(f"{live_server}/admin/users")
    expect(phone_page.get_by_role("heading", name="利用者管理")).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(phone_page, "admin-users-phone")


def test_admin_creates_user_in_the_browser(page, live_server, screenshot):
    sign_in(page, live_server, "demo-admin")
    page.goto(f"{live_server}/admin/users/new")
    page.get_by_label("ログインID").fill("browser-user")
    page.get_by_label("氏名").fill("ブラウザ 試験")
    page.get_by_label("受講者").check()
    page.get_by_label("受講区分").select_option("teachers")
    page.get_by_label("所属").fill("区立第二中学校")
    page.get_by_label("職員番号").fill("000777")
    page.get_by_label("初期パスワード").fill("first-password-1")
    screenshot(page, "admin-new-user")
    page.get_by_role("button", name="作成する").click()
    page.wait_for_load_state()
    expect(page.get_by_text("利用者「ブラウザ 試験」を作成しました")).to_be_visible()


def test_personnel_dashboard_and_export_page(page, live_server, screenshot):
    sign_in(page, live_server, "demo-personnel")
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="養成状況").click()
    expect(page.get_by_role("heading", name="ゲートキーパー養成状況")).to_be_visible()
    expect(page.locator("#monthly-chart")).to_be_visible()
    expect(page.locator("#cumulative-chart")).to_be_visible()
    # Issue 17: the bars are scaled to the busiest month (the demo's few people are visible bars).
    heights = [float(h) for h in page.locator("#monthly-chart rect.chart__bar").evaluate_all(
        "bars => bars.map(b => b.getBoundingClientRect().height)")]
    assert max(heights) > 50, heights
    screenshot(page, "personnel-dashboard")
    page.get_by_role("link", name="この年度の修了記録を出力する").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="出力する").click()
    from pathlib import Path

    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and "光が丘 健" in data.decode("utf-8-sig")
    # The API help is a page of the app, linked from the tokens page.
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="API連携").click()
    page.get_by_role("link", name="API の使い方").click()
    expect(page.get_by_role("heading", name="ページ分けと上限")).to_be_visible()
    screenshot(page, "personnel-api-help")
