cwlVersion: v1.2
class: Workflow
doc: step2 updates step1's directory in place; step3 lists step1's value after it, step4 step2's.
inputs: []
outputs:
  a: {type: string, outputSource: step3/output}
  b: {type: string, outputSource: step4/output}
steps:
  step1:
    in: {dirname: {default: step1dir}}
    out: [out]
    run: make-dir.cwl
  step2:
    in: {r: step1/out}
    out: [out]
    run: touch-dir.cwl
  step3:
    in: {d: step1/out, wait: step2/out}
    out: [output]
    run: list-dir.cwl
  step4:
    in: {d: step2/out}
    out: [output]
    run: list-dir.cwl
