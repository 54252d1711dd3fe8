"""The shipped EventBridge event pattern on moto's EventBridge, with an SQS queue as the rule's target."""

import json
import os

import boto3

from .endpoint import COLLECTION_ROOT

PATTERN = os.path.join(COLLECTION_ROOT, "extensions", "eda", "rulebooks", "egress_guard_event_pattern.json")


def arrived_message_bodies(events, region="us-east-1"):
    """Put ``events`` (EventBridge events, as ``cloudtrail.eventbridge`` builds them) on the default bus of a rule with
    the shipped pattern and an SQS target; return the bodies of the messages that arrived in the queue (JSON text, as
    ``ansible.eda.aws_sqs_queue`` reads them), in arrival order. Runs inside ``mock_aws``.

    AWS refuses PutEvents with an ``aws.`` source (only AWS services emit those); moto accepts it, so the events keep
    EventBridge's real ``source`` and ``detail-type`` and the pattern is the shipped file, unchanged. PutEvents sets
    the envelope's ``id``, ``time``, ``account`` and ``region`` itself, as EventBridge does for every event."""
    events_client = boto3.client("events", region_name=region)
    sqs = boto3.client("sqs", region_name=region)
    queue_url = sqs.create_queue(QueueName="egress-guard")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    with open(PATTERN) as handle:
        events_client.put_rule(Name="egress-guard", EventPattern=handle.read(), State="ENABLED")
    events_client.put_targets(Rule="egress-guard", Targets=[{"Id": "queue", "Arn": queue_arn}])
    for start in range(0, len(events), 10):
        entries = [{"Source": event["source"], "DetailType": event["detail-type"], "Detail": json.dumps(event["detail"]),
                    "Resources": event["resources"], "Time": event["time"]} for event in events[start:start + 10]]
        response = events_client.put_events(Entries=entries)
        assert response["FailedEntryCount"] == 0, response
    bodies = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
