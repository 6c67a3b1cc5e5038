"""The Japanese shell: help on every page, error pages, security headers."""
import pytest

from training.security import CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("path", ["/login", "/help", "/does-not-exist"])
def test_every_page_offers_help_now(client, path):
    html = client.get(path).get_data(as_text=True)
    assert '<html lang="ja">' in html
    assert 'href="/help"' in html and "いますぐ相談したい方へ" in html
    assert "本文へ移動" in html  # skip link
    assert "119" in html


def test_signed_in_pages_offer_help_now(client, login_as):
    login_as("admin")
    for path in ["/", "/admin/users", "/admin/audit", "/account/password", "/admin/contacts"]:
        html = client.get(path).get_data(as_text=True)
        assert "いますぐ相談したい方へ" in html, path


def test_help_page_lists_contacts_with_source(app, client):
    html = client.get("/help").get_data(as_text=True)
    contacts = app.extensions["content"].contacts.contacts
    assert len(contacts) >= 9
    for contact in contacts:
        assert contact.name in html
        if contact.number:
            assert contact.number in html
    assert "出典" in html and "確認日" not in html  # found on the operator's page, not verified by the ward
    assert "よりそいホットライン" in html and "0120-279-338" in html


def test_japanese_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "ページが見つかりません" in response.get_data(as_text=True)


def test_japanese_403(client, login_as):
    login_as("trainee")
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert "権限がありません" in response.get_data(as_text=True)


def test_japanese_500(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/boom")
    def boom():
        raise RuntimeError("boom")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "システムでエラーが発生しました" in response.get_data(as_text=True)


def test_security_headers(client):
    response = client.get("/login")
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_no_inline_script_or_style(client, login_as):
    """The CSP forbids inline code, so the templates must not rely on it."""
    login_as("admin")
    for path in ["/", "/admin/users", "/admin/users/new", "/help"]:
        html = client.get(path).get_data(as_text=True)
        assert "<script>" not in html and "style=" not in html and "<style" not in html, path


def test_navigation_by_role(client, login_as):
    login_as("trainee")
    html = client.get("/").get_data(as_text=True)
    assert "ホーム" in html and "パスワード変更" in html
    assert "利用者管理" not in html


def test_navigation_for_admin(client, login_as):
    login_as("admin")
    html = client.get("/").get_data(as_text=True)
    assert "利用者管理" in html and "監査ログ" in html


def test_admin_contacts_page_says_shipped_lines_await_the_wards_check(client, login_as):
    login_as("admin")
    html = client.get("/admin/contacts").get_data(as_text=True)
    assert "未確認" in html and "確認済み" not in html
