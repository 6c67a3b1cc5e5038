"""An instructor creates a class, imports a roster with an error, fixes it and sees progress."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD, sign_in
from tests.browser.test_accessibility import BLOCKING, describe, run_axe

pytestmark = pytest.mark.browser

HEADER = "職員番号,氏名,ふりがな,所属,メールアドレス,受講区分"


@pytest.fixture
def page(browser):
    """A desktop page that lets axe-core be injected (the app's CSP allows no inline script)."""
    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900}, bypass_csp=True)
    yield context.new_page()
    context.close()


def test_instructor_runs_a_class(page, live_server, screenshot, tmp_path):
    sign_in(page, live_server, "demo-instructor", DEMO_PASSWORD)
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="担当クラス").click()
    page.get_by_role("link", name="クラスを作成").click()
    page.get_by_label("クラス名").fill("収納課 12月 ゲートキーパー研修")
    page.get_by_label("受講区分").select_option("counter_staff")
    page.get_by_label("受講期限（任意）").fill("2027-01-31")
    page.get_by_role("button", name="作成する").click()
    expect(page.get_by_role("heading", name="収納課 12月 ゲートキーパー研修")).to_be_visible()

    bad = tmp_path / "名簿.csv"
    bad.write_bytes(f"{HEADER}\r\n002001,収納 一郎,,収納課,,\r\n002002,,,収納課,,\r\n".encode("cp932"))
    page.get_by_role("link", name="名簿を取り込む（CSV）").click()
    page.get_by_label("名簿ファイル").set_input_files(str(bad))
    page.get_by_role("button", name="確認する").click()
    expect(page.get_by_text("3行目")).to_be_visible()
    expect(page.get_by_text("氏名が空です")).to_be_visible()
    assert page.get_by_role("button", name="行を取り込む").count() == 0
    screenshot(page, "instructor-roster-error")

    good = tmp_path / "名簿_修正.csv"
    good.write_bytes(f"{HEADER}\r\n002001,収納 一郎,,収納課,,\r\n002002,収納 二郎,,収納課,,\r\n".encode("cp932"))
    page.get_by_role("link", name="別のファイルを選ぶ").click()
    page.get_by_label("名簿ファイル").set_input_files(str(good))
    page.get_by_role("button", name="確認する").click()
    page.get_by_role("button", name="2行を取り込む").click()
    expect(page.get_by_text("初回ログイン用パスワード").first).to_be_visible()
    expect(page.get_by_role("link", name="ID通知書（PDF）をダウンロード")).to_be_visible()
    screenshot(page, "instructor-roster-done")

    # Issue 16: move a member to the instructor's other class (the demo class); records stay.
    page.get_by_role("link", name="クラスのページへ").click()
    page.get_by_role("link", name="収納 二郎").click()
    expect(page.get_by_label("移動先のクラス")).to_have_value(page.locator("#move-to option").first.get_attribute("value"))
    page.get_by_role("button", name="移す").click()
    expect(page.get_by_text("収納 二郎 さんをクラス「窓口職員向けゲートキーパー研修（デモ）」に移しました")).to_be_visible()
    assert page.get_by_role("link", name="収納 二郎").count() == 0
    page.get_by_role("link", name="進み具合").click()
    assert page.get_by_role("cell", name="収納 一郎").count() + page.get_by_text("収納 一郎").count() > 0
    expect(page.get_by_text("未着手").first).to_be_visible()
    screenshot(page, "instructor-progress")

    # One module assigned on its own (issue 16): listed with its due date and tracked by itself.
    page.get_by_role("navigation", name="現在地").get_by_role("link", name="収納課 12月 ゲートキーパー研修").click()
    page.get_by_label("モジュール（任意").select_option("counter-staff/counter-signs")
    page.get_by_label("期限（任意）").fill("2027-01-15")
    page.get_by_role("button", name="追加する").click()
    expect(page.get_by_text("割り当てを追加しました。")).to_be_visible()
    expect(page.get_by_role("columnheader", name="モジュール『窓口で気づくサイン").first).to_be_visible()
    blocking = [v for v in run_axe(page)["violations"] if v["impact"] in BLOCKING]
    assert not blocking, describe(blocking)
    page.get_by_role("link", name="進み具合").click()
    page.get_by_label("割り当て（講座・モジュール）").select_option("counter-staff/counter-signs")
    page.get_by_role("button", name="表示").click()
    expect(page.get_by_text("モジュール『窓口で気づくサイン ― 税・収納・保険の窓口から』（期限 2027年1月15日）")).to_be_visible()
    expect(page.get_by_role("cell", name="未着手").first).to_be_visible()
