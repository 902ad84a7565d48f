"""Webhooks: the change feed's events delivered by HTTP POST, signed as Standard Webhooks, at
least once and in commit order per row (docs/change-feed.md, "Webhooks")."""
