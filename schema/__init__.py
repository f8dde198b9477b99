"""Strawberry types and the schema builder; per-request DataLoaders; GraphQL error mapping."""
