# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Where a flow log's S3 objects for a window are, and which of them to read. Pure: no AWS calls.

AWS writes ``<prefix>/AWSLogs/<account>/vpcflowlogs/<region>/<yyyy>/<mm>/<dd>/`` (with
``<HH>/`` per hour), or with Hive-compatible prefixes ``.../aws-account-id=<account>/
aws-service=vpcflowlogs/aws-region=<region>/year=<yyyy>/month=<mm>/day=<dd>/``
(``hour=<HH>/``), and names each object
``<account>_vpcflowlogs_<region>_<flow log ID>_<yyyymmddTHHMMZ>_<hash>.log.gz``
(``.log.parquet``) after the time it was written, at 5-minute intervals, with the
records of the minutes before it.
"""

import re
from datetime import datetime, timedelta, timezone

# How long after a record's end the object holding it may be written: an aggregation interval of up to 10 minutes,
# a 5-minute delivery interval, and delivery delays.
LATE = 3600
_OBJECT_TIME = re.compile(r"_(\d{8}T\d{4})Z_[^/]*$")


def listing_prefixes(source, account, region, since, until):
    """The S3 prefixes to list for a window ``[since, until)`` (seconds since the epoch): one per day, or per hour
    with hourly partitions."""
    base = (source.prefix + "/" if source.prefix else "") + "AWSLogs/"
    if source.hive_compatible:
        base += "aws-account-id=%s/aws-service=vpcflowlogs/aws-region=%s/" % (account, region)
    else:
        base += "%s/vpcflowlogs/%s/" % (account, region)
    step = timedelta(hours=1) if source.per_hour else timedelta(days=1)
    moment = datetime.fromtimestamp(since, timezone.utc).replace(minute=0, second=0, microsecond=0)
    if not source.per_hour:
        moment = moment.replace(hour=0)
    last = datetime.fromtimestamp(until + LATE, timezone.utc)
    prefixes = []
    while moment <= last:
        if source.hive_compatible:
            part = "year=%04d/month=%02d/day=%02d/" % (moment.year, moment.month, moment.day)
            if source.per_hour:
                part += "hour=%02d/" % moment.hour
        else:
            part = "%04d/%02d/%02d/" % (moment.year, moment.month, moment.day)
            if source.per_hour:
                part += "%02d/" % moment.hour
        prefixes.append(base + part)
        moment += step
    return prefixes


def wanted(key, source, since, until):
    """Whether the object ``key`` may hold records of this flow log in the window: of its flow log (when the ID is
    known), in its file format, and written at or after ``since`` and at most ``LATE`` after ``until``. An object
    whose name carries no time is read."""
    name = key.rsplit("/", 1)[-1]
    if source.flow_log_id and "_%s_" % source.flow_log_id not in name:
        return False
    if not name.endswith(".parquet" if source.file_format == "parquet" else ".gz"):
        return False
    found = _OBJECT_TIME.search(name)
    if not found:
        return True
    written = datetime.strptime(found.group(1), "%Y%m%dT%H%M").replace(tzinfo=timezone.utc).timestamp()
    return since <= written <= until + LATE
