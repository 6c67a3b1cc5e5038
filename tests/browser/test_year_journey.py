"""Issue 16's journey: an instructor copies last year's class, imports a roster with a
zero-stripped number (refused) and a moved person, prints slips, moves a member, assigns one
module and sees it tracked; a newcomer registers with the class's code as staff.

This journey has its own server and database: it sets up a department master, and while the
master holds a department every form takes only master departments, which the other browser
tests (free-text 所属 on the shared demo server) do not expect.
"""
from __future__ import annotations

import datetime as dt
import re
import subprocess
import threading
from pathlib import Path

import pytest
from flask_migrate import upgrade
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from tests.browser.conftest import ARTIFACTS, sign_in
from tests.browser.test_accessibility import BLOCKING, describe, run_axe
from training import create_app, departments
from training.auth.accounts import NewUser, create_user
from training.content import current_content
from training.dates import fiscal_year_of, today_jst
from training.demo import simulate_learning
from training.extensions import db
from training.models import User
from training.teach import roster
from training.teach.classes import create_class

pytestmark = pytest.mark.browser

PASSWORD = "year-journey-pass-26"
HEADER = "職員番号,氏名,ふりがな,所属,メールアドレス,受講区分"
COURSE = "counter-staff"
THIS_YEAR = fiscal_year_of(today_jst())
LAST_YEAR = THIS_YEAR - 1
LAST_NAME = f"窓口職員ゲートキーパー研修 {LAST_YEAR}年度"
THIS_NAME = f"窓口職員ゲートキーパー研修 {THIS_YEAR}年度"
OTHER_NAME = f"窓口職員ゲートキーパー研修 {THIS_YEAR}年度 追加日程"


def _seed() -> None:
    """Through the app's own functions: a department master, an instructor, last year's class
    (members imported by roster, 004513 among them), and another class of this year."""
    for code, name in (("1201", "区民部 収納課"), ("1202", "区民部 税務課"), ("2301", "福祉部 生活福祉課")):
        departments.create(code, name)
    lead = create_user(NewUser(login_id="year-lead", display_name="研修 由美", password=PASSWORD,
                               roles=("instructor",), department="2301"))
    last = create_class(name=LAST_NAME, audience="counter_staff", fiscal_year=LAST_YEAR, owner=lead,
                        course_id=COURSE, starts_on=dt.date(LAST_YEAR, 4, 1), due_on=dt.date(THIS_YEAR, 3, 31))
    create_class(name=OTHER_NAME, audience="counter_staff", fiscal_year=THIS_YEAR, owner=lead, course_id=COURSE,
                 starts_on=dt.date(THIS_YEAR, 4, 1))
    rows = roster.check(roster.parse(
        f"{HEADER}\r\n004513,高橋 一郎,たかはし いちろう,1201,,\r\n004520,山﨑 さくら,やまざき さくら,1202,,\r\n"
        .encode("utf-8")), last)
    assert rows.ok, [r.errors for r in rows.rows]
    roster.apply(rows, last)
    db.session.commit()
    # 高橋 has done the first module this year (after the new class starts): the matrix shows it.
    content = current_content()
    takahashi = db.session.scalar(select(User).where(User.employee_no == "004513"))
    simulate_learning(takahashi, content.course(COURSE), content, modules=1, scenarios=False, post=False)
    db.session.commit()


@pytest.fixture(scope="module")
def year_server(tmp_path_factory):
    """The app on its own SQLite database with the journey's data, served on loopback."""
    database = tmp_path_factory.mktemp("year-db") / "year.sqlite3"
    app = create_app({"TESTING": True, "SECRET_KEY": "year-journey-secret",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        upgrade()
        _seed()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def context(browser):
    """Contexts that let axe-core be injected (the app's CSP allows no inline script)."""
    made = []

    def new():
        made.append(browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900}, bypass_csp=True))
        return made[-1].new_page()

    yield new
    for c in made:
        c.close()


def _axe_clean(page) -> None:
    blocking = [v for v in run_axe(page)["violations"] if v["impact"] in BLOCKING]
    assert not blocking, describe(blocking)


def _upload(page, path: Path, rows: str) -> None:
    path.write_bytes(f"{HEADER}\r\n{rows}".encode("cp932"))  # as Excel saves it
    page.get_by_label("名簿ファイル").set_input_files(str(path))
    page.get_by_role("button", name="確認する").click()


