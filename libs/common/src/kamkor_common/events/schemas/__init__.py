"""Event payload schemas, one module per producing service: each module is a contract."""
