"""Flow log records and files as AWS writes them, for the tests: text (gzip), Parquet, CloudWatch Logs events.

Formats, key layout and file names follow the VPC user guide's "Flow log records", "Flow log record examples" and
"Flow log files" pages.
"""

import gzip
import io
import time
from datetime import datetime, timezone

DEFAULT_FIELDS = ("version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol",
                  "packets", "bytes", "start", "end", "action", "log-status")
# A custom format in another order, with the fields that tell direction and who started a connection.
CUSTOM_FIELDS = ("flow-direction", "tcp-flags", "start", "end", "interface-id", "protocol", "dstport", "srcport",
                 "dstaddr", "srcaddr", "action", "log-status", "packets", "bytes", "vpc-id")
ACCOUNT = "123456789012"


def log_format(fields):
    return " ".join("${%s}" % field for field in fields)


def record(fields, **values):
    """One record line: ``values`` by field name with ``-`` for ``_`` (``log_status``), "-" for any left out."""
    values = dict((name.replace("_", "-"), value) for name, value in values.items())
    values.setdefault("version", 2 if fields == DEFAULT_FIELDS else 5)
    values.setdefault("account-id", ACCOUNT)
    return " ".join(str(values.get(field, "-")) for field in fields)


def flow(interface, source, destination, source_port, port, start, protocol=6, packets=10, size=840,
         action="ACCEPT", **more):
    """The values of one accepted (or rejected) record, one minute long."""
    return dict(more, interface_id=interface, srcaddr=source, dstaddr=destination, srcport=source_port,
                dstport=port, protocol=protocol, packets=packets, bytes=size, start=start, end=start + 60,
                action=action, log_status="OK")


def no_data(interface, start):
    return {"interface_id": interface, "start": start, "end": start + 60, "action": "-", "log_status": "NODATA"}


def skip_data(interface, start):
    return {"interface_id": interface, "start": start, "end": start + 60, "action": "-", "log_status": "SKIPDATA"}


def text_object(fields, records, header=True):
    """A gzip text file: the header line of field names, then one line per record."""
    lines = ([" ".join(fields)] if header else []) + [record(fields, **values) for values in records]
    return gzip.compress(("\n".join(lines) + "\n").encode())


def parquet_object(fields, records):
    import pyarrow
    import pyarrow.parquet

    numbers = ("version", "srcport", "dstport", "protocol", "packets", "bytes", "start", "end", "tcp-flags")
    columns = {}
    for field in fields:
        values = [dict((name.replace("_", "-"), value) for name, value in values.items()).get(field)
                  for values in records]
        if field == "account-id":
            values = [ACCOUNT] * len(records)
        if field == "version":
            values = [5] * len(records)
        columns[field.replace("-", "_")] = pyarrow.array(values, type=pyarrow.int64() if field in numbers
                                                         else pyarrow.string())
    sink = io.BytesIO()
    pyarrow.parquet.write_table(pyarrow.table(columns), sink, compression="gzip")
    return sink.getvalue()


def object_key(prefix, region, flow_log_id, written, hive=False, per_hour=False, parquet=False, account=ACCOUNT):
    """Where AWS puts the file written at ``written`` (seconds since the epoch)."""
    moment = datetime.fromtimestamp(written, timezone.utc)
    base = (prefix + "/" if prefix else "") + "AWSLogs/"
    if hive:
        base += "aws-account-id=%s/aws-service=vpcflowlogs/aws-region=%s/year=%04d/month=%02d/day=%02d/" % (
            account, region, moment.year, moment.month, moment.day)
        if per_hour:
            base += "hour=%02d/" % moment.hour
    else:
        base += "%s/vpcflowlogs/%s/%04d/%02d/%02d/" % (account, region, moment.year, moment.month, moment.day)
        if per_hour:
            base += "%02d/" % moment.hour
    name = "%s_vpcflowlogs_%s_%s_%sZ_%08x.log.%s" % (
        account, region, flow_log_id, moment.strftime("%Y%m%dT%H%M"), written & 0xffffffff,
        "parquet" if parquet else "gz")
    return base + name


def now_minute():
    return int(time.time()) // 60 * 60
