"""The web: one HTTP app (webhooks, health, metrics), the web chat (a third thin channel over the
conversation core) and the dashboard for officers and admins."""
