cwlVersion: v1.2
class: CommandLineTool
doc: Adds a file to its input directory and rewrites another one, in place.
requirements:
  InitialWorkDirRequirement:
    listing:
      - entry: $(inputs.r)
        entryname: inp
        writable: true
  InplaceUpdateRequirement:
    inplaceUpdate: true
inputs:
  r: Directory
outputs:
  out:
    type: Directory
    outputBinding: {glob: inp}
arguments: [sh, -c, "touch inp/blurb && echo new, longer > inp/changed"]
