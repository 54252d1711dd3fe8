# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Run a module of the collection inside the controller when the task runs there.

A module is a new Python process per task that imports botocore and loads the
EC2 service model each time. Ansible imports an action plugin once in its main
process and forks each task's worker from it, so what this file loads at import
(botocore and the EC2 model, in a shared botocore loader) is there for every
task. The action validates the task's arguments with the module's own argument
spec, runs the same orchestration in-process, and returns what the module would.
Elsewhere (a remote host, become, async) it runs the module as usual.
"""

import os
from contextlib import contextmanager

from ansible import constants as C
from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.validation import check_type_bool
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.netguard.aws.plugins.module_utils.ec2 import sdk_problem
from ansible_collections.netguard.aws.plugins.module_utils.lifeline import CONTROLLER_VARIABLE, Lifeline
from ansible_collections.netguard.aws.plugins.plugin_utils.validation import validated_result
from ansible_collections.netguard.aws.plugins.plugin_utils.lean_model import prepared_sessions, session_with

try:
    # ansible-core 2.22 and later: validation registers no_log values as secrets, and the controller
    # masks them wherever it shows or logs a result, as it does for a module's; remove_values is deprecated.
    import ansible.module_utils.secrets  # noqa: F401  pylint: disable=unused-import
except ImportError:
    from ansible.module_utils.common.parameters import remove_values
else:
    remove_values = None

display = Display()

IN_PROCESS_VARIABLE = "netguard_aws_in_process"


# Each forked worker has its own copy of the list.
SHARED_LOADER, UNUSED_SESSIONS = prepared_sessions()


class InProcessAction(ActionBase):
    """Base of the collection's action plugins: the module's work, in the controller when it can be.

    Subclasses set ``MODULE_NAME``, ``MODULE_KWARGS`` (the module's AnsibleModule
    arguments), and the ``parse_request`` function that the module's main passes to
    ``run_module``, as a static method.
    """

    MODULE_NAME = None
    MODULE_KWARGS = None
    parse_request = None
    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        if not self._in_process(task_vars):
            # has_native_async: soft-deprecated in ansible-core 2.21, where the connection decides itself.
            wrap_async = self._task.async_val and not getattr(self._connection, "has_native_async", False)
            with _controller_named(self._connection.transport == "local"):
                result.update(self._execute_module(module_name=self.MODULE_NAME, task_vars=task_vars,
                                                   wrap_async=wrap_async))
            if not wrap_async:
                self._remove_tmp_path(self._connection._shell.tmpdir)
            return result
        display.vvv("netguard.aws: running %s in-process on the controller" % self.MODULE_NAME,
                    host=self._play_context.remote_addr)
        result.update(self._run_in_process(task_vars))
        return result

    def _in_process(self, task_vars):
        """In-process when asked, or by default when the task would run the module on the controller."""
        choice = self._templar.template(task_vars.get(IN_PROCESS_VARIABLE, "auto"))
        if isinstance(choice, str) and choice.lower() == "auto":
            return (self._connection.transport == "local" and not self._play_context.become
                    and not self._task.async_val and sdk_problem() is None)
        try:
            return check_type_bool(choice)
        except TypeError:
            raise AnsibleActionFail("%s must be true, false or auto, not %r" % (IN_PROCESS_VARIABLE, choice))

    def _run_in_process(self, task_vars):
        """What AnsibleModule would return for the module: same keys, masking and messages."""
        # The environment first: the argument spec's fallbacks read AWS_REGION and the like.
        with _environment_applied(self._task_environment()):
            session = UNUSED_SESSIONS.pop() if UNUSED_SESSIONS else (
                session_with(SHARED_LOADER) if SHARED_LOADER is not None else None)
            # The worker's parent is ansible-playbook: when it goes, so does the task.
            result, params, no_log_values = validated_result(
                self.MODULE_KWARGS, self._task.args, self.parse_request, bool(self._task.check_mode),
                bool(self._task.diff), session=session, lifeline=Lifeline(os.getppid()))
        if _injects_invocation(task_vars):
            result["invocation"] = {"module_args": params}
        if remove_values is not None:
            result = remove_values(result, no_log_values)
        return result

    def _task_environment(self):
        environment = {}
        self._compute_environment_string(environment)
        return dict((str(name), str(value)) for name, value in environment.items())


def _injects_invocation(task_vars):
    """Whether a module's result carries ``invocation``: always before ansible-core 2.21, then by its setting."""
    if "INJECT_INVOCATION" not in C.config.get_configuration_definitions():
        return True
    return C.config.get_config_value("INJECT_INVOCATION", variables=task_vars)


@contextmanager
def _controller_named(local):
    """For a module run on the controller, ``CONTROLLER_VARIABLE``: this worker's parent, ansible-playbook, whose
    end stops the module's writes (see module_utils/lifeline.py)."""
    if not local:
        yield
        return
    saved = os.environ.get(CONTROLLER_VARIABLE)
    os.environ[CONTROLLER_VARIABLE] = str(os.getppid())
    try:
        yield
    finally:
        if saved is None:
            del os.environ[CONTROLLER_VARIABLE]
        else:
            os.environ[CONTROLLER_VARIABLE] = saved


@contextmanager
def _environment_applied(environment):
    """The task's ``environment:`` on top of the controller's, as a module would see it."""
    saved = dict(os.environ)
    os.environ.update(environment)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
