"""Writing audit log entries. One function, called wherever something must be audited."""
from __future__ import annotations

import ipaddress

from flask import has_request_context, request
from flask_login import current_user

from training.extensions import db
from training.models import AuditEntry

#: Japanese labels for the audit log page.
AUDIT_LABELS = {
    "login.success": "ログイン成功",
    "login.failure": "ログイン失敗",
    "user.create": "利用者の作成",
    "user.update": "登録情報の変更",
    "department.create": "所属の追加",
    "department.update": "所属の変更",
    "department.reorganise": "組織改正の記録",
    "department.roll_over": "組織改正による所属の付け替え",
    "department.map": "所属の対応づけ",
    "user.roles_change": "役割の変更",
    "user.deactivate": "利用者の無効化",
    "user.reactivate": "利用者の再有効化",
    "user.password_change": "パスワード変更",
    "user.password_change_failure": "パスワード変更の失敗",
    "user.password_reset": "仮パスワードの設定",
    "records.export": "修了記録の出力",
    "api.completions": "API：修了記録の取得",
    "api.token_create": "APIトークンの作成",
    "api.token_revoke": "APIトークンの無効化",
    "audit.export": "監査ログの出力",
    "certificate.issue": "修了証の発行",
    "certificate.reissue": "修了証の再発行",
    "certificate.revoke": "修了証の取消",
    "course.complete": "コースの修了",
    "settings.change": "設定の変更",
    "roster.import": "名簿の取り込み",
    "class.create": "クラスの作成",
    "class.archive": "クラスのアーカイブ",
    "class.restore": "クラスのアーカイブ解除",
    "class.delete": "クラスの削除",
    "class.copy": "クラスの次年度へのコピー",
    "class.reminders": "リマインドの送信",
    "class.progress_export": "進み具合の出力",
    "class.unfinished_export": "未修了者一覧の出力（クラス）",
    "class.outbox_marked_sent": "送信箱のお願いを送信済みにする",
    "records.unfinished_export": "未修了者一覧の出力（所属別）",
    "records.reminders": "リマインドの送信（所属別の未修了者から）",
    "class.owner_add": "クラスの担当を加える",
    "class.member_remove": "受講者をクラスから外す",
    "class.member_move": "受講者のクラス移動",
    "class.member_edit": "受講者の登録情報の変更（研修担当）",
    "class.member_password_reset": "受講者の初回ログイン用パスワードの再発行",
    "class.owner_remove": "クラスの担当を外す",
    "slips.download": "ID通知書のダウンロード",
    "talk.request": "声をかけてほしいという依頼",
    "talk.follow_up": "声かけの依頼への対応の記録",
    "contact.update": "相談先の変更",
    "contact.add": "相談先の追加",
    "contact.verify": "相談先の確認",
    "directory.update": "つなぎ先の変更",
    "session.create": "集合研修の作成",
    "session.update": "集合研修の変更",
    "session.delete": "集合研修の削除",
    "session.owner_add": "集合研修の担当を加える",
    "session.owner_remove": "集合研修の担当を外す",
    "session.participants_add": "集合研修の参加者の追加",
    "session.participant_remove": "集合研修の参加者を外す",
    "session.attendance": "集合研修の出欠の記録",
    "session.attendance_csv": "集合研修の出欠の取り込み（CSV）",
    "session.roleplay": "ロールプレイの項目の記録",
    "session.blended": "集合研修の出席でブレンド研修を修了",
    "session.walk_in_sign_in": "当日参加の方にログイン用パスワードを発行",
    "records.yearly_report": "年次報告を出力",
    "session.checkin": "集合研修のQRコードでの受付",
    "session.checkin_request": "集合研修のQR受付で登録を求めた方（未登録）",
    "job.start": "時間のかかる処理の開始",
    "job.cancel": "時間のかかる処理の取り消し",
    "job.retry": "時間のかかる処理のやり直し",
    "reminders.job_send": "リマインドの送信（画面の裏での送信）",
    "retention.erase": "保存期間を過ぎた個人情報の削除",
    "class.certificates_zip": "修了証のまとめてダウンロード（クラス）",
}


def client_address() -> str | None:
    """The client's address (after ProxyFix, when configured behind a proxy), or None.

    Behind a proxy that passes on the client's own X-Forwarded-For, any text would arrive
    here and be stored (too long for the column, or with NUL: a 500), so only an IP address counts.
    """
    if not has_request_context() or not request.remote_addr:
        return None
    try:
        return str(ipaddress.ip_address(request.remote_addr))
    except ValueError:
        return None


def record(
    action: str,
    *,
    actor=None,
    target_type: str | None = None,
    target_id: object | None = None,
    **detail,
) -> AuditEntry:
    """Add an audit entry to the current transaction (the caller commits).

    ``actor`` defaults to the signed-in user; anonymous events have none.
    """
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        ip_address=client_address(),
        detail=detail,
    )
    db.session.add(entry)
    return entry
