# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A module's task arguments, validated and run in the controller as AnsibleModule would validate and run them.

Kept apart from the action plugin, and free of Ansible's controller modules, so that it can be tested in a
process that also runs the modules themselves.
"""

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.netguard.aws.plugins.module_utils.module_runner import orchestrated_result


def validated_result(module_kwargs, args, parse_request, check_mode, diff, session=None, lifeline=None):
    """``(result, validated parameters, no_log values)`` of the task arguments ``args``, validated as AnsibleModule
    validates them with ``module_kwargs``, then run as the module runs them; ``warnings`` in the result as a
    module's."""
    validation = ArgumentSpecValidator(**module_kwargs).validate(dict(args))
    params = validation.validated_parameters
    warnings = ["Both option {option} and its alias {alias} are set.".format(**warning)
                for warning in validation._warnings]
    if validation.error_messages:
        result = {"failed": True, "msg": validation.errors.msg}
    else:
        result, more = orchestrated_result(params, parse_request, check_mode=check_mode, diff=diff, session=session,
                                           lifeline=lifeline)
        warnings += more
    if warnings:
        result["warnings"] = warnings
    return result, params, validation._no_log_values
