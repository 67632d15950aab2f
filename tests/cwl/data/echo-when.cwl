cwlVersion: v1.2
class: Workflow
doc: Echo scattered over messages (dotproduct with a keep flag); elements with keep false are skipped.
requirements:
  ScatterFeatureRequirement: {}
inputs:
  messages: string[]
  keep: boolean[]
outputs:
  outs:
    type:
      type: array
      items: ["null", File]
    outputSource: echo/out
steps:
  echo:
    run:
      class: CommandLineTool
      baseCommand: echo
      inputs:
        message: {type: string, inputBinding: {position: 1}}
        keep: boolean
      outputs:
        out: {type: stdout}
      stdout: echo.txt
    scatter: [message, keep]
    scatterMethod: dotproduct
    when: $(inputs.keep)
    in:
      message: messages
      keep: keep
    out: [out]
