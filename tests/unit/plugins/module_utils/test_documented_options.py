"""The options ``ansible-doc`` documents are exactly the options each module takes: names, types, aliases.

The argument specs are built in module_utils (``ip_permissions``, the shorthand, ``rule_filters``), the
documentation comes from each module and its doc fragments; a difference is a user misled either way.
"""

import importlib

import pytest
import yaml

MODULES = ["ec2_security_group_egress_revoke", "ec2_security_group_egress_info", "ec2_security_group_egress_restore"]
PREFIX = "ansible_collections.netguard.aws.plugins."


def documented_options(module):
    documentation = yaml.safe_load(module.DOCUMENTATION)
    options = {}
    for fragment in documentation.get("extends_documentation_fragment", []):
        if fragment.startswith("netguard.aws."):
            text = importlib.import_module(PREFIX + "doc_fragments." + fragment.split(".")[2]).ModuleDocFragment
            options.update(yaml.safe_load(text.DOCUMENTATION)["options"])
    options.update(documentation["options"])
    return options


# What an argument spec entry may say besides what the documentation shows: a misspelt key is ignored silently.
SPEC_KEYS = {"type", "elements", "aliases", "required", "default", "choices", "options", "fallback", "no_log",
             "required_one_of", "required_together", "mutually_exclusive", "required_by", "required_if"}


def shown(option, suboptions):
    """What the documentation says of an option, and of an argument spec entry, in the same terms."""
    return {
        "type": option.get("type", "str"),
        "elements": option.get("elements"),
        "aliases": sorted(option.get("aliases", [])),
        "required": option.get("required", False),
        "default": option.get("default"),
        "choices": option.get("choices"),
        "options": suboptions,
    }


def described(spec):
    """An argument spec in the terms of its documentation."""
    for name, option in spec.items():
        assert set(option) <= SPEC_KEYS, "%s: %s" % (name, sorted(set(option) - SPEC_KEYS))
    return dict((name, shown(option, described(option["options"]) if option.get("options") else None))
                for name, option in spec.items())


def as_documented(options):
    # A raw option's suboptions (rule_filters) describe the keys its parser reads, not an argument spec.
    return dict((name, shown(option, as_documented(option["suboptions"])
                             if option.get("type") != "raw" and option.get("suboptions") else None))
                for name, option in options.items())


@pytest.mark.parametrize("name", MODULES)
def test_every_option_is_documented_as_the_module_takes_it(name):
    module = importlib.import_module(PREFIX + "modules." + name)
    assert described(module.ARGUMENT_SPEC) == as_documented(documented_options(module))
