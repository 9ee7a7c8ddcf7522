"""Zalo channel: httpx client of the Zalo Bot Platform API and the channel over the core."""
