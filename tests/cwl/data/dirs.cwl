cwlVersion: v1.2
class: Workflow
requirements:
  InlineJavascriptRequirement: {}
  ShellCommandRequirement: {}
inputs:
  indir: Directory
outputs:
  names:
    type: string[]
    outputSource: list/names
  newdir:
    type: Directory
    outputSource: build/newdir
steps:
  list:
    in:
      indir: indir
    out: [names]
    run:
      class: ExpressionTool
      requirements:
        LoadListingRequirement: {loadListing: deep_listing}
      inputs:
        indir: Directory
      outputs:
        names: string[]
      expression: |
        ${
          var names = [];
          function walk(d, prefix) {
            d.listing.forEach(function(e) {
              names.push(prefix + e.basename);
              if (e.class == "Directory") { walk(e, prefix + e.basename + "/"); }
            });
          }
          walk(inputs.indir, "");
          return {"names": names.sort()};
        }
  build:
    in:
      indir: indir
    out: [newdir]
    run:
      class: CommandLineTool
      inputs:
        indir: Directory
      arguments:
        - shellQuote: false
          valueFrom: >
            mkdir -p newdir/sub && cp -r $(inputs.indir.path)/* newdir/ &&
            cat $(inputs.indir.path)/a.txt $(inputs.indir.path)/nested/b.txt > newdir/sub/joined.txt
      outputs:
        newdir:
          type: Directory
          outputBinding: {glob: newdir}
