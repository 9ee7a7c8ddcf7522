"""A fresh installation without any chat bot logs in to the dashboard: ``hoidap serve`` says how,
``hoidap admin link`` prints the link, under HOIDAP_PUBLIC_URL or else the address served."""

import pytest
from click.testing import CliRunner

from bot import cli
from bot.conversation import weblogin
from bot.conversation.actor import PRIVATE, Actor
from bot.errors import UserInputError
from tests.conftest import make_settings


def test_links_default_to_the_address_the_server_listens_on(tmp_path):
    assert make_settings(tmp_path).site_url == "http://127.0.0.1:8080"
    assert make_settings(tmp_path, web_host="0.0.0.0", web_port=9000).site_url == "http://127.0.0.1:9000"
    assert make_settings(tmp_path, web_host="10.0.0.5").site_url == "http://10.0.0.5:8080"
    public = make_settings(tmp_path, public_url="https://hoidap.example.vn/")
    assert public.site_url == "https://hoidap.example.vn"


def test_serve_says_how_to_log_in_until_someone_has(tmp_path, monkeypatch, assistant):
    settings = make_settings(tmp_path)
    served = []
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    monkeypatch.setattr(cli, "_start_logging", lambda s: None)
    monkeypatch.setattr("bot.channels.runner.run_channels", lambda s, http: served.append((s.site_url, http)))
    runner = CliRunner()

    first = runner.invoke(cli.main, ["serve", "--port", "8181"])
    assert first.exit_code == 0, first.output
    assert "http://127.0.0.1:8181/admin/" in first.output
    assert "HOIDAP_WEB_HOST=127.0.0.1 HOIDAP_WEB_PORT=8181 hoidap admin link" in first.output
    assert served == [("http://127.0.0.1:8181", ("127.0.0.1", 8181))]  # links made by the server point here

    from bot.service import Assistant

    core = Assistant(settings, embedder=assistant.embedder).conversation()
    url = weblogin.console_link(core, Actor("terminal", "local", "terminal", PRIVATE, "Máy chủ"), "admin", "admin")
    assert weblogin.redeem(core, url.split("?t=", 1)[1]) is not None  # someone logged in once
    again = runner.invoke(cli.main, ["serve"])
    assert again.exit_code == 0 and "hoidap admin link" not in again.output


def test_only_the_console_admin_makes_dashboard_staff(assistant):
    core = assistant.conversation()
    member = Actor("telegram", "42", "42", PRIVATE, "Lan")
    result = CliRunner().invoke(cli.main, ["admin", "link", "--role", "boss"])
    assert result.exit_code == 2  # click refuses a role it does not know
    with pytest.raises(UserInputError, match="chỉ quản trị viên"):
        weblogin.console_link(core, member, "admin", "lan")
