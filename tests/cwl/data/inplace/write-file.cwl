cwlVersion: v1.2
class: CommandLineTool
doc: Makes a small file holding a number.
inputs:
  value: string
outputs:
  out:
    type: File
    outputBinding: {glob: number.txt}
arguments: [sh, -c, "echo $(inputs.value) > number.txt"]
