# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What every module of the collection does around its orchestration: SDK check, parse, call, report."""

from ansible_collections.netguard.aws.plugins.module_utils.ec2 import ec2_client, sdk_problem
from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError


def run_module(module, parse_request, orchestrate):
    """Exit ``module`` with ``orchestrate(client, request, check_mode=..., diff=...)``'s result.

    ``parse_request(module.params)`` checks the input before any client exists.
    An expected failure (``NetguardAwsError``) fails the task with its one-line
    message and any partial results it carries.
    """
    problem = sdk_problem()
    if problem:
        module.fail_json(msg=problem)
    try:
        request = parse_request(module.params)
        result = orchestrate(ec2_client(module.params), request, check_mode=module.check_mode, diff=module._diff)
    except NetguardAwsError as error:
        details = dict(error.details)
        for warning in details.pop("warnings", ()):
            module.warn(warning)
        module.fail_json(msg=error.msg, **details)
    for warning in result.pop("warnings"):
        module.warn(warning)
    module.exit_json(**result)
