"""Course content: loaded from modules/ and quizzes/ once at start-up, immutable afterwards.

``load_checked(root)`` returns the Content or raises ContentInvalid with every problem.
Loaded content is cached per process by the files' sizes and modification times, so tests
and CLI commands that build many apps parse it once.
"""
from __future__ import annotations

from pathlib import Path

from flask import current_app

from training.content.issues import ContentInvalid
from training.content.loader import load_content
from training.content.model import Content

_cache: dict[str, tuple[tuple, Content]] = {}


def _fingerprint(root: Path) -> tuple:
    files = sorted([*root.glob("modules/*"), *root.glob("quizzes/*")])
    return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files if p.is_file())


def load_checked(root: str | Path) -> Content:
    """The content under ``root``, or ContentInvalid listing every problem."""
    root = Path(root).resolve()
    fingerprint = _fingerprint(root)
    cached = _cache.get(str(root))
    if cached and cached[0] == fingerprint:
        return cached[1]
    content, issues = load_content(root)
    if content is None:
        raise ContentInvalid(issues)
    _cache[str(root)] = (fingerprint, content)
    return content


def current_content() -> Content:
    """The content of the running app."""
    return current_app.extensions["content"]


__all__ = ["Content", "ContentInvalid", "current_content", "load_checked", "load_content"]
