"""Compatibility module: upstream name ``toil.lib.aws`` (imports without any AWS library)."""
from toil_core.lib.aws_env import (  # noqa: F401
    build_tag_dict_from_env,
    get_aws_zone_from_boto,
    get_aws_zone_from_environment,
    get_aws_zone_from_environment_region,
    get_aws_zone_from_metadata,
    get_current_aws_region,
    get_current_aws_zone,
    logger,
    running_on_ec2,
    running_on_ecs,
    zone_to_region,
)

__all__ = [
    "build_tag_dict_from_env", "get_aws_zone_from_boto", "get_aws_zone_from_environment",
    "get_aws_zone_from_environment_region", "get_aws_zone_from_metadata", "get_current_aws_region",
    "get_current_aws_zone", "logger", "running_on_ec2", "running_on_ecs", "zone_to_region",
]
