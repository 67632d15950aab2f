cwlVersion: v1.2
class: Workflow
doc: >
  A scatter over words: each job records its start and end in a counter file; the job for the
  word "wait" waits for a flag file between the two (see restart-scatter.cwl).
requirements:
  ScatterFeatureRequirement: {}
  ShellCommandRequirement: {}
inputs:
  words: string[]
  counter: string
  flag: string
outputs:
  files:
    type: File[]
    outputSource: step/out
steps:
  step:
    scatter: word
    in:
      word: words
      counter: counter
      flag: flag
    out: [out]
    run:
      class: CommandLineTool
      inputs:
        word: string
        counter: string
        flag: string
      arguments:
        - shellQuote: false
          valueFrom: >
            echo ran $(inputs.word) >> $(inputs.counter) &&
            if [ $(inputs.word) = wait ]; then while [ ! -e $(inputs.flag) ]; do sleep 0.2; done; fi &&
            echo $(inputs.word) > out.txt && echo done $(inputs.word) >> $(inputs.counter)
      outputs:
        out:
          type: File
          outputBinding: {glob: out.txt}
