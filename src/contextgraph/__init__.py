"""Context Graph: a customer-context server for contact centers.

One GraphQL graph over customers, services, states and tasks, plus the Context Services REST API.
"""

__version__ = "0.1.0"
