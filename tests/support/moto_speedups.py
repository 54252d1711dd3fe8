"""Three of moto's lookups that cost the tests' endpoints more, the more the tests seed, given the same answers cheaper.

moto (5.x) finds one resource's tags by scanning every tag of the account-region, so describing N tagged groups
costs N squared; it lists its own package directory on every request, to route it; and it lists a response
class's methods by inspection on every call. Each replacement below answers from the same data: the tags kept for
that resource ID, the directory as listed once, the class's methods as listed once. Only what this moto has is
replaced; a moto without one of them is left as it is. The tests apply them to moto in their own processes
(tests/conftest.py) and to moto_server (moto_server.py); the demo and the benchmarks run moto as released.
"""

import functools


def _tags_of_this_resource(resource):
    """What ``describe_tags(filters={"resource-id": [resource.id]})`` returns, from that resource's own tags."""
    from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix

    if not resource.id:
        return []
    resource_type = EC2_PREFIX_TO_RESOURCE.get(get_prefix(resource.id), "")
    return [{"resource_id": resource.id, "key": key, "value": value, "resource_type": resource_type}
            for key, value in resource.ec2_backend.tags.get(resource.id, {}).items()]


def apply():
    from moto import backends
    from moto.core import responses
    from moto.ec2.models import core

    if callable(getattr(backends, "list_of_moto_modules", None)):
        modules = frozenset(backends.list_of_moto_modules())
        backends.list_of_moto_modules = lambda: modules
    if callable(getattr(responses, "method_names_from_class", None)):
        responses.method_names_from_class = functools.lru_cache(maxsize=None)(responses.method_names_from_class)
    tagged = getattr(core, "TaggedEC2Resource", None)
    if tagged is not None and callable(getattr(tagged, "get_tags", None)):
        tagged.get_tags = _tags_of_this_resource
