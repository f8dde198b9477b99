"""The domain: plain async functions over a Context. Every rule of the spec lives here, once."""
