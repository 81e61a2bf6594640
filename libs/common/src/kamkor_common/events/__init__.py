"""The event contracts: CloudEvents envelope, topics and the schemas of each producer."""
