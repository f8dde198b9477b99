"""Who may do what: the spec's task names (roles), API keys and their principals."""