def test_instructor_runs_the_new_year(context, year_server, screenshot, tmp_path):
    base = year_server
    page = context()
    sign_in(page, base, "year-lead", PASSWORD)

    # Copy last year's class to this year (without its members: April's transfers come by roster).
    page.goto(f"{base}/teach/?year={LAST_YEAR}")
    page.get_by_role("link", name=LAST_NAME).click()
    page.get_by_role("link", name="次の年度にコピー").click()
    expect(page.get_by_label("クラス名")).to_have_value(THIS_NAME)
    expect(page.get_by_role("cell", name=f"{THIS_YEAR + 1}年3月31日")).to_be_visible()  # a year later
    _axe_clean(page)
    page.get_by_role("button", name="コピーして作成する").click()
    expect(page.get_by_role("heading", name=THIS_NAME, level=1)).to_be_visible()
    expect(page.get_by_text(f"{THIS_YEAR}年度・窓口業務等の職員・0人")).to_be_visible()

    # A roster where Excel dropped 004513's zeros: refused, nothing imported.
    page.get_by_role("link", name="名簿を取り込む（CSV）").click()
    rows = ("{n},高橋 一郎,たかはし いちろう,福祉部 生活福祉課,,\r\n"
            "004520,山﨑 さくら,やまざき さくら,区民部 税務課,,\r\n"
            "004601,練馬 花子,ねりま はなこ,区民部 収納課,,\r\n"
            "004602,大泉 次郎,おおいずみ じろう,1201,,\r\n")
    _upload(page, tmp_path / "名簿.csv", rows.format(n="4513"))
    expect(page.get_by_text("職員番号「4513」は登録済みの職員番号「004513」と先頭の0だけが違います")).to_be_visible()
    assert page.get_by_role("button", name=re.compile("行を取り込む")).count() == 0
    page.get_by_role("link", name="エラーの行だけを表示（1行）").click()
    expect(page.get_by_role("cell", name="4513", exact=True)).to_be_visible()
    assert page.get_by_role("cell", name="練馬 花子").count() == 0
    _axe_clean(page)
    screenshot(page, "year-roster-refused")

    # The fixed roster: 高橋 moved to 福祉部 生活福祉課 (an update), two new people.
    page.get_by_role("link", name="別のファイルを選ぶ").click()
    _upload(page, tmp_path / "名簿_修正.csv", rows.format(n="004513"))
    expect(page.get_by_text("所属：区民部 収納課 → 福祉部 生活福祉課")).to_be_visible()
    expect(page.get_by_text("新規 2人・クラスに登録 2人")).to_be_visible()
    screenshot(page, "year-roster-preview")
    page.get_by_role("button", name="4行を取り込む").click()
    expect(page.get_by_role("heading", name="名簿を取り込みました")).to_be_visible()

    # The slips: one PDF for the two new people only.
    with page.expect_download() as download:
        page.get_by_role("link", name="ID通知書（PDF）をダウンロード").click()
    pdf = ARTIFACTS / "year-slips.pdf"
    pdf.write_bytes(Path(download.value.path()).read_bytes())
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    squeezed = re.sub(r"\s+", "", text)
    assert squeezed.count("練馬花子") == 1 and squeezed.count("大泉次郎") == 1, text[:500]
    assert "高橋" not in squeezed and "山﨑" not in squeezed
    assert squeezed.count("004601") >= 1 and squeezed.count("004602") >= 1

    # The print view of the passwords page: no menus, the table kept.
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="メインメニュー")).to_be_hidden()
    expect(page.get_by_role("cell", name="練馬 花子")).to_be_visible()
    screenshot(page, "year-roster-done-print")
    page.emulate_media(media="screen")
    _axe_clean(page)

    # Move a member to the other class of this year.
    page.get_by_role("link", name="クラスのページへ").click()
    expect(page.get_by_role("cell", name="福祉部 生活福祉課")).to_be_visible()
    page.get_by_role("link", name="大泉 次郎").click()
    page.get_by_label("移動先のクラス").select_option(label=f"{THIS_YEAR}年度 {OTHER_NAME}")
    page.get_by_role("button", name="移す").click()
    expect(page.get_by_text(f"大泉 次郎 さんをクラス「{OTHER_NAME}」に移しました")).to_be_visible()
    assert page.get_by_role("link", name="大泉 次郎").count() == 0

    # Assign one module with a due date: tracked on the class page and in the matrix.
    content_module = page.locator("#module_id optgroup[label='窓口職員向けゲートキーパー講座'] option").first
    module_value, module_title = content_module.get_attribute("value"), content_module.inner_text()
    page.get_by_label("モジュール（任意").select_option(module_value)
    page.get_by_label("期限（任意）").fill(f"{THIS_YEAR + 1}-03-31")
    page.get_by_role("button", name="追加する").click()
    expect(page.get_by_text("割り当てを追加しました。")).to_be_visible()
    header = page.get_by_role("columnheader", name=f"モジュール『{module_title}").first
    expect(header).to_be_visible()
    takahashi = page.get_by_role("row").filter(has=page.get_by_role("link", name="高橋 一郎"))
    expect(takahashi.get_by_role("cell", name=re.compile("^修了"))).to_have_count(1)  # the module, not the course
    hanako = page.get_by_role("row").filter(has=page.get_by_role("link", name="練馬 花子"))
    expect(hanako.get_by_role("cell", name="未修了")).to_have_count(2)
    screenshot(page, "year-class-page")
    page.get_by_role("link", name="進み具合").click()
    page.get_by_label("割り当て（講座・モジュール）").select_option(module_value)
    page.get_by_role("button", name="表示").click()
    expect(page.get_by_text(f"モジュール『{module_title}』（期限 {THIS_YEAR + 1}年3月31日）")).to_be_visible()
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=re.compile("高橋 一郎")))
    expect(row.get_by_role("cell", name="修了", exact=True)).to_be_visible()
    expect(row.get_by_role("cell", name=re.compile("^修了 \\d+点$"))).to_be_visible()
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=re.compile("練馬 花子")))
    expect(row.get_by_role("cell", name="未着手", exact=True)).to_be_visible()
    assert page.get_by_role("rowheader").count() == 3
    screenshot(page, "year-matrix-module")

    # Open the join code; a newcomer registers as staff (職員番号 and 所属 from the master).
    page.get_by_role("navigation", name="現在地").get_by_role("link", name=THIS_NAME).click()
    page.get_by_role("button", name="受付を始める").click()
    code = page.locator(".join-code").inner_text().strip()
    newcomer = context()
    newcomer.goto(f"{base}/join")
    newcomer.get_by_label("参加コード（例：ABCD-EFGH）").fill(code)
    newcomer.get_by_role("button", name="次へ").click()
    newcomer.get_by_label("氏名").fill("光が丘 若葉")
    newcomer.get_by_label("ログインID", exact=False).fill("wakaba.h")
    newcomer.get_by_label("職員番号").fill("4520")
    newcomer.get_by_label("所属", exact=True).select_option(label="福祉部 生活福祉課")
    newcomer.get_by_label("パスワード（10文字以上）").fill(PASSWORD)
    newcomer.get_by_label("パスワード（確認）").fill(PASSWORD)
    newcomer.get_by_role("button", name="登録して参加する").click()
    expect(newcomer.get_by_text("先頭の0を除くと登録済みの職員番号と同じです")).to_be_visible()
    expect(newcomer.get_by_label("所属", exact=True)).to_have_value("2301")  # the choice is kept
    _axe_clean(newcomer)
    screenshot(newcomer, "year-join-staff-refused")
    newcomer.get_by_label("職員番号").fill("004701")
    newcomer.get_by_label("パスワード（10文字以上）").fill(PASSWORD)
    newcomer.get_by_label("パスワード（確認）").fill(PASSWORD)
    newcomer.get_by_role("button", name="登録して参加する").click()
    expect(newcomer.get_by_text(f"登録しました。クラス「{THIS_NAME}」の講座をはじめましょう。")).to_be_visible()
    page.reload()
    joined = page.get_by_role("row").filter(has=page.get_by_role("link", name="光が丘 若葉"))
    expect(joined.get_by_role("cell", name="004701")).to_be_visible()
    expect(joined.get_by_role("cell", name="福祉部 生活福祉課")).to_be_visible()
    screenshot(page, "year-class-after-join")
