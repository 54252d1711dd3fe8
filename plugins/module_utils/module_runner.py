# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What every entry point does around the pipeline: SDK check, parse, clients, run, report."""

from ansible_collections.netguard.aws.plugins.module_utils.ec2 import Ec2Clients, sdk_problem
from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError
from ansible_collections.netguard.aws.plugins.module_utils.lifeline import Lifeline, controller_from_environment
from ansible_collections.netguard.aws.plugins.module_utils.pipeline import run


def orchestrated_result(params, parse_request, check_mode, diff, session=None, lifeline=None):
    """``(result, warnings)`` for validated ``params``: the task result, or a failed one with its message.

    ``parse_request(params)`` checks the input before any client exists and returns the request and its warnings;
    an expected failure (``NetguardAwsError``) becomes ``failed`` with its one-line message and any partial results
    it carries. ``session``: an unused botocore session to build the clients from; ``lifeline``: see ``pipeline.run``.
    """
    problem = sdk_problem()
    if problem:
        return {"failed": True, "msg": problem}, []
    warnings = []
    try:
        request, warnings = parse_request(params)
        clients = Ec2Clients(request.connection, request.execution.write_rate, lifeline, session)
        result = run(request, clients, check_mode=check_mode, diff=diff, lifeline=lifeline)
    except NetguardAwsError as error:
        details = dict(error.details)
        more = details.pop("warnings", [])
        return dict(details, failed=True, msg=error.msg), warnings + more
    return result, warnings + result.pop("warnings")


def run_module(module, parse_request):
    """Exit ``module`` with the pipeline's result, as ``orchestrated_result`` gives it."""
    result, warnings = orchestrated_result(module.params, parse_request, module.check_mode, module._diff,
                                           lifeline=Lifeline(controller_from_environment()))
    for warning in warnings:
        module.warn(warning)
    if result.pop("failed", False):
        module.fail_json(**result)
    module.exit_json(**result)
