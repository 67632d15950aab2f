version 1.1

# Declarations (not only calls) inside a scatter and inside conditionals are visible after them.
workflow decls {
    Array[Int] xs = [1, 2, 3]
    scatter (x in xs) {
        Int doubled = x * 2
        if (x > 1) {
            Int big_x = x
        }
    }
    if (length(xs) > 2) {
        String big = "yes"
    }
    if (length(xs) > 5) {
        String huge = "yes"
    }
    output {
        Array[Int] d = doubled
        Array[Int?] bx = big_x
        String? b = big
        String? h = huge
    }
}
