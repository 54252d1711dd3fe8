# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What every entry point does around an orchestration: SDK check, parse, call, report."""

from ansible_collections.netguard.aws.plugins.module_utils.ec2 import ec2_client, ec2_clients, new_session, sdk_problem
from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError


def orchestrated_result(params, parse_request, orchestrate, check_mode, diff, loader=None, session=None):
    """``(result, warnings)`` for validated ``params``: the task result, or a failed one with its message.

    ``parse_request(params)`` checks the input before any client exists; an
    expected failure (``NetguardAwsError``) becomes ``failed`` with its one-line
    message and any partial results it carries. ``loader``, ``session``: see ``ec2_clients``. The orchestration
    gets the client of the connection's region, and ``clients(regions)`` for other regions.
    """
    problem = sdk_problem()
    if problem:
        return {"failed": True, "msg": problem}, []
    try:
        request = parse_request(params)
        session = session or new_session(params, loader)
        result = orchestrate(ec2_client(params, session), request, check_mode=check_mode, diff=diff,
                             clients=lambda regions: ec2_clients(params, regions, session))
    except NetguardAwsError as error:
        details = dict(error.details)
        warnings = details.pop("warnings", [])
        return dict(details, failed=True, msg=error.msg), warnings
    return result, result.pop("warnings")


def run_module(module, parse_request, orchestrate):
    """Exit ``module`` with the orchestration's result, as ``orchestrated_result`` gives it."""
    result, warnings = orchestrated_result(module.params, parse_request, orchestrate, module.check_mode, module._diff)
    for warning in warnings:
        module.warn(warning)
    if result.pop("failed", False):
        module.fail_json(**result)
    module.exit_json(**result)
