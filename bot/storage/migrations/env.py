"""Alembic environment: runs on the engine handed over by ``Database.upgrade``.

Standalone use: ``alembic -c bot/storage/migrations/alembic.ini upgrade head``
(the URL then comes from the application settings).
"""

from alembic import context

from bot.storage.models import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:
    from bot.settings import get_settings
    from bot.storage.db import make_engine

    engine = make_engine(get_settings().database_url)

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite needs batch ALTERs
    )
    with context.begin_transaction():
        context.run_migrations()
