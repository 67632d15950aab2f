cwlVersion: v1.2
class: CommandLineTool
doc: Upper-case a file.
baseCommand: [tr, a-z, A-Z]
inputs:
  text: File
stdin: $(inputs.text.path)
outputs:
  out:
    type: stdout
stdout: upper.txt
