"""Flask extension objects, created unbound and initialised in ``create_app``.

Flask-Migrate (and Alembic under it) is set up by ``create_app`` only for the commands: the
web server never migrates, and importing Alembic cost each start about 0.2 s.
"""
from __future__ import annotations

from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from training.models.base import Base

db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
