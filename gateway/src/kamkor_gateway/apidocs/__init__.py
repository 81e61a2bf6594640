"""One OpenAPI document for the whole platform, and the docs page that shows it."""
