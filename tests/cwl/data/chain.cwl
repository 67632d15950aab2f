cwlVersion: v1.2
class: Workflow
doc: >
  A scatter chain (echo -> shout -> count, each element through all three) next to a barrier:
  `total` reads shout's whole output array. Elements with keep false are skipped by echo's `when`;
  shout then gets a null and skips itself. The suffix is a workflow input shared by every element.
requirements:
  ScatterFeatureRequirement: {}
  StepInputExpressionRequirement: {}
  InlineJavascriptRequirement: {}
  MultipleInputFeatureRequirement: {}
inputs:
  messages: string[]
  keep: boolean[]
  suffix: string
outputs:
  echoed:
    type: {type: array, items: ["null", File]}
    outputSource: echo/out
  counts:
    type: {type: array, items: ["null", File]}
    outputSource: count/out
  total:
    type: File
    outputSource: total/out
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
  shout:
    run:
      class: CommandLineTool
      baseCommand: [sed]
      inputs:
        text: {type: "File?"}
        script: {type: string, inputBinding: {position: 1}}
      arguments: [{valueFrom: $(inputs.text.path), position: 2}]
      outputs:
        out: {type: stdout}
      stdout: shout.txt
    scatter: text
    when: $(inputs.text !== null)
    in:
      text: echo/out
      script: {source: suffix, valueFrom: "s/$/ $(self)/"}
    out: [out]
  count:
    run:
      class: CommandLineTool
      baseCommand: [wc, -c]
      inputs:
        text: {type: "File?"}
      stdin: $(inputs.text.path)
      outputs:
        out: {type: stdout}
      stdout: count.txt
    scatter: text
    when: $(inputs.text !== null)
    in:
      text: shout/out
    out: [out]
  total:
    run:
      class: CommandLineTool
      baseCommand: [cat]
      inputs:
        texts: {type: {type: array, items: File}, inputBinding: {position: 1}}
      outputs:
        out: {type: stdout}
      stdout: total.txt
    in:
      texts: {source: shout/out, pickValue: all_non_null}
    out: [out]
