"""Three of moto's lookups that cost the tests' endpoints more, the more the tests seed, given the same answers cheaper.

moto (5.x) finds one resource's tags by scanning every tag of the account-region, so describing N tagged groups
costs N squared; it lists its own package directory on every request, to route it; and it lists a response
class's methods by inspection on every call. Each replacement below answers from the same data: the tags kept for
that resource ID, the directory as listed once, the class's methods as listed once. Only what this moto has is
replaced; a moto without one of them is left as it is. The tests apply them to moto in their own processes
(tests/unit/conftest.py) and to moto_server (moto_server.py); the demo and the benchmarks run moto as released.
"""

import functools


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
