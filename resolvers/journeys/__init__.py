"""Services, states and tasks: their events, records, operations and the composite start."""
