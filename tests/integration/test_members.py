"""Instructors manage the members of their classes and hand out login slips (issue 16)."""
import datetime as dt
import io
import re
import subprocess

from sqlalchemy import select

from tests.conftest import AuthActions
from tests.support.classes import make_class
from tests.support.learner import csrf
from training.extensions import db
from training.models import AuditEntry, Cohort, CohortMember, CohortOwner, CourseCompletion, SlipBatch, User

HEADER = "職員番号,氏名,ふりがな,所属,メールアドレス,受講区分"


def _members(app, cohort_id):
    with app.app_context():
        return set(db.session.scalars(select(CohortMember.user_id).where(CohortMember.cohort_id == cohort_id)))


def _user(app, user_id):
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def _actions(app):
    with app.app_context():
        return [a.action for a in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def _post(client, page_path, path, data=None):
    token = csrf(client.get(page_path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **(data or {})})


def _pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def test_owner_edits_moves_and_removes_members(app, client, login_as, create_user_factory):
    _me, login = login_as("instructor", audience=None)
    t1, _ = create_user_factory(display_name="練馬 一郎", employee_no="000201", department="税務課")
    t2, _ = create_user_factory(display_name="石神井 花子", employee_no="000202")
    _other_owner, other_login = create_user_factory("instructor", audience=None)
    x = make_class(app, login, name="窓口 11月", member_ids=(t1, t2))
    y = make_class(app, login, name="窓口 12月")
    z = make_class(app, other_login, name="他の研修担当のクラス")
    with app.app_context():
        db.session.add(CourseCompletion(user_id=t2, course_id="counter-staff", content_version="v1"))
        db.session.commit()
    page = f"/teach/classes/{x}/members/{t1}"
    assert "練馬 一郎" in client.get(f"/teach/classes/{x}").get_data(as_text=True)
    assert "000201" in client.get(page).get_data(as_text=True)

    fields = {"display_name": "練馬 一朗", "name_kana": "ねりま いちろう", "email": "ichiro@example.jp",
              "department": "区民部 収納課", "employee_no": "000209"}
    assert _post(client, page, page, fields).status_code == 302
    changed = _user(app, t1)
    assert (changed.display_name, changed.department, changed.employee_no) == ("練馬 一朗", "区民部 収納課", "000209")
    # An employee number already used, with or without its leading zeros: a message, nothing changed.
    for number, message in (("000202", "別の方がすでに使っています"), ("202", "先頭の0だけが違います")):
        response = _post(client, page, page, dict(fields, employee_no=number, department="変えない"))
        assert response.status_code == 422 and message in response.get_data(as_text=True)
        assert _user(app, t1).department == "区民部 収納課"
    assert _post(client, page, page, dict(fields, display_name="")).status_code == 422

    # Move: to a class not owned is refused; to one's own class, the records follow.
    response = _post(client, page, f"{page}/move", {"to": str(z)})
    assert "移動先のクラスが見つかりません" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert _members(app, x) == {t1, t2} and _members(app, z) == set()
    assert _post(client, page, f"{page}/move", {"to": str(y)}).status_code == 302
    assert _members(app, x) == {t2} and _members(app, y) == {t1}

    # Remove: the membership goes, the completion stays.
    assert _post(client, f"/teach/classes/{x}/members/{t2}", f"/teach/classes/{x}/members/{t2}/remove",
                 {"confirm": "remove"}).status_code == 302
    assert _members(app, x) == set()
    with app.app_context():
        assert db.session.scalar(select(CourseCompletion).where(CourseCompletion.user_id == t2)) is not None
    assert client.get(f"/teach/classes/{x}/members/{t2}").status_code == 404   # no longer a member here
    actions = _actions(app)
    assert {"class.member_edit", "class.member_move", "class.member_remove"} <= set(actions)


def test_privileged_and_shared_accounts_cannot_be_edited_or_reset(app, client, login_as, create_user_factory):
    _me, login = login_as("instructor", audience=None)
    _b, other_login = create_user_factory("instructor", audience=None)
    staff, _ = create_user_factory("personnel", "trainee", display_name="人事 担当", employee_no="000301")
    shared, _ = create_user_factory(display_name="共有 受講者", employee_no="000302")
    x = make_class(app, login, member_ids=(staff, shared))
    make_class(app, other_login, member_ids=(shared,))
    for user_id, message in ((staff, "権限を持つ利用者"), (shared, "他の研修担当のクラスにも所属")):
        page = f"/teach/classes/{x}/members/{user_id}"
        assert message in client.get(page).get_data(as_text=True)
        before = _user(app, user_id)
        response = _post(client, page, page, {"display_name": "変えた名前", "employee_no": "000399"})
        assert response.status_code == 422 and message in response.get_data(as_text=True)
        response = _post(client, page, f"{page}/password", {"confirm": "reset"})
        assert message in client.get(response.headers["Location"]).get_data(as_text=True)
        after = _user(app, user_id)
        assert (after.display_name, after.password_hash) == (before.display_name, before.password_hash)


def test_reset_gives_a_slip_downloadable_once(app, client, login_as, create_user_factory):
    _me, login = login_as("instructor", audience=None)
    t1, t1_login = create_user_factory(display_name="大泉 学", employee_no="000401")
    x = make_class(app, login, member_ids=(t1,))
    page = f"/teach/classes/{x}/members/{t1}"
    assert _post(client, page, f"{page}/password").status_code == 400   # no confirm: nothing happens
    response = _post(client, page, f"{page}/password", {"confirm": "reset"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private, no-store"
    password = re.search(r'初回ログイン用パスワード</th><td class="mono">([^<]+)<', html).group(1)
    pdf_url = re.search(r'href="(/teach/slips/\d+\.pdf)"', html).group(1)
    # The person signs in with the new password and must change it first.
    person = app.test_client()
    response = AuthActions(person).login(t1_login, password)
    assert response.status_code == 302 and "/account/password" in response.headers["Location"]

    first = client.get(pdf_url)
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    text = _pdf_text(first.data)
    assert "大泉 学" in text and password in text and "119" in text
    second = client.get(pdf_url)
    assert second.status_code == 410 and "パスワードを再発行する" in second.get_data(as_text=True)
    csv = client.get(pdf_url.replace(".pdf", ".csv"))
    assert csv.status_code == 200 and f"大泉 学,{t1_login},{password}," in csv.data.decode("utf-8-sig")
    assert client.get(pdf_url.replace(".pdf", ".csv")).status_code == 410
    with app.app_context():
        batch = db.session.scalar(select(SlipBatch))
        assert batch.payload is None and batch.count == 1   # erased after both downloads
    actions = _actions(app)
    assert "class.member_password_reset" in actions and actions.count("slips.download") == 2


def test_slips_expire_and_belong_to_their_maker(app, client, login_as, create_user_factory):
    _me, login = login_as("instructor", audience=None)
    t1, _ = create_user_factory(employee_no="000501")
    x = make_class(app, login, member_ids=(t1,))
    html = _post(client, f"/teach/classes/{x}/members/{t1}", f"/teach/classes/{x}/members/{t1}/password",
                 {"confirm": "reset"}).get_data(as_text=True)
    slip_url = re.search(r'href="(/teach/slips/\d+)\.pdf"', html).group(1)
    # Another instructor, then a co-owner who did not make them: 404; trainee and personnel: 403.
    _b, other = create_user_factory("instructor", audience=None)
    other_client = app.test_client()
    AuthActions(other_client).login(other)
    for path in (slip_url, slip_url + ".pdf", slip_url + ".csv", f"/teach/classes/{x}/members/{t1}"):
        assert other_client.get(path).status_code == 404, path
    for path in (f"/teach/classes/{x}/members/{t1}/remove", f"/teach/classes/{x}/members/{t1}/move",
                 f"/teach/classes/{x}/members/{t1}/password", f"/teach/classes/{x}/members/{t1}"):
        assert _post(other_client, "/help", path, {"confirm": "remove"}).status_code == 404, path
    for role in ("trainee", "personnel"):
        _id, role_login = create_user_factory(role, audience=None if role == "personnel" else "counter_staff")
        role_client = app.test_client()
        AuthActions(role_client).login(role_login)
        assert role_client.get(slip_url + ".pdf").status_code == 403
        assert _post(role_client, "/help", f"/teach/classes/{x}/members/{t1}/remove").status_code == 403
    assert _members(app, x) == {t1}
    with app.app_context():
        batch = db.session.scalar(select(SlipBatch))
        batch.expires_at = batch.created_at - dt.timedelta(seconds=1)
        db.session.commit()
    assert "24時間を過ぎた" in client.get(slip_url).get_data(as_text=True)
    _post(client, f"/teach/classes/{x}", f"/teach/classes/{x}/owners", {"login_id": "nobody", "back": "class"})
    with app.app_context():
        assert db.session.scalar(select(SlipBatch)).payload is None   # erased by the next instructor POST
    assert client.get(slip_url + ".csv").status_code == 410


def test_roster_import_offers_one_pdf_and_back_is_a_clear_page(app, client, login_as):
    _me, login = login_as("instructor", audience=None)
    x = make_class(app, login)
    roster = f"{HEADER}\r\n000601,光が丘 健,,税務課,,\r\n000602,石神井 花子,,収納課,,\r\n000603,,,,,\r\n"
    def upload(text):
        page = client.get(f"/teach/classes/{x}/roster").get_data(as_text=True)
        return client.post(f"/teach/classes/{x}/roster", content_type="multipart/form-data",
                           data={"csrf_token": csrf(page), "file": (io.BytesIO(text.encode()), "r.csv")}).headers["Location"]
    location = upload(roster)
    errors_only = client.get(location + "?show=errors").get_data(as_text=True)
    assert "4行目" in errors_only and "000601" not in errors_only
    location = upload(roster.rsplit("000603", 1)[0])
    preview = client.get(location).get_data(as_text=True)
    fingerprint = re.search(r'name="fingerprint" value="([^"]+)"', preview).group(1)
    done = client.post(f"{location}/apply", data={"csrf_token": csrf(preview), "fingerprint": fingerprint})
    html = done.get_data(as_text=True)
    pdf_url = re.search(r'href="(/teach/slips/\d+\.pdf)"', html).group(1)
    text = _pdf_text(client.get(pdf_url).data)
    assert "光が丘 健" in text and "石神井 花子" in text and "000602" in text
    # Back to the preview, or sending the import again: a clear page, nothing changed.
    back = client.get(location)
    assert back.status_code == 200 and "もう確認・取り込みできません" in back.get_data(as_text=True)
    again = client.post(f"{location}/apply", data={"csrf_token": csrf(preview), "fingerprint": fingerprint})
    assert again.status_code == 200 and "もう確認・取り込みできません" in again.get_data(as_text=True)
    assert len(_members(app, x)) == 2


def test_owners_are_shown_and_the_last_one_stays(app, client, login_as, create_user_factory):
    me, login = login_as("instructor", audience=None, display_name="担当 太郎")
    other, other_login = create_user_factory("instructor", audience=None, display_name="担当 次郎")
    x = make_class(app, login)
    response = _post(client, f"/teach/classes/{x}", f"/teach/classes/{x}/owners", {"login_id": other_login, "back": "class"})
    assert response.headers["Location"].endswith(f"/teach/classes/{x}")
    page = client.get(f"/teach/classes/{x}").get_data(as_text=True)
    assert "担当 太郎" in page and "担当 次郎" in page
    assert _post(client, f"/teach/classes/{x}", f"/teach/classes/{x}/owners/{other}/remove",
                 {"confirm": "remove-owner"}).status_code == 302
    response = _post(client, f"/teach/classes/{x}", f"/teach/classes/{x}/owners/{me}/remove", {"confirm": "remove-owner"})
    assert "担当が1人だけのため外せません" in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert set(db.session.scalars(select(CohortOwner.user_id).where(CohortOwner.cohort_id == x))) == {me}
    assert {"class.owner_add", "class.owner_remove"} <= set(_actions(app))


def test_an_archived_class_s_members_and_owners_are_not_changed_from_it(app, client, login_as, create_user_factory):
    _me, login = login_as("instructor", audience=None)
    t1, _ = create_user_factory(display_name="練馬 一郎")
    _co, co_login = create_user_factory("instructor", audience=None, display_name="共同 担当")
    x = make_class(app, login, name="昨年度のクラス", member_ids=(t1,))
    y = make_class(app, login, name="今年度のクラス")
    with app.app_context():
        co_id = db.session.scalar(select(User.id).where(User.login_id == co_login))
        db.session.add(CohortOwner(cohort_id=x, user_id=co_id))
        db.session.get(Cohort, x).archived = True
        db.session.commit()
    page = f"/teach/classes/{x}/members/{t1}"
    attempts = [(page, {"display_name": "別の 名前", "name_kana": "", "email": "", "department": "", "employee_no": ""}),
                (f"{page}/remove", {"confirm": "remove"}), (f"{page}/move", {"to": str(y)}),
                (f"{page}/password", {"confirm": "reset"}),
                (f"/teach/classes/{x}/owners/{co_id}/remove", {"confirm": "remove-owner"})]
    for path, data in attempts:
        response = _post(client, page, path, data)
        assert response.status_code == 302 and response.headers["Location"].endswith(f"/teach/classes/{x}"), path
        assert "アーカイブ" in client.get(f"/teach/classes/{x}").get_data(as_text=True), path
    assert _members(app, x) == {t1} and _members(app, y) == set()
    assert _user(app, t1).display_name == "練馬 一郎"
    with app.app_context():
        assert db.session.scalar(select(SlipBatch)) is None
        assert co_id in set(db.session.scalars(select(CohortOwner.user_id).where(CohortOwner.cohort_id == x)))


def test_a_large_roster_s_slips_are_drawn_by_the_worker_and_downloaded_once(app, client, login_as, tmp_path,
                                                                             create_user_factory):
    """Over SLIP_PDF_DIRECT_MAX slips (here 1): the PDF is a job (Huey's immediate mode); its
    file is downloaded once, then erased; it never outlives the slips; only their maker sees it."""
    app.config.update(SLIP_PDF_DIRECT_MAX=1, JOB_DIR=str(tmp_path / "jobs"), JOB_QUEUE_IMMEDIATE=True)
    _me, login = login_as("instructor", audience=None)
    x = make_class(app, login)
    page = client.get(f"/teach/classes/{x}/roster").get_data(as_text=True)
    location = client.post(f"/teach/classes/{x}/roster", content_type="multipart/form-data", data={
        "csrf_token": csrf(page), "file": (io.BytesIO(f"{HEADER}\r\n000701,光が丘 健,,税務課,,\r\n000702,石神井 花子,,収納課,,\r\n"
                                                      .encode()), "r.csv")}).headers["Location"]
    preview = client.get(location).get_data(as_text=True)
    fingerprint = re.search(r'name="fingerprint" value="([^"]+)"', preview).group(1)
    html = client.post(f"{location}/apply", data={"csrf_token": csrf(preview), "fingerprint": fingerprint}).get_data(as_text=True)
    batch_id = int(re.search(r'action="/teach/slips/(\d+)/pdf-job"', html).group(1))
    assert f'href="/teach/slips/{batch_id}.pdf"' not in html  # no direct download of a large batch
    direct = client.get(f"/teach/slips/{batch_id}.pdf", follow_redirects=True)
    assert "「ID通知書（PDF）を作成」から作成してください" in direct.get_data(as_text=True)
    started = client.post(f"/teach/slips/{batch_id}/pdf-job", data={"csrf_token": csrf(html)})
    job_url = started.headers["Location"]
    job_page = client.get(job_url).get_data(as_text=True)
    assert "1回だけ" in job_page
    with app.app_context():
        from training.models import Job
        job = db.session.get(Job, int(job_url.rsplit("/", 1)[1]))
        batch = db.session.get(SlipBatch, batch_id)
        assert job.status == "done" and job.expires_at <= batch.expires_at and batch.pdf_downloaded_at is not None
    other = app.test_client()
    _oid, other_login = create_user_factory("instructor", audience=None)
    AuthActions(other).login(other_login)
    assert other.get(job_url + "/download").status_code == 404
    download = client.get(job_url + "/download")
    text = _pdf_text(download.data)
    assert download.headers["Cache-Control"] == "private, no-store" and "光が丘 健" in text and "000702" in text
    assert client.get(job_url + "/download").status_code == 410  # once
    assert list((tmp_path / "jobs").glob("job-*.pdf")) == []     # erased from the server
    # The CSV of the same slips is still there (each format once), the PDF is not offered again.
    slips_page = client.get(f"/teach/slips/{batch_id}").get_data(as_text=True)
    assert "PDF は作成済みです（1回だけ）。" in slips_page and f"/teach/slips/{batch_id}.csv" in slips_page
    again = client.post(f"/teach/slips/{batch_id}/pdf-job", data={"csrf_token": csrf(slips_page)})
    assert again.status_code == 410
    assert _actions(app).count("slips.download") == 1
