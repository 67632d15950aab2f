cwlVersion: v1.2
class: Workflow
requirements:
  SubworkflowFeatureRequirement: {}
  ScatterFeatureRequirement: {}
inputs:
  words: string[]
outputs:
  lengths:
    type: int[]
    outputSource: inner/lengths
  total:
    type: int
    outputSource: sum/total
steps:
  inner:
    run: scatter-wf.cwl
    in:
      words: words
    out: [lengths, files]
  sum:
    in:
      values: inner/lengths
    out: [total]
    run:
      class: ExpressionTool
      requirements:
        InlineJavascriptRequirement: {}
      inputs:
        values: int[]
      outputs:
        total: int
      expression: '$({"total": inputs.values.reduce(function(a, b) { return a + b; }, 0)})'
