version 1.0

workflow invalid {
  Int x = "not a number" + 
}
