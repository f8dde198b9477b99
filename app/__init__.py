"""Composition root and foundation: settings, app factory, CLI, database, tables, errors."""
