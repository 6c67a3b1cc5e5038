"""The ward's check of a help-now line in Chromium: edit a number with a preview, save, verify,
read the history; axe-core on the list, the edit page (with its preview) and the history."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD, sign_in
from tests.browser.test_accessibility import BLOCKING, describe, keep_report, run_axe

pytestmark = pytest.mark.browser

OLD, NEW = "03-3264-4343", "03-3264-0000"


def axe_clean(page, name: str) -> None:
    results = run_axe(page)
    keep_report(f"admin-{name}-1280", page.url, results)
    blocking = [v for v in results["violations"] if v["impact"] in BLOCKING]
    assert not blocking, f"{page.url}:\n{describe(blocking)}"


@pytest.fixture
def admin_page(browser):
    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900}, bypass_csp=True)  # axe
    yield context.new_page()
    context.close()


def test_admin_edits_previews_saves_and_verifies_a_line(admin_page, live_server, screenshot):
    page = admin_page
    sign_in(page, live_server, "demo-admin", DEMO_PASSWORD)
    expect(page.get_by_role("link", name="相談先の確認へ")).to_be_visible()  # the warning on admin pages
    page.get_by_role("link", name="相談先の確認へ").click()
    row = page.get_by_role("row").filter(has_text="東京いのちの電話")
    expect(row.get_by_text("未確認")).to_be_visible()
    axe_clean(page, "help-contacts-journey")

    row.get_by_role("link", name="編集・確認").click()
    page.get_by_label("電話番号（電話の窓口。半角数字とハイフン）").fill(NEW)
    page.get_by_role("button", name="プレビュー").click()
    preview = page.get_by_role("region", name="プレビュー（まだ保存していません）")
    expect(preview.get_by_role("link", name=NEW)).to_be_visible()
    expect(preview.get_by_text("受付中")).to_be_visible()
    axe_clean(page, "help-contact-preview")
    screenshot(page, "contacts-preview")

    page.get_by_role("button", name="保存する").click()
    expect(page.get_by_text("変更を保存しました。")).to_be_visible()
    page.get_by_label("メモ（任意。例：電話番号と受付時間を確認）").fill("番号と受付時間を確認")
    page.get_by_role("button", name="確認しました").click()
    expect(page.get_by_text("「東京いのちの電話」を確認済みにしました。")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="東京いのちの電話")
    expect(row.get_by_text("確認済み")).to_be_visible()

    row.get_by_role("link", name="履歴").click()
    expect(page.get_by_text(f"{OLD} → {NEW}")).to_be_visible()
    expect(page.get_by_text("確認しました：")).to_be_visible()
    axe_clean(page, "help-contact-history")
    screenshot(page, "contacts-history")

    page.goto(f"{live_server}/help")
    card = page.locator("#main").get_by_role("listitem").filter(has_text="東京いのちの電話")
    expect(card.get_by_role("link", name=NEW)).to_be_visible()
    expect(card.get_by_text("区が確認：")).to_be_visible()

    # Put the shipped number back so the other browser tests see the file's line.
    page.goto(f"{live_server}/admin/contacts/tokyo-inochi")
    page.get_by_label("電話番号（電話の窓口。半角数字とハイフン）").fill(OLD)
    page.get_by_role("button", name="保存する").click()
    expect(page.get_by_text("変更を保存しました。")).to_be_visible()
