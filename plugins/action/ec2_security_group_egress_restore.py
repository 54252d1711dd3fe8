# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Runs ec2_security_group_egress_restore in the controller when the task runs there; see plugin_utils/in_process.py."""

from ansible_collections.netguard.aws.plugins.module_utils.restore_request import parse_restore_request
from ansible_collections.netguard.aws.plugins.modules.ec2_security_group_egress_restore import MODULE_KWARGS
from ansible_collections.netguard.aws.plugins.plugin_utils.in_process import InProcessAction


class ActionModule(InProcessAction):
    MODULE_NAME = "netguard.aws.ec2_security_group_egress_restore"
    MODULE_KWARGS = MODULE_KWARGS

    parse_request = staticmethod(parse_restore_request)
