"""Both channels from one process: `hoidap run` with a Telegram and a Zalo token."""

import asyncio

from pydantic import SecretStr

from bot.channels.runner import serve
from tests.conftest import bot_settings
from tests.fakes.zalo_api import FakeZalo


async def test_telegram_and_zalo_served_by_one_process(fake, seed_settings, tmp_path, monkeypatch, embedder):
    import bot.channels.runner as runner
    from bot.service import Assistant

    # One model per process: reuse the session's instead of loading a second copy.
    monkeypatch.setattr(runner, "Assistant", lambda settings: Assistant(settings, embedder=embedder))
    zalo = FakeZalo()
    await zalo.start()
    settings = bot_settings(seed_settings, fake, database_url=f"sqlite:///{tmp_path / 'both.db'}").model_copy(
        update={"zalo_token": SecretStr(zalo.token), "zalo_base_url": zalo.base_url}
    )
    stop = asyncio.Event()
    server = asyncio.create_task(serve(settings, stop))
    try:
        reply = await zalo.say("zu1", "zu1", "Hoa", "khoán sản phẩm là gì", timeout=60)
        assert "Câu hỏi 5" in reply.params["text"]
        user = fake.user(700001, "An")
        chat = fake.private_chat(user)
        await fake.send(chat, user, "khoán sản phẩm là gì")
        call = await fake.wait_for("sendMessage", lambda c: int(c.params["chat_id"]) == chat["id"], timeout=60)
        assert "Câu hỏi 5" in call.params["text"]
    finally:
        fake.release_polls()
        zalo.release_polls()
        stop.set()
        await asyncio.wait_for(server, 60)
        await zalo.stop()


async def test_serve_on_a_fresh_installation_builds_the_index_then_is_ready(settings, embedder):
    """`hoidap serve` with documents but no index yet: /healthz at once, /readyz once the index is built."""
    import httpx

    from bot.channels.runner import Runner
    from bot.service import Assistant

    core = Assistant(settings, embedder=embedder)
    assert core.library.index_versions() == []
    runner = Runner(settings, core, http=("127.0.0.1", 0))
    try:
        await runner.start()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{runner.port}") as client:
            assert (await client.get("/healthz")).text == "ok"
            ready = (await client.get("/readyz")).json()
        assert ready == {
            "ready": True,
            "index": core.library.index_versions()[-1].name,
            "database": True,
            "redis": "off",
            "degraded": False,
        }
    finally:
        await runner.stop()
        core.close()
