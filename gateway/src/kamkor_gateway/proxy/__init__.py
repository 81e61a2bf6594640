"""Passing API calls through to the service that owns them."""
