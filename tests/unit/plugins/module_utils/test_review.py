"""The egress_review table's USERS column: the network interfaces, launch templates and ECS services of a group."""

from ansible_collections.netguard.aws.plugins.plugin_utils.review import REVOKE, Review

from .described import GROUP, OTHER_GROUP

USED = {"total": 2, "by_type": {}, "examples": []}
USERS = {"launch_templates": [{"id": "lt-0123456789abcdef0", "name": "web", "version": 3}],
         "ecs_services": [{"cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
                           "service": "arn:aws:ecs:us-east-1:123456789012:service/prod/api"}],
         "managed_interfaces": 1}


def group(group_id, **keys):
    return dict({"group_id": group_id, "region": "us-east-1", "owner_id": "123456789012", "changed": True,
                 "revoked_rules": [], "authorized_rules": [], "egress_rules": []}, **keys)


def test_users_count_interfaces_templates_and_services_and_the_report_keeps_them():
    review = Review()
    review.add(REVOKE, "localhost", "lock down", {"groups": [
        group(GROUP, affected_interfaces=USED, affected_users=USERS), group(OTHER_GROUP)]}, False, False)

    heading, used, unassessed = [line.split() for line in review.table().splitlines()[1:]]
    assert heading[7] == "USERS"
    assert used[3] == GROUP and used[7] == "4"
    assert unassessed[3] == OTHER_GROUP and unassessed[7] == "-", "without impact, nobody was counted"
    assert review.report()["groups"][0]["affected_users"] == USERS
