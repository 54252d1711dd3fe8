# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # How the revoke and restore modules write: the same writer, so the same options.
    DOCUMENTATION = r"""
options:
  concurrency:
    description:
      - How many groups are written to at the same time in each region (1 to 64). Regions run side by side.
      - In the revoke module, bulk mode only.
    type: int
    default: 8
    version_added: 0.2.0
  revoke_rate:
    description:
      - A fixed pace for the write calls (C(RevokeSecurityGroupEgress), C(AuthorizeSecurityGroupEgress)), in calls
        per second per account-region, for users who know their EC2 limits (both are mutating actions, whose bucket
        refills slowly).
      - Writes go unpaced until EC2 throttles a share of them (C(RequestLimitExceeded)), which is when the bucket's
        burst is spent; from then on they go at this rate. A throttle now and then is left to botocore's retries,
        in its V(standard) retry mode unless E(AWS_RETRY_MODE), the profile's C(retry_mode) or O(aws_config)
        C(retries.mode) chooses another (V(adaptive)'s own rate limit would slow the pace down further).
      - Left out, botocore paces the calls with its V(adaptive) retry mode, which retries throttled calls and limits
        the client's rate to what EC2 lets through, unless E(AWS_RETRY_MODE), the profile's C(retry_mode) or
        O(aws_config) C(retries.mode) chooses another retry mode.
      - A positive number; fractions such as V(0.5) are allowed.
      - In the revoke module, bulk mode only.
    type: raw
    version_added: 0.2.0
  journal:
    description:
      - Path of a write-ahead record of the task's write calls, in JSON Lines, appended to; the file is created
        (mode 0600) if missing, and its directory must exist. Several tasks and hosts may share one path, since each
        line is written under an exclusive lock.
      - Each run first appends a C(run) line (its C(run) ID, C(time), C(module), C(check_mode)). Before each write
        call, an C(intent) line names the C(action) (V(revoke) or V(authorize)), the group (C(account), C(region),
        C(group_id)) and the rules; for a revoke, the C(rule_ids) about to go and what restoring them needs
        (C(ip_permissions), in the API's C(IpPermissions) shape, and C(rules), with their tags); for an authorize, the
        rules about to be added, in the same shapes. It is flushed to disk before the call. After AWS answers, an
        C(outcome) line gives C(status) (V(revoked) or V(authorized), V(failed) with C(msg), or V(would_revoke) or
        V(would_authorize) in check mode, whose intents are marked C(check_mode=true)) and the C(revoked_rule_ids)
        or the new rules' C(authorized_rule_ids).
      - A run that stops before its end, because the controller went away (C(ansible-playbook) killed, a lost
        controller) or SIGINT or SIGTERM arrived, starts no further write and appends an C(abandoned) line with its
        C(reason) and C(groups_not_started). On ansible-core before 2.19, whose workers share C(ansible-playbook)'s
        process group, a SIGKILL to that group ends the task with it, so no further write starts and no C(abandoned)
        line is written.
      - An C(intent) may have no C(outcome) (AWS may or may not have made the change), and the last line of a killed
        run may be cut short. Skip lines that are not whole JSON, and settle each open intent by describing its group
        once (C(aws ec2 describe-security-group-rules --filters Name=group-id,Values=...)); the rules of C(rule_ids)
        that are gone were revoked. See the guide.
      - The path is checked before any API call; a missing or read-only directory fails the task.
    type: path
    version_added: 0.2.0
"""
