"""Outside debug and testing a SECRET_KEY shorter than 32 bytes is refused like a missing one (issue 12)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from training import ConfigurationError, create_app

TRAINING = str(Path(sys.executable).parent / "training")


def _environment(monkeypatch, tmp_path, secret: str) -> None:
    monkeypatch.setenv("SECRET_KEY", secret)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")


def _message_for_missing(monkeypatch, tmp_path) -> str:
    _environment(monkeypatch, tmp_path, "")
    with pytest.raises(ConfigurationError) as missing:
        create_app()
    return str(missing.value)


@pytest.mark.parametrize("secret", ["short", "x" * 31, "あ" * 10])  # 10 kana are 30 bytes in UTF-8
def test_a_short_secret_is_refused_with_the_missing_key_message(monkeypatch, tmp_path, secret):
    expected = _message_for_missing(monkeypatch, tmp_path)
    _environment(monkeypatch, tmp_path, secret)
    with pytest.raises(ConfigurationError) as short:
        create_app()
    assert str(short.value) == expected
    assert "\n" not in expected


def test_a_32_byte_secret_is_accepted(monkeypatch, tmp_path):
    _environment(monkeypatch, tmp_path, "x" * 32)
    assert create_app().config["SECRET_KEY"] == "x" * 32


def test_testing_and_debug_may_use_a_short_secret(monkeypatch, tmp_path):
    _environment(monkeypatch, tmp_path, "short")
    assert create_app({"TESTING": True}).config["SECRET_KEY"] == "short"
    assert create_app({"DEBUG": True}).config["SECRET_KEY"] == "short"


def test_the_cli_prints_one_line_for_a_short_secret(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "INSTANCE_PATH": str(tmp_path),
           "SECRET_KEY": "too-short-secret"}
    result = subprocess.run([TRAINING, "init-db"], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("エラー: SECRET_KEY"), result.stderr
