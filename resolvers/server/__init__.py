"""The process at work: server mode and status, live journey events."""
