cwlVersion: v1.2
class: CommandLineTool
inputs:
  dirname: string
outputs:
  out:
    type: Directory
    outputBinding: {glob: $(inputs.dirname)}
arguments: [sh, -c, "mkdir $(inputs.dirname) && echo old > $(inputs.dirname)/kept && echo old > $(inputs.dirname)/changed"]
