#!/usr/bin/env bash
# Run the CWL conformance suites (v1.0, v1.1, v1.2) with cwltest against toil-cwl-runner and
# cwltool, and print passed/failed/unsupported per version. All arguments go to
# `python -m toil_cwl.conformance` (see --help), e.g.:
#   toil_cwl/scripts/conformance.sh                       # everything that can be found
#   toil_cwl/scripts/conformance.sh --spec v1.2=~/src/cwl-v1.2 --runners toil-cwl-runner
#   toil_cwl/scripts/conformance.sh --versions v1.2 --containers both -- --tags workflow
# (`make conformance` runs it with --containers both.)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-$here/../../.venv/bin/python}"
[[ -x "$python" ]] || python="$(command -v python3)"
exec "$python" -m toil_cwl.conformance "$@"
