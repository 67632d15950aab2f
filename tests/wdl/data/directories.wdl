version development

# Directory values: made by a task, passed to another task with a file from inside it, given as an
# input from the host, and returned as a workflow output.
workflow dirs {
    input {
        Directory given
    }
    call make_dir
    call list_dir { input: d = make_dir.out, extra = given, inner = make_dir.inner_file }
    output {
        Directory made = make_dir.out
        File listing = list_dir.listing
        Directory passed_on = list_dir.same
    }
}

task make_dir {
    command <<<
        mkdir -p out/sub
        echo hello > out/a.txt
        echo world > out/sub/b.txt
    >>>
    output {
        Directory out = "out"
        File inner_file = "out/sub/b.txt"
    }
}

task list_dir {
    input {
        Directory d
        Directory extra
        File inner
    }
    command <<<
        set -e
        # a directory is interpolated with a trailing slash (as the conformance suite expects)
        case "~{d}" in */) ;; *) echo "no trailing slash: ~{d}" >&2; exit 1 ;; esac
        (cd "~{d}" && find . | sort) > listing.txt
        (cd "~{extra}" && find . -type f | sort) >> listing.txt
        if [ "$(realpath "$(dirname "~{inner}")")" = "$(realpath "~{d}sub")" ]; then echo "inner file inside its directory" >> listing.txt; fi
        cat "~{extra}/given.txt" >> listing.txt
    >>>
    output {
        File listing = "listing.txt"
        Directory same = d
    }
}
