cwlVersion: v1.2
class: Workflow
doc: >
  Step "first" records each of its runs in a counter file; step "second" records that it started
  ("waiting"), then waits until a flag file exists. The test kills the run while "second" waits, then resumes it with --restart.
requirements:
  ShellCommandRequirement: {}
inputs:
  counter: string
  flag: string
outputs:
  result:
    type: File
    outputSource: second/out
steps:
  first:
    in:
      counter: counter
    out: [out]
    run:
      class: CommandLineTool
      inputs:
        counter: string
      arguments:
        - shellQuote: false
          valueFrom: echo ran >> $(inputs.counter) && echo first > first.txt
      outputs:
        out:
          type: File
          outputBinding: {glob: first.txt}
  second:
    in:
      previous: first/out
      counter: counter
      flag: flag
    out: [out]
    run:
      class: CommandLineTool
      inputs:
        previous: File
        counter: string
        flag: string
      arguments:
        - shellQuote: false
          valueFrom: >
            echo waiting >> $(inputs.counter) &&
            while [ ! -e $(inputs.flag) ]; do sleep 0.2; done &&
            cat $(inputs.previous.path) > second.txt && echo second >> second.txt
      outputs:
        out:
          type: File
          outputBinding: {glob: second.txt}
