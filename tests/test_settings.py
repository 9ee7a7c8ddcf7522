"""One settings object: environment prefix, .env, secrets, database URL, factories."""

import pytest

from bot.errors import ConfigError
from bot.settings import Settings


def test_defaults_use_sqlite_and_no_tokens(monkeypatch):
    for var in ("DATABASE_URL", "HOIDAP_DATABASE_URL", "HOIDAP_TELEGRAM_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    s = Settings(_env_file=None)
    assert s.database_url.startswith("sqlite:///")
    assert s.telegram_token is None


def test_environment_prefix_secrets_and_id_lists(monkeypatch):
    monkeypatch.setenv("HOIDAP_TELEGRAM_TOKEN", "123:abc")
    monkeypatch.setenv("HOIDAP_ADMIN_IDS", "11, 22")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@127.0.0.1/x")
    s = Settings(_env_file=None)
    assert s.telegram_token.get_secret_value() == "123:abc"
    assert "123:abc" not in repr(s)
    assert s.admin_ids == [11, 22]
    assert s.database_url == "postgresql+psycopg://u@127.0.0.1/x"


def test_dotenv_file_is_read(tmp_path, monkeypatch):
    monkeypatch.delenv("HOIDAP_MAX_SUGGESTIONS", raising=False)
    env = tmp_path / ".env"
    env.write_text("HOIDAP_MAX_SUGGESTIONS=2\n")
    assert Settings(_env_file=env).max_suggestions == 2


def test_env_example_documents_every_field():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / ".env.example").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"HOIDAP_{name.upper()}" in text, name


@pytest.mark.parametrize(
    "factory, name",
    [
        ("bot.segment.factory:create_segmenter", "jieba"),
        ("bot.lexical.factory:create_keyword_index", "tfidf"),
    ],
)
def test_factories_name_the_bad_backend(factory, name):
    import importlib

    module, fn = factory.split(":")
    with pytest.raises(ConfigError, match=name):
        getattr(importlib.import_module(module), fn)(name)


def test_vector_and_embedder_factories_name_the_bad_backend():
    from bot.ann.factory import create_vector_index
    from bot.embed.factory import create_embedder

    with pytest.raises(ConfigError, match="annoy"):
        create_vector_index("annoy", 8, 10, 100)
    with pytest.raises(ConfigError, match="openai"):
        create_embedder(Settings(_env_file=None, embedder="openai"))


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("HOIDAP_ADMIN_IDS", "[0]", "phải là số nguyên"),
        ("HOIDAP_QUIZ_CLAIM_TIMEOUT_SECONDS", "1", "phải từ 5.0 trở lên"),
    ],
)
def test_a_bad_setting_is_named_in_vietnamese_without_a_traceback(monkeypatch, tmp_path, name, value, said):
    from click.testing import CliRunner

    from bot import cli
    from bot.settings import get_settings

    monkeypatch.chdir(tmp_path)  # no .env of this checkout
    get_settings.cache_clear()  # read once per process: earlier tests may have read them already
    try:
        result = CliRunner().invoke(cli.main, ["docs", "list"], env={name: value})
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1, result.output
    assert "Cấu hình không hợp lệ" in result.output and f"{name}={value}: {said}" in result.output
    assert "Traceback" not in result.output and "pydantic" not in result.output
