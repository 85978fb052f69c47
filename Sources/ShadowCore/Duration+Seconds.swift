extension Duration {
    /// The duration in seconds, as a Double (for printing, logs, and APIs that take seconds).
    package var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
