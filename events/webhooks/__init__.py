"""Webhooks of an event: signed deliveries of its changes to receivers its organizers name (docs/webhooks.md)."""
