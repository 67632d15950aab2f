cwlVersion: v1.2
class: Workflow
doc: step2 updates step1's file in place; step3 reads step1's value after it, step4 step2's.
requirements: {}
inputs: []
outputs:
  a: {type: string, outputSource: step3/output}
  b: {type: string, outputSource: step4/output}
steps:
  step1:
    in: {value: {default: "3"}}
    out: [out]
    run: write-file.cwl
  step2:
    in: {r: step1/out}
    out: [out]
    run: bump-file.cwl
  step3:
    in: {file1: step1/out, wait: step2/out}
    out: [output]
    run: read-file.cwl
  step4:
    in: {file1: step2/out}
    out: [output]
    run: read-file.cwl
