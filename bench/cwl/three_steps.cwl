cwlVersion: v1.2
class: Workflow
doc: Three CommandLineTools in a row (echo, upper-case, count), each scattered over every message.
requirements:
  ScatterFeatureRequirement: {}
inputs:
  messages: string[]
outputs:
  counts:
    type: File[]
    outputSource: count/out
steps:
  echo:
    run: echo.cwl
    scatter: message
    in:
      message: messages
    out: [out]
  upper:
    run: upper.cwl
    scatter: text
    in:
      text: echo/out
    out: [out]
  count:
    run: count.cwl
    scatter: text
    in:
      text: upper/out
    out: [out]
