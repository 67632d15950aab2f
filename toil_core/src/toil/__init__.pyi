"""Type-checker view of the ``toil`` package: its names are those of toil_core.compat_toplevel."""
from typing import List

from toil_core.compat_toplevel import (
    ApplianceImageNotFound as ApplianceImageNotFound,
    DeadlockException as DeadlockException,
    KNOWN_EXTANT_IMAGES as KNOWN_EXTANT_IMAGES,
    applianceSelf as applianceSelf,
    cacheDirName as cacheDirName,
    cache_path as cache_path,
    checkDockerImageExists as checkDockerImageExists,
    checkDockerSchema as checkDockerSchema,
    currentCommit as currentCommit,
    customDockerInitCmd as customDockerInitCmd,
    customInitCmd as customInitCmd,
    getNodeID as getNodeID,
    inVirtualEnv as inVirtualEnv,
    log as log,
    logProcessContext as logProcessContext,
    lookupEnvVar as lookupEnvVar,
    memoize as memoize,
    parseDockerAppliance as parseDockerAppliance,
    physicalDisk as physicalDisk,
    physicalMemory as physicalMemory,
    requestCheckDockerIo as requestCheckDockerIo,
    requestCheckRegularDocker as requestCheckRegularDocker,
    resolveEntryPoint as resolveEntryPoint,
    retry as retry,
    toilPackageDirPath as toilPackageDirPath,
    which as which,
)

__all__: List[str]
