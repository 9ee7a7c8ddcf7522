"""The conversation core: every flow once, taking an Actor and returning typed replies.

Channels (Telegram, Zalo, terminal, web) use :class:`bot.conversation.core.Conversation`
(``Assistant.conversation()``) and render :mod:`bot.conversation.replies`.
"""
