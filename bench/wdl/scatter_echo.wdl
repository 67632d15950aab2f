version 1.0

# The WDL bench case (bench/wdl_cases.py): one tiny task per message, each in a container.
workflow scatter_echo {
    input {
        Array[String] messages
        String image = "ubuntu:20.04"
    }
    scatter (message in messages) {
        call echo { input: message = message, image = image }
    }
    output {
        Array[File] outs = echo.out
    }
}

task echo {
    input {
        String message
        String image
    }
    command <<<
        echo "~{message}" > out.txt
    >>>
    output {
        File out = "out.txt"
    }
    runtime {
        docker: image
        cpu: 1
        memory: "100 MiB"
    }
}
