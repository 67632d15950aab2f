cwlVersion: v1.2
class: Workflow
doc: >
  Two would-be scatter chains that wait on each other: a -> b and c -> d, where b also reads all of
  c's outputs and d all of a's. Neither chain can start before the other ends, so their steps run
  one scatter at a time.
requirements:
  ScatterFeatureRequirement: {}
inputs:
  messages: string[]
outputs:
  b_out: {type: {type: array, items: File}, outputSource: b/out}
  d_out: {type: {type: array, items: File}, outputSource: d/out}
steps:
  a:
    run: &echo
      class: CommandLineTool
      baseCommand: echo
      inputs:
        message: {type: string, inputBinding: {position: 1}}
      outputs:
        out: {type: stdout}
      stdout: echo.txt
    scatter: message
    in: {message: messages}
    out: [out]
  c:
    run: *echo
    scatter: message
    in: {message: messages}
    out: [out]
  b:
    run: &cat
      class: CommandLineTool
      baseCommand: cat
      inputs:
        first: {type: File, inputBinding: {position: 1}}
        others: {type: "File[]", inputBinding: {position: 2}}
      outputs:
        out: {type: stdout}
      stdout: cat.txt
    scatter: first
    in: {first: a/out, others: c/out}
    out: [out]
  d:
    run: *cat
    scatter: first
    in: {first: c/out, others: a/out}
    out: [out]
