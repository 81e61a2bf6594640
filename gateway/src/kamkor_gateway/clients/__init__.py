"""API clients: partner systems' credentials and the client-credentials grant."""
