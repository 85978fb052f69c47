/// A benchmark could not run: the description says why, as the command prints it.
package struct BenchmarkError: Error, CustomStringConvertible, Sendable {
    package let description: String
    package init(_ description: String) { self.description = description }
}
