cwlVersion: v1.2
class: CommandLineTool
doc: The names and contents of the files in a directory, as a string.
inputs:
  d: Directory
  wait: {type: Any?}
outputs:
  output:
    type: string
    outputBinding: {glob: listing.txt, loadContents: true, outputEval: "$(self[0].contents)"}
arguments: [sh, -c, "cd $(inputs.d.path) && for f in *; do echo \"$f:\"; cat \"$f\"; done > $(runtime.outdir)/listing.txt"]
