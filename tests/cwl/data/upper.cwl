cwlVersion: v1.2
class: CommandLineTool
requirements:
  ShellCommandRequirement: {}
inputs:
  word: string
arguments:
  - shellQuote: false
    valueFrom: echo $(inputs.word) | tr a-z A-Z
stdout: $(inputs.word).txt
outputs:
  out: stdout
