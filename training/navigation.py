"""Navigation per role: one list, filtered by the signed-in user's roles."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: str
    roles: frozenset[str] = frozenset()  # empty: every signed-in user


#: In display order. Areas added by later issues append their entries here.
NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("main.home", "ホーム"),
    NavItem("teach.classes", "担当クラス", frozenset({"instructor", "admin"})),
    NavItem("teach.sessions", "集合研修", frozenset({"instructor"})),
    NavItem("teach.people", "受講者の検索", frozenset({"instructor"})),
    NavItem("records.dashboard", "養成状況", frozenset({"admin", "personnel"})),
    NavItem("records.yearly_report_page", "年次報告", frozenset({"admin", "personnel"})),
    NavItem("records.unfinished_page", "未修了者", frozenset({"admin", "personnel"})),
    NavItem("records.export_page", "修了記録", frozenset({"admin", "personnel"})),
    NavItem("records.people", "個人履歴", frozenset({"admin", "personnel"})),
    NavItem("records.tokens", "API連携", frozenset({"admin", "personnel"})),
    NavItem("certificates.admin_list", "修了証", frozenset({"admin", "personnel"})),
    NavItem("admin.users", "利用者管理", frozenset({"admin"})),
    NavItem("admin.departments_list", "所属マスタ", frozenset({"admin", "personnel"})),
    NavItem("admin.audit_log", "監査ログ", frozenset({"admin"})),
    NavItem("admin.contacts", "相談先の確認", frozenset({"admin"})),
    NavItem("admin.directory", "つなぎ先", frozenset({"admin"})),
    NavItem("admin.settings", "設定", frozenset({"admin"})),
    NavItem("jobs.my_jobs", "作成したファイル", frozenset({"instructor", "personnel", "admin"})),  # background jobs (issue 18)
    NavItem("auth.change_password", "パスワード変更"),
)


_MENUS: dict[tuple[frozenset[str], frozenset[str]], tuple[NavItem, ...]] = {}


def items_for(user, endpoints: frozenset[str]) -> tuple[NavItem, ...]:
    """The items a user may see, limited to endpoints the app actually has.

    Every page draws the menu, so it is built once per set of roles (there are a handful)."""
    if not user.is_authenticated:
        return ()
    key = (frozenset(user.roles), endpoints)
    menu = _MENUS.get(key)
    if menu is None:
        menu = _MENUS[key] = tuple(item for item in NAV_ITEMS if item.endpoint in endpoints
                                   and (not item.roles or item.roles & key[0]))
    return menu
