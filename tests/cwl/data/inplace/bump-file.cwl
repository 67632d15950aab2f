cwlVersion: v1.2
class: CommandLineTool
doc: Rewrites its input file in place (a longer number than before).
requirements:
  InitialWorkDirRequirement:
    listing:
      - entry: $(inputs.r)
        writable: true
  InplaceUpdateRequirement:
    inplaceUpdate: true
inputs:
  r: File
outputs:
  out:
    type: File
    outputBinding: {glob: $(inputs.r.basename)}
arguments: [sh, -c, "echo 4000 > $(inputs.r.basename)"]
