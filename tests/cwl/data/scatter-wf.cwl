cwlVersion: v1.2
class: Workflow
requirements:
  ScatterFeatureRequirement: {}
inputs:
  words: string[]
outputs:
  files:
    type: File[]
    outputSource: shout/out
  lengths:
    type: int[]
    outputSource: count/length
steps:
  shout:
    run: upper.cwl
    scatter: word
    in:
      word: words
    out: [out]
  count:
    run: count-chars.cwl
    scatter: file
    in:
      file: shout/out
    out: [length]
