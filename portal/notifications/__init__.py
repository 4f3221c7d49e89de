"""Email notifications: events queued in a table, sent as one digest per user (see services)."""
