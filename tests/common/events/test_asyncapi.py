"""The AsyncAPI document lists every topic and event type with its data schema."""

from __future__ import annotations

import re

from kamkor_common.events.asyncapi import component_id, document
from kamkor_common.events.catalog import SPECS
from kamkor_common.events.topics import PARTITIONS

KEY_PATTERN = r"^[A-Za-z0-9_\-]+$"


def _resolve(doc: dict, ref: str) -> dict:
    node: dict = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


class TestDocument:
    def test_has_the_asyncapi_3_shape(self) -> None:
        doc = document()
        assert doc["asyncapi"] == "3.0.0"
        assert {"title", "version"} <= set(doc["info"])
        assert {"channels", "operations", "components"} <= set(doc)
        assert "messages" in doc["components"] and "schemas" in doc["components"]

        for section in (doc["channels"], doc["operations"], doc["components"]["messages"]):
            assert all(re.match(KEY_PATTERN, key) for key in section)

    def test_channels_are_the_topics_and_every_type_is_a_message(self) -> None:
        doc = document()
        addresses = {channel["address"] for channel in doc["channels"].values()}
        assert addresses == {spec.topic for spec in SPECS} and addresses <= set(PARTITIONS)
        names = {message["name"] for message in doc["components"]["messages"].values()}
        assert names == {spec.type for spec in SPECS}

    def test_every_reference_resolves(self) -> None:
        doc = document()
        refs: list[str] = []

        def walk(node: object) -> None:
            if isinstance(node, dict):
                refs.extend(v for k, v in node.items() if k == "$ref")
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(doc)
        assert refs
        for ref in refs:
            assert _resolve(doc, ref) is not None, ref

    def test_each_operation_sends_its_channels_messages(self) -> None:
        doc = document()
        for operation in doc["operations"].values():
            assert operation["action"] == "send"
            channel = _resolve(doc, operation["channel"]["$ref"])
            for message in operation["messages"]:
                assert message["$ref"].startswith(operation["channel"]["$ref"] + "/messages/")
                assert message["$ref"].rsplit("/", 1)[1] in channel["messages"]

    def test_messages_describe_the_cloudevents_envelope_and_data(self) -> None:
        doc = document()
        flagged = doc["components"]["messages"][component_id("kamkor.risk.family.flagged.v1")]
        envelope, specific = flagged["payload"]["allOf"]
        assert envelope["$ref"] == "#/components/schemas/CloudEvent"
        assert specific["properties"]["type"]["const"] == "kamkor.risk.family.flagged.v1"
        data = _resolve(doc, specific["properties"]["data"]["$ref"])
        assert "children_ages" in data["properties"]
        assert "household_id" in flagged["bindings"]["kafka"]["key"]["description"]
        cloud_event = doc["components"]["schemas"]["CloudEvent"]
        assert {"specversion", "id", "source", "type", "partitionkey"} <= set(
            cloud_event["properties"]
        )
