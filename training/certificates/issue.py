"""Issuing, reissuing and revoking certificates; their state on a given day."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from training import audit
from training.certificates.codes import new_verification_code, serial_for
from training.content.model import Course
from training.dates import JST, fiscal_year_of
from training.extensions import db
from training.models import Certificate, CourseCompletion, User, utcnow

VALID, REVOKED, EXPIRED, SUPERSEDED = "valid", "revoked", "expired", "superseded"
STATE_LABELS = {VALID: "有効", REVOKED: "取消", EXPIRED: "期限切れ", SUPERSEDED: "再発行により無効"}


class CertificateError(ValueError):
    """A Japanese message explaining why the operation was refused."""


def state(certificate: Certificate, today: dt.date) -> str:
    """有効 / 取消 / 期限切れ / 再発行により無効, on ``today``."""
    if certificate.revoked_at:
        return REVOKED
    if certificate.superseded_at:
        return SUPERSEDED
    if certificate.valid_until and today > certificate.valid_until:
        return EXPIRED
    return VALID


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _insert_with_next_sequence(make) -> Certificate:
    """Insert a certificate built by ``make(sequence)`` with the next free sequence number.

    Two issues at the same moment may pick the same number; the unique constraint refuses
    the second, which then takes the next one.
    """
    for _ in range(10):
        certificate = make()
        try:
            with db.session.begin_nested():
                db.session.add(certificate)
            return certificate
        except IntegrityError:
            continue
    raise CertificateError("修了証番号を割り当てられませんでした。もう一度お試しください。")


def touch_completion(completion_id: int) -> None:
    """The completion's API row changed (new serial or status): set its ``updated_at``."""
    completion = db.session.get(CourseCompletion, completion_id)
    if completion is not None:
        completion.updated_at = utcnow()


def issue(completion: CourseCompletion, user: User, course: Course, settings) -> Certificate:
    """Issue the certificate for a course completion (once; later calls return it)."""
    existing = db.session.scalar(select(Certificate).where(
        Certificate.course_completion_id == completion.id, Certificate.superseded_at.is_(None)))
    if existing is not None:
        return existing
    completed_on = completion.completed_at.astimezone(JST).date()
    fiscal_year = fiscal_year_of(completed_on)

    def make() -> Certificate:
        sequence = (db.session.scalar(select(func.max(Certificate.sequence))
                                      .where(Certificate.fiscal_year == fiscal_year)) or 0) + 1
        return Certificate(
            serial=serial_for(fiscal_year, sequence), fiscal_year=fiscal_year, sequence=sequence, revision=1,
            verification_code=new_verification_code(), user_id=user.id, course_completion_id=completion.id,
            course_id=course.id, recipient_name=user.display_name, course_title=course.title,
            audience=course.audience, completed_on=completed_on,
            valid_until=add_years(completed_on, course.validity_years) if course.validity_years else None,
            content_version=completion.content_version, issuer_title=settings.issuer_title,
            issuer_name=settings.issuer_name,
        )

    certificate = _insert_with_next_sequence(make)
    completion.updated_at = utcnow()  # the API row now has a 修了証番号 (updated_since)
    audit.record("certificate.issue", actor=user, target_type="certificate", target_id=certificate.serial,
                 course=course.id)
    return certificate


def reissue(old: Certificate, user: User, reason: str) -> Certificate:
    """A new revision under the same serial, with the user's current name; the old one is superseded."""
    if old.revoked_at:
        raise CertificateError("取り消された修了証は再発行できません。")
    if old.superseded_at:
        raise CertificateError("この修了証はすでに再発行されています。最新のものを選んでください。")
    revision = (db.session.scalar(select(func.max(Certificate.revision)).where(
        Certificate.fiscal_year == old.fiscal_year, Certificate.sequence == old.sequence)) or 1) + 1
    new = Certificate(
        serial=serial_for(old.fiscal_year, old.sequence, revision), fiscal_year=old.fiscal_year,
        sequence=old.sequence, revision=revision, verification_code=new_verification_code(), user_id=old.user_id,
        course_completion_id=old.course_completion_id, course_id=old.course_id, recipient_name=user.display_name,
        course_title=old.course_title, audience=old.audience, completed_on=old.completed_on,
        valid_until=old.valid_until, content_version=old.content_version, reissue_of_id=old.id,
        issuer_title=old.issuer_title, issuer_name=old.issuer_name,
    )
    old.superseded_at = utcnow()
    touch_completion(old.course_completion_id)
    db.session.add(new)
    db.session.flush()
    audit.record("certificate.reissue", target_type="certificate", target_id=new.serial,
                 previous=old.serial, reason=reason, name_before=old.recipient_name, name_after=new.recipient_name)
    return new


def revoke(certificate: Certificate, reason: str, actor) -> None:
    """Revoke with a reason (shown as 取消 on the verification page), audited."""
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError("取消の理由を入力してください。")
    if certificate.revoked_at:
        raise CertificateError("この修了証はすでに取り消されています。")
    certificate.revoked_at = utcnow()
    certificate.revoked_reason = reason
    certificate.revoked_by_id = actor.id
    touch_completion(certificate.course_completion_id)
    audit.record("certificate.revoke", actor=actor, target_type="certificate", target_id=certificate.serial,
                 reason=reason)


def history(certificate: Certificate) -> list[Certificate]:
    """Every revision of this certificate's serial, oldest first."""
    return list(db.session.scalars(select(Certificate).where(
        Certificate.fiscal_year == certificate.fiscal_year, Certificate.sequence == certificate.sequence)
        .order_by(Certificate.revision)))
