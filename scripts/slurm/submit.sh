#!/usr/bin/env bash
# Submits a scenario to Slurm as a job array of SHARDS shards plus a merge job
# that starts when all shards have succeeded. Prints the merge job's id.
#
#   scripts/slurm/submit.sh SCENARIO SHARDS [OUT] [-- extra trialsim run args]
#
# TRIALSIM (environment) names the binary (default: trialsim on PATH); OUT
# (default output) must be on a file system every node sees.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
scenario=${1:?usage: submit.sh SCENARIO SHARDS [OUT] [-- args]}
shards=${2:?usage: submit.sh SCENARIO SHARDS [OUT] [-- args]}
out=${3:-output}
shift $(( $# < 3 ? $# : 3 ))
[ "${1:-}" = "--" ] && shift
bin=${TRIALSIM:-trialsim}
# The scenario's name (its output folder): trialsim validates the file first.
name=$("$bin" check "$scenario" | sed -n 's/^.*: ok (\([^,]*\),.*$/\1/p')
[ -n "$name" ] || { echo "submit.sh: $scenario did not validate" >&2; exit 2; }
export TRIALSIM=$bin
array=$(sbatch --parsable --export=ALL --array="1-$shards" \
  "$here/trialsim-array.sbatch" "$scenario" "$out" "$@")
array=${array%%;*}
merge=$(sbatch --parsable --export=ALL --dependency="afterok:$array" \
  "$here/trialsim-merge.sbatch" "$name" "$out")
echo "${merge%%;*}"
