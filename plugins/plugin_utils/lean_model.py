# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The controller's botocore: an EC2 model with only the operations the collection calls, loaded once.

botocore gives a client class a method for each operation of the model (over 800 for EC2)
on every client it creates, and the whole model (some 4,000 shapes) stays in memory, in
the controller and in each worker forked from it. With the collection's few operations, a
client costs a fraction of that. Only the action plugins use this: a module on a managed
host loads botocore its own way.
"""

import os

from ansible_collections.netguard.aws.plugins.module_utils.ec2 import OPERATIONS, sdk_problem

try:
    import botocore.loaders
    import botocore.session
except ImportError:
    pass


def lean_loader():
    """A botocore data loader whose EC2 model has only ``OPERATIONS`` and their shapes, to share between clients.

    The rest (shapes of these operations, paginators, endpoint rules) is botocore's own, read once and cached by
    the loader.
    """

    class LeanFileLoader(botocore.loaders.JSONFileLoader):
        def load_file(self, file_path):
            data = super().load_file(file_path)
            parts = os.path.normpath(file_path).split(os.sep)
            if data is None or parts[-1] != "service-2" or len(parts) < 3 or parts[-3] != "ec2":
                return data
            return lean_model(data, OPERATIONS)

    return botocore.loaders.Loader(file_loader=LeanFileLoader())


def lean_model(model, operations):
    """``model`` (a botocore service model) with only ``operations`` and the shapes they use."""
    kept = dict((name, model["operations"][name]) for name in operations)
    pending = [reference["shape"] for operation in kept.values()
               for reference in [operation.get("input"), operation.get("output")] + operation.get("errors", [])
               if reference]
    shapes = {}
    while pending:
        name = pending.pop()
        if name in shapes:
            continue
        shape = shapes[name] = model["shapes"][name]
        pending.extend(shape[key]["shape"] for key in ("member", "key", "value") if key in shape)
        pending.extend(member["shape"] for member in shape.get("members", {}).values())
    return dict(model, operations=kept, shapes=shapes)


def session_with(loader):
    """A new botocore session that reads models through ``loader``."""
    session = botocore.session.Session()
    session.register_component("data_loader", loader)
    return session


def prepared_sessions():
    """``(loader, [an unused session])``, made in the controller's main process before any worker is forked.

    Everything an EC2 client needs is loaded into the loader's cache. The session is for the first task of each
    worker: creating one registers a thousand event handlers, and a session reads no setting, file or credential
    until it is used, so one made here is as good as a new one, once. Used again (a loop's next item), it would
    keep what the first use read; later uses in a worker make their own from the loader.
    """
    # Without botocore there is nothing to prepare; sdk_problem() reports it when a task runs.
    if sdk_problem():
        return None, []
    loader = lean_loader()
    client = session_with(loader).create_client("ec2", region_name="us-east-1", aws_access_key_id="preload",
                                                aws_secret_access_key="preload")
    for operation in ("describe_security_groups", "describe_security_group_rules"):
        client.get_paginator(operation)
    return loader, [session_with(loader)]
