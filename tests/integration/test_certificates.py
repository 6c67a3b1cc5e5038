"""Issue on completion, who gets which PDF, verification, revoke, reissue, class ZIP, settings."""
import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import AuthActions
from tests.support.classes import make_class
from tests.support.learner import csrf
from training.content import load_checked
from training.demo import simulate_learning
from training.extensions import db
from training.models import AuditEntry, Certificate, User

CONTENT = load_checked(Path(__file__).resolve().parents[2])
COURSE = CONTENT.course("counter-staff")


@pytest.fixture
def completed(app, create_user_factory):
    """Make a trainee who has completed the counter-staff course; returns (user id, login id, cert id)."""

    def make(name="光が丘 健", **fields):
        user_id, login_id = create_user_factory("trainee", audience="counter_staff", display_name=name, **fields)
        with app.test_request_context():
            user = db.session.get(User, user_id)
            simulate_learning(user, COURSE, CONTENT)
            db.session.commit()
            cert = db.session.scalar(select(Certificate).where(Certificate.user_id == user_id))
            return user_id, login_id, cert.id

    return make


def _cert(app, cert_id) -> Certificate:
    with app.app_context():
        return db.session.get(Certificate, cert_id)


def _client_for(app, login_id):
    client = app.test_client()
    assert AuthActions(client).login(login_id).status_code == 302
    return client


def test_completion_issues_a_certificate_at_once(app, completed):
    user_id, _login, cert_id = completed()
    cert = _cert(app, cert_id)
    assert re.fullmatch(r"GK\d{4}-\d{5}", cert.serial)
    assert re.fullmatch(r"([0-9A-Z]{4}-){4}[0-9A-Z]{4}", cert.verification_code)
    assert cert.recipient_name == "光が丘 健" and cert.course_title == COURSE.title
    assert cert.content_version == COURSE.version and cert.issuer_title == "練馬区長"
    with app.app_context():
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "certificate.issue")).target_id == cert.serial


def test_serials_count_up_within_the_fiscal_year(app, completed):
    first = _cert(app, completed()[2])
    second = _cert(app, completed(name="石神井 花子")[2])
    assert second.fiscal_year == first.fiscal_year and second.sequence == first.sequence + 1


def test_trainee_downloads_own_pdf_others_get_404(app, completed):
    _uid, login_id, cert_id = completed()
    _other_uid, other_login, other_cert = completed(name="大泉 学")
    client = _client_for(app, login_id)
    response = client.get(f"/certificates/{cert_id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert client.get(f"/certificates/{other_cert}.pdf").status_code == 404
    assert client.get("/certificates/999999.pdf").status_code == 404
    home = client.get("/").get_data(as_text=True)
    assert f"/certificates/{cert_id}.pdf" in home
    progress = client.get(f"/learn/{COURSE.id}/progress").get_data(as_text=True)
    assert "修了証をダウンロード" in progress


def test_instructor_sees_only_their_classes_certificates(app, completed, create_user_factory):
    uid, _login, cert_id = completed()
    _other_uid, _other_login, other_cert = completed(name="大泉 学")
    _iid, instructor = create_user_factory("instructor", audience=None)
    cohort_id = make_class(app, instructor, name="税務課 11月", member_ids=[uid])
    client = _client_for(app, instructor)
    assert client.get(f"/certificates/{cert_id}.pdf").status_code == 200
    assert client.get(f"/certificates/{other_cert}.pdf").status_code == 404
    page = client.get(f"/teach/classes/{cohort_id}").get_data(as_text=True)
    assert "光が丘 健" in page and "修了" in page
    _i2, stranger = create_user_factory("instructor", audience=None)
    assert _client_for(app, stranger).get(f"/teach/classes/{cohort_id}").status_code == 404


@pytest.mark.parametrize("role", ["personnel", "admin"])
def test_personnel_and_admin_see_everyone(app, completed, create_user_factory, role):
    _uid, _login, cert_id = completed()
    _id, login_id = create_user_factory(role, audience=None)
    assert _client_for(app, login_id).get(f"/certificates/{cert_id}.pdf").status_code == 200


def test_public_verification_states(app, client, completed, login_as):
    _uid, _login, cert_id = completed()
    cert = _cert(app, cert_id)
    page = client.get(f"/verify/{cert.verification_code}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "有効" in html and cert.serial in html
    assert "光＊＊ ＊" in html and "光が丘" not in html and "光＊＊ 健" not in html
    assert COURSE.title in html and "2026年" in html or "年" in html
    # Typed in lower case with spaces, via the form: same certificate.
    typed = client.get("/verify?code=" + cert.verification_code.lower().replace("-", " "))
    assert typed.status_code == 302 and typed.headers["Location"].endswith(cert.verification_code)
    # Expired.
    with app.app_context():
        db.session.get(Certificate, cert_id).valid_until = dt.date(2020, 1, 1)
        db.session.commit()
    assert "期限切れ" in client.get(f"/verify/{cert.verification_code}").get_data(as_text=True)
    # Revoked by an admin, with a reason, audited.
    login_as("admin")
    detail = client.get(f"/admin/certificates/{cert_id}").get_data(as_text=True)
    response = client.post(f"/admin/certificates/{cert_id}/revoke", data={"csrf_token": csrf(detail),
                                                                          "reason": "誤って発行したため"})
    assert response.status_code == 302
    assert "取消" in client.get(f"/verify/{cert.verification_code}").get_data(as_text=True)
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "certificate.revoke"))
        assert entry.detail["reason"] == "誤って発行したため"


