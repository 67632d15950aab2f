cwlVersion: v1.2
class: CommandLineTool
requirements:
  InlineJavascriptRequirement: {}
inputs:
  file:
    type: File
    inputBinding: {}
baseCommand: [wc, -c]
stdout: count.txt
outputs:
  length:
    type: int
    outputBinding:
      glob: count.txt
      loadContents: true
      outputEval: $(parseInt(self[0].contents))
