version 1.0

workflow typo {
  input { Int x }
  output { Int y = x + undefined_name }
}
