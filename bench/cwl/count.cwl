cwlVersion: v1.2
class: CommandLineTool
doc: Count the bytes of a file.
baseCommand: [wc, -c]
inputs:
  text: File
stdin: $(inputs.text.path)
outputs:
  out:
    type: stdout
stdout: count.txt
