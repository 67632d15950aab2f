"""Write test files given as 'path' followed by content blocks (separated by lines '=== path').

The cwlVersion of dev-release copies (v1.2.0-devN) is set to the released v1.2."""
import os
import re
import sys

base = sys.argv[1]
text = sys.stdin.read()
for block in re.split(r"^=== ", text, flags=re.M)[1:]:
    name, _, body = block.partition("\n")
    body = re.sub(r"cwlVersion: v1\.(?:1|2)\.0-dev\d+", "cwlVersion: v1.2", body)
    path = os.path.join(base, name.strip())
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(body)
    print("wrote", name.strip())
