"""Extension values: checked against their schemas, stored as rows, read in batches; schema operations."""
