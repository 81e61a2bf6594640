"""Kafka messaging on aiokafka: producer, transactional outbox, consumer with inbox and DLQ."""
