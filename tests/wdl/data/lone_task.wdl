version 1.0

task shout {
  input { String word }
  command <<<
    echo "~{word}" | tr a-z A-Z
  >>>
  output { String loud = read_string(stdout()) }
}
