# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one exception type every entry point turns into a task failure."""


class NetguardAwsError(Exception):
    """An expected failure: bad input, an AWS error, a missing group.

    ``msg`` is the single line shown to the user; ``details`` are extra keys
    for the failed task's result (for example ``error_code``).
    """

    def __init__(self, msg, **details):
        super().__init__(msg)
        self.msg = msg
        self.details = details


def quoted(value, limit=80):
    """Render a user-supplied value for an error message, shortened if huge."""
    if not isinstance(value, str):
        return repr(value)
    if len(value) > limit:
        return "'%s'...(%d characters)" % (value[:limit], len(value))
    return "'%s'" % value


def invalid(option, value, reason):
    """The error for a value the user gave: the option's path, the value, and why it is refused."""
    return NetguardAwsError("%s %s %s" % (option, quoted(value), reason))


def no_such_group(group_ids, where):
    """The one message for security groups that do not exist: ``where`` is a region, or several."""
    details = {"group_id": group_ids[0]} if len(group_ids) == 1 else {}
    return NetguardAwsError("security group %s does not exist in %s" % (", ".join(group_ids), where), **details)