@pytest.mark.parametrize("code", ["AAAA-BBBB-CCCC-DDDD-EEEE", "not-a-code", "%3Cscript%3E", "0" * 20])
def test_unknown_and_malformed_codes_get_the_same_neutral_page(client, code):
    response = client.get(f"/verify/{code}")
    assert response.status_code == 404
    assert "該当する修了証は見つかりませんでした" in response.get_data(as_text=True)
    form = client.get(f"/verify?code={code}")
    assert form.status_code in (302, 404)


def test_verification_is_rate_limited(client):
    codes = [f"/verify/AAAA-BBBB-CCCC-DDDD-{n:04d}" for n in range(31)]
    statuses = [client.get(url).status_code for url in codes]
    assert statuses[:30] == [404] * 30
    assert statuses[30] == 429


def test_reissue_after_a_name_change_keeps_the_serial_history(app, client, completed, login_as):
    uid, _login, cert_id = completed()
    old = _cert(app, cert_id)
    with app.app_context():
        db.session.get(User, uid).display_name = "光が丘 健太"
        db.session.commit()
    login_as("personnel")
    detail = client.get(f"/admin/certificates/{cert_id}").get_data(as_text=True)
    assert "修了証と異なります" in detail
    response = client.post(f"/admin/certificates/{cert_id}/reissue", data={"csrf_token": csrf(detail),
                                                                           "reason": "婚姻による氏名変更"})
    assert response.status_code == 302
    with app.app_context():
        revisions = db.session.scalars(select(Certificate).where(Certificate.sequence == old.sequence)
                                       .order_by(Certificate.revision)).all()
        assert [c.serial for c in revisions] == [old.serial, f"{old.serial}-2"]
        assert revisions[0].superseded_at is not None and revisions[1].recipient_name == "光が丘 健太"
        assert revisions[1].reissue_of_id == revisions[0].id
        new_code = revisions[1].verification_code
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "certificate.reissue"))
    assert "再発行により無効" in client.get(f"/verify/{old.verification_code}").get_data(as_text=True)
    assert "有効" in client.get(f"/verify/{new_code}").get_data(as_text=True)


def test_class_zip_holds_one_pdf_per_completed_member(app, completed, create_user_factory):
    members = [completed(name=name)[0] for name in ("𠮷田 一", "髙橋 二")]
    not_done, _ = create_user_factory("trainee", audience="counter_staff")
    _iid, instructor = create_user_factory("instructor", audience=None)
    cohort_id = make_class(app, instructor, name="収納課 研修", member_ids=[*members, not_done])
    response = _client_for(app, instructor).get(f"/teach/classes/{cohort_id}/certificates.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = archive.namelist()
    assert len(names) == 2 and all(n.endswith(".pdf") for n in names)
    assert any("𠮷田一" in n for n in names)
    assert all(archive.read(n).startswith(b"%PDF") for n in names)
    # A class of a later fiscal year does not count these completions (its rule): nothing to zip.
    later_id = make_class(app, instructor, name="次年度 研修", fiscal_year=2099, member_ids=members)
    later = _client_for(app, instructor).get(f"/teach/classes/{later_id}/certificates.zip")
    assert zipfile.ZipFile(io.BytesIO(later.data)).namelist() == []


def test_settings_change_signatory_and_validate_the_seal(app, client, login_as, completed):
    login_as("admin")
    page = client.get("/admin/settings").get_data(as_text=True)
    bad = client.post("/admin/settings", data={"csrf_token": csrf(page), "organisation_name": "練馬区",
                                               "issuer_title": "練馬区長", "issuer_name": "練馬 一郎",
                                               "date_style": "seireki", "yearly_target": "350",
                                               "seal": (io.BytesIO(b"GIF89a not a png"), "seal.gif")},
                      content_type="multipart/form-data")
    assert "PNG または JPEG" in bad.get_data(as_text=True)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    ok = client.post("/admin/settings", data={"csrf_token": csrf(page), "organisation_name": "練馬区",
                                              "issuer_title": "練馬区長", "issuer_name": "練馬 一郎",
                                              "date_style": "seireki", "yearly_target": "350", "seal": (io.BytesIO(png), "seal.png")},
                     content_type="multipart/form-data")
    assert ok.status_code == 302
    _uid, _login, cert_id = completed()
    cert = _cert(app, cert_id)
    assert (cert.issuer_title, cert.issuer_name) == ("練馬区長", "練馬 一郎")
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "settings.change"))
        assert "seal" in entry.detail["changed"]
