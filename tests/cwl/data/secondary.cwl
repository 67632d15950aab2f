cwlVersion: v1.2
class: CommandLineTool
requirements:
  ShellCommandRequirement: {}
  InlineJavascriptRequirement: {}
inputs:
  reads:
    type: File
    secondaryFiles: [.idx, ^.meta]
arguments:
  - shellQuote: false
    valueFrom: >
      ls $(inputs.reads.dirname) > listing.txt &&
      cat $(inputs.reads.path).idx > result.txt &&
      cp $(inputs.reads.path) result.bam && echo index > result.bam.bai
outputs:
  listing:
    type: File
    outputBinding: {glob: listing.txt}
  result:
    type: File
    outputBinding: {glob: result.bam}
    secondaryFiles: [.bai]
  index_copy:
    type: File
    outputBinding: {glob: result.txt}
