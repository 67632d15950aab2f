version 1.1

# A task in a container: it reads a marker file that only the test image has, and copies an input
# file to an output file (files go into the container and come back out).
workflow boxed {
    input {
        String image
        File data
    }
    call inside { input: image = image, data = data }
    output {
        String marker = inside.marker
        File copy = inside.copy
    }
}

task inside {
    input {
        String image
        File data
    }
    command <<<
        cat /etc/toil-wdl-image 2>/dev/null || echo "on the host"
        cp "~{data}" copy.txt
        echo "added in the task" >> copy.txt
    >>>
    output {
        String marker = read_string(stdout())
        File copy = "copy.txt"
    }
    runtime {
        container: image
    }
}
