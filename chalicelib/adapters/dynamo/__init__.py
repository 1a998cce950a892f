"""DynamoDB persistence (PynamoDB)."""
