"""Pages the server ships with every asset they need (no CDN): the journey viewer and GraphiQL."""
