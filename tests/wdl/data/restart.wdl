version 1.0

# The first call records each run in counter_file; the second fails until flag_file exists.
task count_runs {
  input { String counter_file }
  command <<<
    echo ran >> "~{counter_file}"
    echo first > first.txt
  >>>
  output { File first = "first.txt" }
}

task needs_flag {
  input {
    String flag_file
    File first
  }
  command <<<
    test -e "~{flag_file}" || { echo "no flag file yet" >&2; exit 1; }
    cat "~{first}" > second.txt
    echo second >> second.txt
  >>>
  output { File second = "second.txt" }
}

workflow restart {
  input {
    String counter_file
    String flag_file
  }
  call count_runs { input: counter_file = counter_file }
  call needs_flag { input: flag_file = flag_file, first = count_runs.first }
  output { File result = needs_flag.second }
}
