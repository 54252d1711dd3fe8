# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Running one piece of work in several regions at once, each with its own EC2 client.

EC2 throttles per account and region, so regions run side by side; a region
that fails does not stop the others, and is reported by name.
"""

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.netguard.aws.plugins.module_utils.ec2 import Ec2Api, is_access_denied
from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError
from ansible_collections.netguard.aws.plugins.module_utils.request import ALL_REGIONS

# More regions than this wait for a free slot; each region runs its own groups concurrently too.
PARALLEL_REGIONS = 16


class RegionalRun:
    """The regions of ``regions`` (names, or ``ALL_REGIONS``) with their clients, and how each fared.

    ``clients(names)`` returns ``{region: client}``; ``client`` is the connection's own, which
    lists the enabled regions for ``ALL_REGIONS`` with one ``DescribeRegions``.
    """

    def __init__(self, client, clients, regions):
        self.every_region = regions == ALL_REGIONS
        self.regions = Ec2Api(client).enabled_regions() if self.every_region else list(regions)
        self.apis = dict((region, Ec2Api(regional)) for region, regional in clients(self.regions).items())
        self.failed_regions = []
        self.skipped_regions = []

    def each(self, work, regions=None):
        """``{region: work(region, api)}`` for the regions that have not failed, in their order.

        A region whose work raises is left out and recorded: under ``all``, an access
        denial (an organisation policy, a region the account may not use) as skipped,
        anything else as failed.
        """
        regions = self.regions if regions is None else regions

        def one(region):
            try:
                return region, work(region, self.apis[region]), None
            except NetguardAwsError as error:
                return region, None, error

        with ThreadPoolExecutor(max_workers=max(1, min(len(regions), PARALLEL_REGIONS))) as pool:
            outcomes = list(pool.map(one, regions))
        done = {}
        for region, value, error in outcomes:
            if error is None:
                done[region] = value
            elif self.every_region and is_access_denied(error):
                self.skipped_regions.append({"region": region, "msg": error.msg})
            else:
                self.failed_regions.append({"region": region, "msg": error.msg})
        return done

    def report(self):
        """The result keys every multi-region task returns."""
        return {"regions": list(self.regions), "failed_regions": list(self.failed_regions),
                "skipped_regions": list(self.skipped_regions)}

    def failure_message(self):
        return "%d of %d regions failed (the others were handled): %s" % (
            len(self.failed_regions), len(self.regions),
            "; ".join("%s: %s" % (failed["region"], failed["msg"]) for failed in self.failed_regions))
