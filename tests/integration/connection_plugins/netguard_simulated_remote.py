# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: netguard_simulated_remote
short_description: Run on this machine while looking like a remote host
description:
  - For the integration tests, a host reached through a connection other than C(local), without an SSH
    server; commands and files go to this machine exactly as with C(ansible.builtin.local).
author:
  - Netguard maintainers (@netguard)
"""

from ansible.plugins.connection.local import Connection as LocalConnection


class Connection(LocalConnection):
    transport = "netguard_simulated_remote"
