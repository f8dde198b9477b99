"""The documented Context Services REST paths: parse the request, call a resolver, shape the answer."""
