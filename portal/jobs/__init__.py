"""Jobs: a kept queue for work that must not run in a web request. Nothing is imported here."""
