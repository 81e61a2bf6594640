"""The AsyncAPI 3.0 document of every topic and event type, built from the declarations."""

from __future__ import annotations

import functools
from typing import Any

from pydantic.json_schema import models_json_schema

from kamkor_common.events.catalog import SPECS
from kamkor_common.events.envelope import CONTENT_TYPE, CloudEvent
from kamkor_common.events.spec import EventSpec
from kamkor_common.events.topics import PARTITIONS

SCHEMAS = "#/components/schemas/"
Document = dict[str, Any]

DESCRIPTION = """\
The events Kamkor's services publish on Kafka. Every message is a CloudEvents 1.0
event in structured JSON mode; the Kafka key is the event's `partitionkey` (the value
of the key field named for each message), and the headers repeat `ce_id`, `ce_type`
and `ce_source`. Events carry identifiers and coded facts, never names, addresses or
phone numbers.
"""

HEADERS = {
    "type": "object",
    "properties": {
        "content-type": {"type": "string", "const": CONTENT_TYPE},
        "ce_id": {"type": "string"},
        "ce_type": {"type": "string"},
        "ce_source": {"type": "string"},
        "traceparent": {"type": "string", "description": "W3C trace context"},
        "tracestate": {"type": "string"},
    },
    "required": ["content-type", "ce_id", "ce_type", "ce_source"],
}


def component_id(name: str) -> str:
    """AsyncAPI keys allow letters, digits, `_` and `-` only: dots become underscores."""
    return name.replace(".", "_")


def _message(spec: EventSpec[Any], data_ref: str) -> Document:
    return {
        "name": spec.type,
        "title": spec.type,
        "summary": spec.summary or spec.type,
        "contentType": CONTENT_TYPE,
        "headers": HEADERS,
        "payload": {
            "allOf": [
                {"$ref": f"{SCHEMAS}CloudEvent"},
                {
                    "type": "object",
                    "properties": {
                        "type": {"const": spec.type},
                        "source": {"const": spec.source},
                        "subject": {
                            "type": "string",
                            "description": f"`{spec.subject}/<{spec.key}>`",
                        },
                        "partitionkey": {
                            "type": "string",
                            "description": f"the data's `{spec.key}`",
                        },
                        "data": {"$ref": data_ref},
                    },
                },
            ]
        },
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": f"the data's `{spec.key}`"},
                "bindingVersion": "0.5.0",
            }
        },
    }


@functools.cache
def document(version: str = "0.1.0") -> Document:
    """The whole document: channels are topics, messages are event types."""
    models = {spec.data for spec in SPECS}
    refs, definitions = models_json_schema(
        [(model, "serialization") for model in sorted(models, key=lambda m: m.__name__)]
        + [(CloudEvent, "serialization")],
        ref_template=SCHEMAS + "{model}",
    )
    schemas: Document = dict(definitions.get("$defs", {}))
    messages: Document = {}
    channels: Document = {}
    operations: Document = {}
    for topic in sorted({spec.topic for spec in SPECS}):
        channel_id = component_id(topic)
        specs = [spec for spec in SPECS if spec.topic == topic]
        channel_messages: Document = {}
        for spec in specs:
            message_id = component_id(spec.type)
            messages[message_id] = _message(spec, refs[(spec.data, "serialization")]["$ref"])
            channel_messages[message_id] = {"$ref": f"#/components/messages/{message_id}"}
        channels[channel_id] = {
            "address": topic,
            "title": topic,
            "description": f"{PARTITIONS.get(topic, 1)} partitions; ordered per key.",
            "messages": channel_messages,
        }
        operations[f"publish_{channel_id}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "summary": f"Kamkor publishes on {topic}.",
            "messages": [
                {"$ref": f"#/channels/{channel_id}/messages/{message_id}"}
                for message_id in channel_messages
            ],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Kamkor events", "version": version, "description": DESCRIPTION},
        "defaultContentType": CONTENT_TYPE,
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }
