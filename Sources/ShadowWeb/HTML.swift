import ShadowReports

/// A piece of HTML whose every interpolated string is escaped: the dashboard's pages are written
/// as `HTML` literals, so a value from an event, a diff, a traceback or a flag reason cannot become
/// markup unless it is itself `HTML`. Only literals and other `HTML` values are inserted as they
/// are; numbers are inserted as digits.
struct HTML: ExpressibleByStringInterpolation, CustomStringConvertible, Sendable, Equatable {
    /// The markup.
    private(set) var description: String

    /// Markup the page's own code wrote (a constant, or a fragment built only of escaped parts).
    init(trusted markup: String) {
        description = markup
    }

    init(stringLiteral value: String) {
        description = value
    }

    init(stringInterpolation: Interpolation) {
        description = stringInterpolation.output
    }

    struct Interpolation: StringInterpolationProtocol {
        var output = ""

        init(literalCapacity: Int, interpolationCount: Int) {
            output.reserveCapacity(literalCapacity + 16 * interpolationCount)
        }

        mutating func appendLiteral(_ literal: String) {
            output += literal
        }

        /// Text: escaped for element content and attribute values alike.
        mutating func appendInterpolation(_ text: String) {
            output += Escape.html(text)
        }

        /// Markup: inserted as it is.
        mutating func appendInterpolation(_ html: HTML) {
            output += html.description
        }

        /// A number: its digits.
        mutating func appendInterpolation<Number: BinaryInteger>(_ number: Number) {
            output += String(number)
        }

        /// A number: its shortest decimal form (coordinates in charts).
        mutating func appendInterpolation(_ number: Double) {
            output += String(number)
        }
    }

    static func + (left: HTML, right: HTML) -> HTML {
        HTML(trusted: left.description + right.description)
    }

    static func += (left: inout HTML, right: HTML) {
        left.description += right.description
    }
}

extension Sequence where Element == HTML {
    /// The pieces one after the other, with `separator` between them.
    func joined(separator: HTML = "") -> HTML {
        HTML(trusted: map(\.description).joined(separator: separator.description))
    }
}
