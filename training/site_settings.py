"""Administrator settings (organisation, certificate signatory, seal, date style).

Kept in the database so that every app server reads the same values; defaults come from the
configuration. Read with one query per request that needs them.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

from flask import current_app
from sqlalchemy import select

from training import audit
from training.extensions import db
from training.models import SiteSetting

DATE_STYLES = {"wareki": "和暦（令和8年11月26日）", "seireki": "西暦（2026年11月26日）"}


@dataclass(frozen=True)
class SiteSettings:
    organisation_name: str
    issuer_title: str
    issuer_name: str
    seal_data_uri: str      # "" when no seal image is set
    date_style: str         # wareki | seireki
    yearly_target: int      # gatekeepers to train per fiscal year (the plan: 350)
    retention_years: int    # personal data of trainees kept this long (0: kept)


def defaults() -> dict:
    return {
        "organisation_name": current_app.config["ORGANISATION_NAME"],
        "issuer_title": f"{current_app.config['ORGANISATION_NAME']}長",
        "issuer_name": "",
        "seal_data_uri": "",
        "date_style": "wareki",
        "yearly_target": 350,
        "retention_years": 0,
    }


def load() -> SiteSettings:
    values = defaults()
    for row in db.session.scalars(select(SiteSetting)):
        if row.key in values:
            values[row.key] = row.value
    return SiteSettings(**values)


def save(**changes) -> list[str]:
    """Store changed values (audited); returns the names of the settings that changed."""
    current = load()
    names = {f.name for f in fields(SiteSettings)}
    changed = []
    for key, value in changes.items():
        if key not in names:
            raise KeyError(key)
        if getattr(current, key) == value:
            continue
        row = db.session.get(SiteSetting, key)
        if row is None:
            db.session.add(SiteSetting(key=key, value=value))
        else:
            row.value = value
        changed.append(key)
    if changed:
        audit.record("settings.change", target_type="settings", target_id=",".join(changed),
                     changed=[k if k != "seal_data_uri" else "seal" for k in changed])
    return changed
