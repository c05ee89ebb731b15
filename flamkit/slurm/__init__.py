"""Launching flamkit on SLURM: sweeps as one submitit job array, requeue on time limits and preemption.

Read in this order: :mod:`.sweeps` (which runs: sweep files and grid syntax), :mod:`.clusters`
(cluster profiles), :mod:`.resolve` (every point composed and validated before submission),
:mod:`.submit` (the sbatch script and the array submission), :mod:`.task` (what each array task runs,
and the requeue decision after a stop signal), :mod:`.runlog` and :mod:`.record` (what is written
where), :mod:`.status` (state, step and metrics of launched runs), :mod:`.jobs` (the SLURM commands).
docs/slurm.md is the user's guide.
"""
