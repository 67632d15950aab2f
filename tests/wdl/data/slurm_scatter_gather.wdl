version 1.0

# A scatter of one task per name and a gather, with File inputs and outputs, for the Slurm test
# (tests/wdl/test_wdl_on_slurm.py). Each task also reports the Slurm job it ran in.

task label_one {
  input {
    String name
    File greeting
  }
  command <<<
    printf '%s %s\n' "$(cat ~{greeting})" "~{name}" > labelled.txt
    echo "${SLURM_JOB_ID:-not-a-slurm-job}" > slurm_job.txt
  >>>
  output {
    File labelled = "labelled.txt"
    String slurm_job = read_string("slurm_job.txt")
  }
  runtime { cpu: 1 memory: "200 MiB" }
}

task gather_all {
  input { Array[File] parts }
  command <<<
    cat ~{sep=" " parts} > gathered.txt
    echo "${SLURM_JOB_ID:-not-a-slurm-job}" > slurm_job.txt
  >>>
  output {
    File gathered = "gathered.txt"
    Int lines = length(read_lines("gathered.txt"))
    String slurm_job = read_string("slurm_job.txt")
  }
  runtime { cpu: 1 memory: "200 MiB" }
}

workflow slurm_scatter_gather {
  input {
    Array[String] names
    File greeting
  }
  scatter (n in names) {
    call label_one { input: name = n, greeting = greeting }
  }
  call gather_all { input: parts = label_one.labelled }
  output {
    Array[File] labelled = label_one.labelled
    File gathered = gather_all.gathered
    Int lines = gather_all.lines
    Array[String] scatter_jobs = label_one.slurm_job
    String gather_job = gather_all.slurm_job
  }
}
