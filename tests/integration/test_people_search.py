"""Finding people (issue 16): folded names and numbers, instructors within their own classes,
person pages with access checks, and keys that follow every change of name or number."""
from pathlib import Path

from sqlalchemy import select

from training.admin.users import update_profile
from training.content import load_checked
from training.demo import simulate_learning
from training.extensions import db
from training.models import User
from training.records import retention
from training.records.search import search
from tests.conftest import AuthActions
from tests.support.classes import make_class

CONTENT = load_checked(Path(__file__).resolve().parents[2])


def _people(app, create_user_factory):
    """髙橋 (004513) completed one course and is half-way through another; 山﨑 (000777)."""
    takahashi, _ = create_user_factory("trainee", display_name="髙橋 一郎", name_kana="たかはし いちろう",
                                       employee_no="004513", department="区民部 収納課")
    yamazaki, _ = create_user_factory("trainee", display_name="山﨑 花子", name_kana="ヤマザキ ハナコ",
                                      employee_no="000777")
    staff, _ = create_user_factory("admin", display_name="高橋 管理", employee_no="904513")
    with app.test_request_context():
        user = db.session.get(User, takahashi)
        simulate_learning(user, CONTENT.course("counter-staff"), CONTENT)
        simulate_learning(user, CONTENT.course("teachers"), CONTENT, modules=1, scenarios=False, post=False)
        db.session.commit()
    return takahashi, yamazaki, staff


def _names(client, url):
    html = client.get(url).get_data(as_text=True)
    return {name for name in ("髙橋 一郎", "山﨑 花子", "高橋 管理", "高橋 次郎") if f">{name}</a>" in html}


def test_personnel_find_variants_kana_and_numbers(app, client, login_as, create_user_factory):
    takahashi, yamazaki, staff = _people(app, create_user_factory)
    login_as("personnel", audience=None)
    # Only trainees are listed: the admin 高橋 is not someone whose training is followed here.
    assert _names(client, "/records/people?q=高橋") == {"髙橋 一郎"}
    assert _names(client, "/records/people?q=山崎") == {"山﨑 花子"}
    for query in ("4513", "004513", "０４５１３", "451", "ﾀｶﾊｼ", "タカハシ イチロウ", "たかはし"):
        assert _names(client, f"/records/people?q={query}") == {"髙橋 一郎"}, query
    assert _names(client, "/records/people?q=777") == {"山﨑 花子"}
    assert _names(client, "/records/people?q=77") == set()   # under 3 digits: the whole number only
    assert "該当する方はいません" in client.get("/records/people?q=45").get_data(as_text=True)
    assert _names(client, "/records/people?q=%25") == set()  # LIKE wildcards are plain text

    html = client.get(f"/records/people/{takahashi}").get_data(as_text=True)
    assert "髙橋 一郎さんの履歴" in html and "区民部 収納課" in html
    assert "窓口職員向けゲートキーパー講座" in html and "GK2026-" in html
    progress = html[html.index("学習中の講座"):html.index('id="done-title"')]
    assert "%" in progress and "学習中の講座はありません" not in progress
    assert client.get(f"/records/people/{staff}").status_code == 404
    assert client.get("/records/people/999999").status_code == 404


def test_instructors_find_only_members_of_their_own_classes(app, client, create_user_factory):
    takahashi, yamazaki, _staff = _people(app, create_user_factory)
    other, _ = create_user_factory("trainee", display_name="高橋 次郎", employee_no="004514")
    _mine, mine_login = create_user_factory("instructor")
    _theirs, theirs_login = create_user_factory("instructor")
    make_class(app, mine_login, name="収納課 2026", member_ids=[takahashi])
    make_class(app, theirs_login, name="別の課 2026", member_ids=[other, takahashi, yamazaki])
    assert AuthActions(client).login(mine_login).status_code == 302
    assert _names(client, "/teach/people?q=高橋") == {"髙橋 一郎"}
    assert _names(client, "/teach/people?q=山崎") == set()
    assert _names(client, "/teach/people?q=4514") == set()
    html = client.get(f"/teach/people/{takahashi}").get_data(as_text=True)
    assert "収納課 2026" in html and "別の課 2026" not in html and "GK2026-" in html
    for someone in (other, yamazaki, 999999):
        assert client.get(f"/teach/people/{someone}").status_code == 404


def test_the_key_follows_every_change(app, create_user_factory):
    uid, _ = create_user_factory("trainee", display_name="佐藤 一", employee_no="000123")
    with app.test_request_context():
        user = db.session.get(User, uid)
        assert [p.id for p in search("さとう").people] == [] and [p.id for p in search("佐藤").people] == [uid]
        update_profile(user, display_name="德田 一", name_kana="とくだ はじめ", email=None,
                       audience="counter_staff", department=None, employee_no="004600")
        db.session.commit()
        assert user.employee_no_digits == "4600"
        assert [p.id for p in search("徳田").people] == [uid] and [p.id for p in search("トクダ").people] == [uid]
        assert search("佐藤").people == [] and search("123").people == []
        user.display_name = "髙木 一"   # any ORM write, as the roster import does
        db.session.commit()
        assert [p.id for p in search("高木").people] == [uid]
        retention.erase([user])
        db.session.commit()
        assert search("高木").people == [] and search("4600").people == []
        stored = db.session.execute(select(User.search_key, User.employee_no_digits).where(User.id == uid)).one()
        assert stored.employee_no_digits is None and "高木" not in stored.search_key
