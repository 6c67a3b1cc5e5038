"""The load test's databases: create a throwaway one, check acknowledged writes and integrity.

The checks open the database directly (sqlite3 or psycopg), after the server has stopped, so
they see what is on disk (SQLite) or committed (PostgreSQL), not what an app process holds.
"""
from __future__ import annotations

import os
import sqlite3
import urllib.parse
from collections import Counter
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import psycopg

from _load_client import Ack

#: What identifies an acknowledged write in each table (in the order of ``Ack.key``).
ACK_QUERIES = {
    "section_view": "SELECT user_id, course_id, module_id, section_id FROM section_view",
    "quiz_attempt": "SELECT id, user_id, course_id, quiz_id, submission_token FROM quiz_attempt",
    "survey_response": "SELECT user_id, course_id, phase FROM survey_response",
}


@dataclass(frozen=True)
class Database:
    """A throwaway database: ``url`` for the app, ``path`` (SQLite) or ``admin_url`` (PostgreSQL)."""

    kind: str
    url: str
    path: Path | None = None
    admin_url: str | None = None
    name: str = ""

    def connect(self):
        if self.kind == "sqlite":
            return sqlite3.connect(f"file:{self.path}?mode=rw", uri=True)  # never create an empty one
        return psycopg.connect(self.url)


def create_database(kind: str, folder: Path, postgres_url: str | None) -> Database:
    """An empty database: a SQLite file in ``folder``, or a new database beside ``postgres_url``'s."""
    if kind == "sqlite":
        path = folder / "load.sqlite3"
        return Database("sqlite", f"sqlite:///{path}", path=path)
    name = f"training_load_{os.getpid()}"
    with closing(psycopg.connect(postgres_url, autocommit=True)) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {name}")
    parts = urllib.parse.urlsplit(postgres_url)
    url = urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    return Database("postgres", url, admin_url=postgres_url, name=name)


def drop_database(database: Database) -> None:
    if database.kind == "postgres":
        with closing(psycopg.connect(database.admin_url, autocommit=True)) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {database.name} WITH (FORCE)")


def check_acknowledged(database: Database, acks: list[Ack]) -> tuple[Counter, list[Ack], Counter]:
    """(distinct acknowledged rows per table, those missing from the database, rows per table).

    Moving on from a section read before acknowledges the same row again: rows are counted once.
    """
    stored: dict[str, set[tuple]] = {}
    with closing(database.connect()) as connection:
        for table, query in ACK_QUERIES.items():
            with closing(connection.cursor()) as cursor:
                cursor.execute(query)
                stored[table] = {tuple(row) for row in cursor.fetchall()}
        connection.rollback()
    distinct = set(acks)
    counts = Counter(ack.table for ack in distinct)
    missing = sorted((ack for ack in distinct if ack.key not in stored[ack.table]), key=repr)
    return counts, missing, Counter({table: len(rows) for table, rows in stored.items()})


def check_integrity(database: Database) -> tuple[bool, str]:
    """(sound?, one line): SQLite's integrity and foreign-key checks, or PostgreSQL's tables and indexes."""
    if database.kind == "sqlite":
        with closing(database.connect()) as connection:
            integrity = [row[0] for row in connection.execute("PRAGMA integrity_check")]
            foreign = connection.execute("PRAGMA foreign_key_check").fetchall()
        ok = integrity == ["ok"] and not foreign
        return ok, (f"PRAGMA integrity_check: {'; '.join(integrity[:5])}; "
                    f"PRAGMA foreign_key_check: {len(foreign)} problem(s)")
    with closing(psycopg.connect(database.url, autocommit=True)) as connection:
        tables = [row[0] for row in connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
        rows = sum(connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in tables)
        try:
            connection.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
        except psycopg.Error as exc:
            return True, f"{len(tables)} tables readable ({rows} rows); amcheck unavailable ({exc.sqlstate})"
        indexes = connection.execute(
            "SELECT c.oid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE a.amname = 'btree' AND n.nspname = 'public'").fetchall()
        try:
            for (oid,) in indexes:
                connection.execute("SELECT bt_index_check(%s, true)", (oid,))
        except psycopg.Error as exc:
            return False, f"amcheck: {exc}".splitlines()[0]
    return True, (f"{len(tables)} tables readable ({rows} rows); "
                  f"amcheck bt_index_check(heapallindexed) on {len(indexes)} indexes")
