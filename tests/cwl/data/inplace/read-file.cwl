cwlVersion: v1.2
class: CommandLineTool
doc: The content of a file, as a string.
inputs:
  file1: File
  wait: {type: Any?}
outputs:
  output:
    type: string
    outputBinding: {glob: copy.txt, loadContents: true, outputEval: "$(self[0].contents)"}
arguments: [sh, -c, "cat $(inputs.file1.path) > copy.txt"]
