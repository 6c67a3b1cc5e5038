"""Course content: loaded from modules/ and quizzes/ once at start-up, immutable afterwards.

``load_checked(root)`` returns the Content or raises ContentInvalid with every problem.
Loaded content is cached per process by the files' sizes and modification times, so tests
and CLI commands that build many apps parse it once. With ``cache_dir`` (the app's instance
folder) the checked content is also kept on disk, keyed by the sizes and modification times
of every content file and of the code that reads it: a restart loads it in about 20 ms instead of parsing and
checking it again for about a second (docs/decisions.md, "Memory and cold start").
"""
from __future__ import annotations

import hashlib
import hmac
import os
import pickle
import stat
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from flask import current_app

from training.content.issues import ContentInvalid
from training.content.model import Content

_cache: dict[str, tuple[tuple, Content]] = {}


def _fingerprint(root: Path) -> tuple:
    files = sorted([*root.glob("modules/*"), *root.glob("quizzes/*")])
    stats = ((p, p.stat()) for p in files)  # one stat a file (this runs at every app's start)
    return tuple((str(p), st.st_mtime_ns, st.st_size) for p, st in stats if stat.S_ISREG(st.st_mode))


#: The code that turns files into Content: any change to it (or to its libraries) is a new key.
_CODE_ROOT = Path(__file__).resolve().parent.parent
_LIBRARIES = ("markdown-it-py", "PyYAML")


def _disk_key(root: Path, fingerprint: tuple) -> str:
    """The cache entry's name: Python, pickle and the parser libraries' versions, and the path,
    size and modification time of every content file and of every module of the app (the
    code that parses and checks the files, and the classes the pickle refers to). Sizes and
    times, as Python's own bytecode cache uses them: a restart stats some 360 files (a few
    milliseconds) instead of reading and hashing them (40 ms)."""
    digest = hashlib.sha256(f"{sys.version}|{pickle.HIGHEST_PROTOCOL}".encode())
    for name in _LIBRARIES:
        digest.update(f"|{name}={metadata.version(name)}".encode())
    code = [(path, path.stat()) for path in sorted(_CODE_ROOT.rglob("*.py"))]
    for path, mtime, size in [*fingerprint, *((p, s.st_mtime_ns, s.st_size) for p, s in code)]:
        path = Path(path)
        digest.update(f"\0{path.relative_to(root if path.is_relative_to(root) else _CODE_ROOT)}"
                      f"\0{mtime}\0{size}".encode())
    return digest.hexdigest()


def _read_disk(path: Path, signing_key: bytes) -> Content | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    mac, body = data[:32], data[32:]
    # Only a file this app wrote (signed with its secret key) is unpickled.
    if len(mac) != 32 or not hmac.compare_digest(mac, hmac.new(signing_key, body, "sha256").digest()):
        return None
    return pickle.loads(body)


def _write_disk(folder: Path, path: Path, content: Content, signing_key: bytes) -> None:
    """Write atomically and remove older entries; a folder that cannot be written is no error."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        body = pickle.dumps(content, protocol=pickle.HIGHEST_PROTOCOL)
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=".content-")
        with os.fdopen(fd, "wb") as out:
            out.write(hmac.new(signing_key, body, "sha256").digest() + body)
        os.replace(temporary, path)
        for old in folder.glob("content-*.pickle"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        pass


def load_checked(root: str | Path, cache_dir: str | Path | None = None, signing_key: bytes = b"") -> Content:
    """The content under ``root``, or ContentInvalid listing every problem.

    ``cache_dir`` and ``signing_key``: keep the checked content there between starts (only valid
    content is kept, so invalid content still stops every start)."""
    root = Path(root).resolve()
    fingerprint = _fingerprint(root)
    cached = _cache.get(str(root))
    if cached and cached[0] == fingerprint:
        return cached[1]
    content = disk_path = None
    if cache_dir is not None and signing_key:
        disk_path = Path(cache_dir) / f"content-{_disk_key(root, fingerprint)}.pickle"
        content = _read_disk(disk_path, signing_key)
    if content is None:
        from training.content.loader import load_content  # the parser and its checks: only on a miss

        content, issues = load_content(root)
        if content is None:
            raise ContentInvalid(issues)
        if disk_path is not None:
            _write_disk(disk_path.parent, disk_path, content, signing_key)
    _cache[str(root)] = (fingerprint, content)
    return content


def __getattr__(name: str):
    """``load_content`` (the parser, with YAML and Markdown) is imported when first asked for."""
    if name == "load_content":
        from training.content.loader import load_content

        return load_content
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def current_content() -> Content:
    """The content of the running app."""
    return current_app.extensions["content"]


__all__ = ["Content", "ContentInvalid", "current_content", "load_checked", "load_content"]
