"""Chat channels: transports over the conversation core (:mod:`bot.conversation`).

Each channel maps its updates to an Actor and one core call, renders the typed replies, and sends
them with retries. Shared here: HTML/plain splitting, plain-text rendering, retries, the webhook
endpoint, secret-masking logs, and the runner that starts everything.
"""
