"""Customer profiles: create, read, update, delete, merge, identify, bulk import."""
