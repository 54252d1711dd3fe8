"""Four of moto's lookups that cost the tests' endpoints more, the more the tests seed, given the same answers cheaper.

moto (5.x) finds one resource's tags by scanning every tag of the account-region, so describing N tagged groups
costs N squared; it lists its own package directory on every request, to route it; it lists a response class's
methods by inspection on every call; and it makes a filter value (a glob) into a regular expression again for each
security group or rule it matches it against, so that a filter of 200 group IDs over the rules of a region makes
each of them once per rule. Each replacement below answers from the same data: the tags kept for that resource ID,
the directory as listed once, the class's methods as listed once, each filter value's expression as made once (and
used only where it answers as moto's own function does, on the globs of SAMPLE_GLOBS). Only what this moto has is
replaced; a moto without one of them is left as it is. The tests apply them to moto in their own processes
(tests/unit/conftest.py) and to moto_server (moto_server.py); the demo and the benchmarks run moto as released.
"""

import functools
import re

# Filter values and what they are matched against, to check that globs() answers as moto does before it is used.
SAMPLE_GLOBS = [("sg-0123456789abcdef0", "sg-0123456789abcdef0"), ("sg-0123456789abcdef0", "sg-0123456789abcdef1"),
                ("sg-*", "sg-0123"), ("*web*", "my web group"), ("web?", "web1"), ("web?", "web"), ("web?", "web12"),
                (r"a\*b", "a*b"), (r"a\*b", "axb"), ("10.0.0.0/8", "10.0.0.0/8"), ("10.0.0.0/8", "10.0.0.0/16"),
                ("a.b", "axb"), ("(x|y)", "x"), ("443", 443), ("-1", -1), ("*", None), ("", ""), ("[ab]", "a")]


def globs(aws_api_matches):
    """moto's ``aws_api_matches(pattern, value)``, each pattern's expression made once."""

    @functools.lru_cache(maxsize=None)
    def expression(pattern):
        # As moto does it: an unescaped * is any text, an unescaped ? any character or none, the whole value anchored.
        pattern = re.sub(r"(?<!\\)\*", r".*", pattern)
        pattern = re.sub(r"(?<!\\)\?", r".?", pattern)
        return re.compile("^%s$" % pattern)

    def matches(pattern, value):
        if not isinstance(pattern, str):
            return aws_api_matches(pattern, value)
        return expression(pattern).match(str(value)) is not None

    return matches


def apply():
    from moto import backends
    from moto.core import responses
    from moto.ec2 import utils
    from moto.ec2.models import core

    if callable(getattr(backends, "list_of_moto_modules", None)):
        modules = frozenset(backends.list_of_moto_modules())
        backends.list_of_moto_modules = lambda: modules
    if callable(getattr(responses, "method_names_from_class", None)):
        responses.method_names_from_class = functools.lru_cache(maxsize=None)(responses.method_names_from_class)
    tagged = getattr(core, "TaggedEC2Resource", None)
    resource_types, prefix_of = getattr(utils, "EC2_PREFIX_TO_RESOURCE", None), getattr(utils, "get_prefix", None)
    if tagged is not None and callable(getattr(tagged, "get_tags", None)) and resource_types is not None and prefix_of:

        def get_tags(resource):
            """What ``describe_tags(filters={"resource-id": [resource.id]})`` returns, from that resource's own
            tags."""
            if not resource.id:
                return []
            resource_type = resource_types.get(prefix_of(resource.id), "")
            return [{"resource_id": resource.id, "key": key, "value": value, "resource_type": resource_type}
                    for key, value in resource.ec2_backend.tags.get(resource.id, {}).items()]

        tagged.get_tags = get_tags

    from moto.core import utils as core_utils
    from moto.ec2.models import security_groups

    original = getattr(core_utils, "aws_api_matches", None)
    if callable(original) and getattr(security_groups, "aws_api_matches", None) is original:
        replacement = globs(original)
        if all(replacement(pattern, value) == original(pattern, value) for pattern, value in SAMPLE_GLOBS):
            core_utils.aws_api_matches = security_groups.aws_api_matches = replacement
