"""Kamkor's API gateway: one front door to the services, and the `kamkor` command."""
