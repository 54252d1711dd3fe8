# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The S3 and CloudWatch Logs clients flow logs are read with: the task's connection, or ``traffic.profile``.

Flow logs often go to a central log-archive account: with ``traffic.profile``,
those two clients use that profile's credentials, while the groups are read and
written with the task's own connection. Makes no API call until a client is used.
"""

import threading

from ansible_collections.netguard.aws.plugins.module_utils.ec2 import DEFAULT_MAX_ATTEMPTS, _client_errors

try:
    import botocore.session
    from botocore.config import Config
except ImportError:
    pass


class LogClients:
    """``s3(region)`` and ``logs(region)`` clients for ``connection`` (the task's ``Connection``), with ``profile``
    (None: the connection's credentials)."""

    def __init__(self, connection, profile=None):
        self.connection = connection
        self.profile = profile
        self._session = None
        self._clients = {}
        self._lock = threading.Lock()

    def s3(self, region):
        return self._client("s3", region)

    def logs(self, region):
        return self._client("logs", region)

    def _client(self, service, region):
        with self._lock:
            if (service, region) not in self._clients:
                connection = self.connection._replace(profile=self.profile) if self.profile else self.connection
                with _client_errors(connection):
                    if self._session is None:
                        self._session = botocore.session.Session()
                        if connection.profile is not None:
                            self._session.set_config_variable("profile", connection.profile)
                    keys = {} if self.profile else {
                        "aws_access_key_id": connection.access_key, "aws_secret_access_key": connection.secret_key,
                        "aws_session_token": connection.session_token}
                    verify = False if not connection.validate_certs else connection.aws_ca_bundle or None
                    self._clients[(service, region)] = self._session.create_client(
                        service, region_name=region, endpoint_url=connection.endpoint_url, verify=verify,
                        config=Config(retries={"mode": "standard", "total_max_attempts": DEFAULT_MAX_ATTEMPTS},
                                      user_agent_extra="netguard.aws", s3={"addressing_style": "path"}), **keys)
            return self._clients[(service, region)]
