"""What the GraphQL surface reads of the configuration: its limits (README "Limits"), each refused
before anything runs, and its switches.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from contextgraph.resolvers.settings import DomainSettings


class GraphQLSettings(BaseModel):
    """The GraphQL settings (README "Configuration")."""

    graphql_max_depth: int = Field(default=15, ge=1)
    graphql_max_aliases: int = Field(default=30, ge=0)
    graphql_max_tokens: int = Field(default=5000, ge=100)
    graphql_max_cost: int = Field(default=100_000, ge=1)
    # The most items a GraphQL list answers (its `first`, or all up to this); page on with `offset`.
    graphql_max_list: int = Field(default=1000, ge=1)
    # What a list field without `first` counts for in the cost.
    graphql_list_estimate: int = Field(default=10, ge=1)
    # The most objects (list items) one GraphQL answer may hold, whatever the data: bounds the
    # answer's size and memory where the cost's estimate for lists without `first` falls short.
    graphql_max_objects: int = Field(default=50_000, ge=1)
    # Seconds a query or mutation may run (subscriptions are not limited).
    graphql_timeout: float = Field(default=30.0, gt=0)
    graphql_introspection: bool = True
    # "Did you mean …?" in validation errors tells strangers the schema: off unless asked for.
    graphql_suggestions: bool = False
    # Documents (known, persisted by APQ) each schema holds, and the characters of text they may
    # add up to (schema/documents.py): the least recently used go first.
    graphql_documents: int = Field(default=128, ge=1)
    graphql_documents_chars: int = Field(default=65_536, ge=1024)
    # Trusted-documents mode: only documents registered ahead of time run (README "Persisted queries").
    graphql_trusted_documents: bool = False
    # Queries run their compiled plans (schema/plans.py); off: graphql-core's field walk alone.
    graphql_compiled: bool = True


class SchemaSettings(DomainSettings, GraphQLSettings):
    """What the GraphQL surface reads: its own settings and the domain's (input bounds)."""
