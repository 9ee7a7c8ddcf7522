"""Secrets never printed: at DEBUG, against servers that reject the token or echo it back in a 502
page, no captured line holds either bot token; unreachable or malformed base URLs are one line."""

import logging

import pytest
from click.testing import CliRunner
from pydantic import SecretStr

from bot.channels.telegram.app import TelegramChannel
from bot.channels.zalo.app import ZaloChannel
from bot.errors import ConfigError
from bot.service import Assistant
from tests.conftest import bot_settings, free_port
from tests.fakes.zalo_api import FakeZalo

WRONG_TELEGRAM = "987654:WRONG-telegram-token-value"
WRONG_ZALO = "777:WRONG-zalo-token-value"


async def test_no_log_line_holds_a_token(fake, seed_settings, tmp_path, embedder, caplog, capfd):
    logging.getLogger().setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    zalo = FakeZalo()
    await zalo.start()
    base = bot_settings(seed_settings, fake, database_url=f"sqlite:///{tmp_path / 'secrets.db'}")
    base = base.model_copy(update={"zalo_token": SecretStr(zalo.token), "zalo_base_url": zalo.base_url})
    core = Assistant(base, embedder=embedder)
    try:
        # Telegram: a rejected token (401 → InvalidToken), then a proxy's 502 page echoing the path.
        rejected = base.model_copy(update={"telegram_token": SecretStr(WRONG_TELEGRAM)})
        with pytest.raises(ConfigError, match="từ chối token") as err:
            await TelegramChannel(rejected, core).start()
        assert WRONG_TELEGRAM not in str(err.value)
        fake.inject("getMe", 502)
        with pytest.raises(ConfigError, match="Không kết nối được") as err:
            await TelegramChannel(base, core).start()
        assert fake.token not in str(err.value) and "\n" not in str(err.value)

        # Running: sends that hit the echoing 502 page are retried and logged, masked.
        channel = TelegramChannel(base, core)
        await channel.start()
        fake.inject("sendMessage", 502, 502)
        user = fake.user(990001, "Bảo mật")
        await fake.send(fake.private_chat(user), user, "khoán sản phẩm là gì")
        await fake.wait_for("sendMessage", lambda c: int(c.params["chat_id"]) == user["id"], timeout=60)
        fake.release_polls()
        await channel.stop()

        # Zalo: the same two servers.
        with pytest.raises(ConfigError, match="401"):
            await ZaloChannel(base.model_copy(update={"zalo_token": SecretStr(WRONG_ZALO)}), core).start()
        zalo.inject("getMe", 502)
        with pytest.raises(ConfigError):
            await ZaloChannel(base, core).start()
        channel = ZaloChannel(base, core)
        await channel.start()
        zalo.inject("sendMessage", 502)
        await zalo.say("zs1", "zs1", "Bảo mật", "khoán sản phẩm là gì", timeout=60)
        zalo.release_polls()
        await channel.stop()
    finally:
        await zalo.stop()
        core.close()
    captured = capfd.readouterr()
    lines = [caplog.text, captured.out, captured.err]
    lines += [r.getMessage() + "\n" + (r.exc_text or "") + (r.stack_info or "") for r in caplog.records]
    everything = "\n".join(lines)
    assert "502 Bad Gateway" in everything and "HTTP Request" in everything  # the logs were there
    for token in (fake.token, WRONG_TELEGRAM, zalo.token, WRONG_ZALO):
        for part in (token, token.split(":")[1]):
            assert part not in everything, part


@pytest.mark.parametrize(
    "channel, url",
    [
        ("telegram", "http://127.0.0.1:{port}/bot"),
        ("telegram", "htp:/khong-phai-url"),
        ("zalo", "http://127.0.0.1:{port}"),
        ("zalo", "khong-phai-url"),
    ],
)
def test_unreachable_or_invalid_base_urls_are_one_line(channel, url, seed_settings, tmp_path, embedder, monkeypatch):
    import bot.channels.runner as runner
    from bot import cli

    url = url.format(port=free_port())
    if channel == "telegram":
        update = {"telegram_token": SecretStr("123:secret-telegram-token"), "telegram_base_url": url}
    else:
        update = {"zalo_token": SecretStr("456:secret-zalo-token"), "zalo_base_url": url}
    settings = seed_settings.model_copy(update={**update, "database_url": f"sqlite:///{tmp_path / 'u.db'}"})
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    monkeypatch.setattr(runner, "Assistant", lambda s: Assistant(s, embedder=embedder))
    result = CliRunner().invoke(cli.main, ["run"])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Lỗi: ") and "Traceback" not in result.output, result.output
    assert "secret-" not in result.output
