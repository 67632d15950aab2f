version 1.1

task double {
  input { Int x }
  command <<<
    echo $(( ~{x} * 2 ))
  >>>
  output { Int y = read_int(stdout()) }
}

workflow sub {
  input { Array[Int] xs }
  scatter (x in xs) {
    call double { input: x = x }
  }
  output { Array[Int] doubled = double.y }
}
