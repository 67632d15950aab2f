cwlVersion: v1.2
class: CommandLineTool
doc: Print the message into a file.
baseCommand: echo
inputs:
  message:
    type: string
    inputBinding: {position: 1}
outputs:
  out:
    type: stdout
stdout: echo.txt
