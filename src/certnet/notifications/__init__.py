"""Notifications: the outbox every domain sends mail through, SMTP delivery with retries."""
