version 1.1

import "sub.wdl" as lib

workflow outer {
  input { Int n = 3 }
  call lib.sub as s { input: xs = range(n) }
  Int total = length(s.doubled)
  output {
    Array[Int] doubled = s.doubled
    Int count = total
  }
}
