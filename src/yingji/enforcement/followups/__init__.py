"""Follow-up inspections (复查) of rectification orders."""
