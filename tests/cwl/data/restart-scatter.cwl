cwlVersion: v1.2
class: Workflow
doc: >
  A sub-workflow scattering over words (restart-scatter-inner.cwl). The test kills the run while
  the "wait" job waits and the others are done, then resumes it with --restart.
requirements:
  SubworkflowFeatureRequirement: {}
inputs:
  words: string[]
  counter: string
  flag: string
outputs:
  files:
    type: File[]
    outputSource: inner/files
steps:
  inner:
    run: restart-scatter-inner.cwl
    in: {words: words, counter: counter, flag: flag}
    out: [files]
