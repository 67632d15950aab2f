version 1.0

task fail {
  command <<<
    echo "this is what went wrong" >&2
    exit 3
  >>>
}

workflow failing {
  call fail
}
