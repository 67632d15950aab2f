cwlVersion: v1.2
class: Workflow
doc: One echo CommandLineTool scattered over every message.
requirements:
  ScatterFeatureRequirement: {}
inputs:
  messages: string[]
outputs:
  outs:
    type: File[]
    outputSource: echo/out
steps:
  echo:
    run: echo.cwl
    scatter: message
    in:
      message: messages
    out: [out]
