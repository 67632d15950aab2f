version 1.0

task greet {
  input {
    String name
    File extra
  }
  command <<<
    echo "hello ~{name}" > out.txt
    cat ~{extra} >> out.txt
    echo "err ~{name}" >&2
  >>>
  output {
    File out = "out.txt"
    String first = read_lines("out.txt")[0]
  }
  runtime { cpu: 1 memory: "100 MiB" }
}

task concat {
  input { Array[File] files }
  command <<<
    cat ~{sep=" " files} > all.txt
  >>>
  output { File all = "all.txt" Int n = length(read_lines("all.txt")) }
}

workflow main {
  input {
    Array[String] names
    File extra
    Boolean do_concat = true
  }
  scatter (n in names) {
    call greet { input: name = n, extra = extra }
  }
  if (do_concat) {
    call concat { input: files = greet.out }
  }
  Int total = select_first([concat.n, 0]) + 1
  output {
    Array[String] firsts = greet.first
    File? all = concat.all
    Int t = total
  }
}
