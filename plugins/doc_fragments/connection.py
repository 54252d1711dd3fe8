# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # AWS connection options, with the names, aliases and environment variables of amazon.aws.
    DOCUMENTATION = r"""
options:
  access_key:
    description:
      - AWS access key ID.
      - The E(AWS_ACCESS_KEY_ID) or E(AWS_ACCESS_KEY) environment variables are used when this is not set.
      - When neither this nor O(profile) is set, botocore looks for credentials as usual
        (environment, shared files, container or instance role).
      - Masked in output, like O(secret_key) and O(session_token).
    type: str
    aliases: [aws_access_key_id, aws_access_key]
  secret_key:
    description:
      - AWS secret access key.
      - The E(AWS_SECRET_ACCESS_KEY) or E(AWS_SECRET_KEY) environment variables are used when this is not set.
    type: str
    aliases: [aws_secret_access_key, aws_secret_key]
  session_token:
    description:
      - AWS STS session token, for temporary credentials.
      - The E(AWS_SESSION_TOKEN) environment variable is used when this is not set.
    type: str
    aliases: [aws_session_token]
  profile:
    description:
      - A named profile from the AWS config and credentials files.
      - The E(AWS_PROFILE) or E(AWS_DEFAULT_PROFILE) environment variables are used when this is not set.
      - Credentials given with O(access_key) and O(secret_key) take precedence over the profile's;
        its other settings (such as the region) still apply.
    type: str
    aliases: [aws_profile]
  region:
    description:
      - The AWS region of the security group, for example V(eu-west-1).
      - The E(AWS_REGION) or E(AWS_DEFAULT_REGION) environment variables, then the profile's
        region, are used when this is not set.
    type: str
    aliases: [aws_region]
  endpoint_url:
    description:
      - URL of the EC2 endpoint to use instead of the default AWS endpoint for the region,
        for example a VPC interface endpoint or a local test endpoint.
      - The E(AWS_URL) environment variable is used when this is not set.
    type: str
    aliases: [aws_endpoint_url]
  validate_certs:
    description:
      - When V(false), TLS certificates of the endpoint are not checked.
        Prefer setting O(aws_ca_bundle).
    type: bool
    default: true
  aws_ca_bundle:
    description:
      - Path of a CA bundle to verify the endpoint's TLS certificate with.
      - The E(AWS_CA_BUNDLE) environment variable is used when this is not set.
    type: path
  aws_config:
    description:
      - 'botocore client configuration, as keyword arguments of C(botocore.config.Config),
        for example C({"retries": {"mode": "adaptive", "total_max_attempts": 10}, "connect_timeout": 5}).'
      - By default botocore's V(adaptive) retry mode handles throttling and transient errors, with up to 5
        attempts per call (the first included) and a client-side rate limit that follows what EC2 lets through,
        unless E(AWS_RETRY_MODE), E(AWS_MAX_ATTEMPTS) or the profile set them; a chosen V(legacy) mode is replaced by
        V(standard). Keys given in C(retries) here win.
    type: dict
requirements:
  - python >= 3.8
  - botocore >= 1.35.52
  - boto3 >= 1.35.52
notes:
  - The module runs where the task runs; environment variables and AWS config files are read on that host.
"""
