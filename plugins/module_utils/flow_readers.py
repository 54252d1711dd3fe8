# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Readers of flow log records, streamed into a ``FlowTally``: S3 text (gzip), S3 Parquet, CloudWatch Logs.

Each reads only what can hold the window: the S3 prefixes of its days (or hours)
and the objects written in it (``flow_layout.py``); the log streams of the
interfaces behind the groups, over the window. Nothing holds a whole object or log
group in memory: text is decompressed and tallied piece by piece (by worker
processes once there is more than a moment's work, ``flow_workers.py``), a Parquet
object is spooled to a temporary file and read in batches of rows.
"""

import functools
import importlib.util
import tempfile
import zlib

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.netguard.aws.plugins.module_utils.ec2 import aws_errors, error_code
from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError
from ansible_collections.netguard.aws.plugins.module_utils.flow_format import KNOWN_FIELDS, TALLY_FIELDS
from ansible_collections.netguard.aws.plugins.module_utils.flow_layout import LATE, listing_prefixes, wanted
from ansible_collections.netguard.aws.plugins.module_utils.flow_workers import FlowWorkerError, tally_gzip_objects

try:
    from botocore.exceptions import ClientError
except ImportError:
    # ec2.sdk_problem() reports a missing botocore before any reader runs.
    pass

# pyarrow takes a good part of a second to import: looked for here, imported only to read a Parquet object.
HAS_PYARROW = importlib.util.find_spec("pyarrow") is not None

# Bytes of an S3 object read at a time.
READ_SIZE = 1 << 20
# FilterLogEvents takes at most 100 stream names a call.
STREAMS_PER_CALL = 100
PARQUET_BATCH = 65536
_NOT_FOUND = "ResourceNotFoundException"
_STREAM_SUFFIXES = {"ALL": ("-all",), "ACCEPT": ("-accept",), None: ("-all", "-accept")}


def parquet_problem():
    """The ``missing_required_lib`` message when Parquet flow logs cannot be read here, or None."""
    return None if HAS_PYARROW else missing_required_lib("pyarrow", reason="to read flow logs in Parquet format")


def read_source(source, clients, region, accounts, interface_ids, tally, since, until):
    """Feed ``tally`` with the records of ``source`` (a ``FlowLogSource``) for the window, read in ``region`` with
    ``clients`` (``LogClients``); ``accounts``: the accounts whose S3 prefixes to read; ``interface_ids``: whose log
    streams to read. Returns the names of the log streams that do not exist (none for S3)."""
    if source.log_group is not None:
        return _read_log_group(source, clients.logs(region), interface_ids, tally, since, until)
    if source.file_format == "parquet" and not HAS_PYARROW:
        raise NetguardAwsError(parquet_problem())
    s3 = clients.s3(region)
    keys = (key for account in sorted(accounts) for key in _keys(s3, source, account, region, since, until))
    if source.file_format == "parquet":
        for key in keys:
            _read_parquet(s3, source, key, tally)
        return []
    try:
        tally_gzip_objects(tally, (functools.partial(_body, s3, source, key) for key in keys), source.fields)
    except (zlib.error, FlowWorkerError) as error:
        # Part of the evidence would be missing: no result rather than one that reads as less traffic.
        raise NetguardAwsError("%s: an object in s3://%s/%s could not be read as gzip text: %s" % (
            source.name, source.bucket, source.prefix, error))
    return []


def _body(s3, source, key):
    with aws_errors("s3:GetObject", "s3://%s/%s" % (source.bucket, key)):
        yield from s3.get_object(Bucket=source.bucket, Key=key)["Body"].iter_chunks(READ_SIZE)


def _keys(s3, source, account, region, since, until):
    paginator = s3.get_paginator("list_objects_v2")
    for prefix in listing_prefixes(source, account, region, since, until):
        with aws_errors("s3:ListBucket", "s3://%s/%s" % (source.bucket, prefix)):
            for page in paginator.paginate(Bucket=source.bucket, Prefix=prefix):
                for item in page.get("Contents", ()):
                    if wanted(item["Key"], source, since, until):
                        yield item["Key"]


def _read_parquet(s3, source, key, tally):
    import pyarrow.parquet

    with tempfile.TemporaryFile() as spool:
        with aws_errors("s3:GetObject", "s3://%s/%s" % (source.bucket, key)):
            body = s3.get_object(Bucket=source.bucket, Key=key)["Body"]
            for chunk in body.iter_chunks(READ_SIZE):
                spool.write(chunk)
        spool.seek(0)
        parquet = pyarrow.parquet.ParquetFile(spool)
        # Parquet columns are the fields with underscores: interface_id, log_status.
        columns = dict((name.replace("_", "-"), name) for name in parquet.schema_arrow.names
                       if name.replace("_", "-") in KNOWN_FIELDS)
        fields = tuple(field for field in TALLY_FIELDS if field in columns)
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH, columns=[columns[field] for field in fields]):
            texts = [[b"-" if value is None else str(value).encode() for value in batch.column(index).to_pylist()]
                     for index in range(len(fields))]
            tally.feed(map(b" ".join, zip(*texts)), fields)


def _read_log_group(source, logs, interface_ids, tally, since, until):
    """Read the log streams of the interfaces; return the names of those that do not exist."""
    window = {"startTime": (since - LATE) * 1000, "endTime": (until + LATE) * 1000}
    action, where = "logs:FilterLogEvents", "log group %s" % source.log_group
    with aws_errors(action, where):
        try:
            # A log group that does not exist would look like one without records: ask once, to tell them apart.
            logs.filter_log_events(logGroupName=source.log_group, limit=1, **window)
        except ClientError as error:
            if error_code(error) != _NOT_FOUND:
                raise
            where = " (the destination of %s)" % source.name if source.flow_log_id else ""
            raise NetguardAwsError("log group %s does not exist in %s%s"
                                   % (source.log_group, logs.meta.region_name, where))
    names = ["%s%s" % (interface_id, suffix) for interface_id in sorted(interface_ids)
             for suffix in _STREAM_SUFFIXES.get(source.traffic_type, _STREAM_SUFFIXES[None])]
    missing = []
    batches = [names[start:start + STREAMS_PER_CALL] for start in range(0, len(names), STREAMS_PER_CALL)]
    while batches:
        batch = batches.pop()
        with aws_errors(action, where):
            try:
                _filter(logs, source, batch, window, tally)
            except ClientError as error:
                if error_code(error) != _NOT_FOUND:
                    raise
                # AWS refuses a call naming a stream that does not exist: find which, one name at a time.
                if len(batch) == 1:
                    missing.append(batch[0])
                else:
                    batches.extend([name] for name in batch)
    return missing


def _filter(logs, source, names, window, tally):
    paginator = logs.get_paginator("filter_log_events")
    for page in paginator.paginate(logGroupName=source.log_group, logStreamNames=names, **window):
        tally.feed([event["message"].encode() for event in page.get("events", ())], source.fields)
