/// Escaping for the report formats. Every string that came from an event, a diff or a traceback
/// goes through one of these before it is written.
public enum Escape {
    /// Text and attribute values in HTML.
    public static func html(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"": output += "&quot;"
            case "'": output += "&#39;"
            default: output.unicodeScalars.append(scalar)
            }
        }
        return output
    }

    /// Text and attribute values in XML 1.0: escaped, and characters XML cannot carry replaced by U+FFFD.
    static func xml(_ text: String) -> String {
        var output = ""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x26: output += "&amp;"
            case 0x3C: output += "&lt;"
            case 0x3E: output += "&gt;"
            case 0x22: output += "&quot;"
            case 0x27: output += "&apos;"
            case 0x09, 0x0A, 0x0D, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF:
                output.unicodeScalars.append(scalar)
            default: output += "\u{FFFD}"
            }
        }
        return output
    }

    /// Text in a Markdown table cell or inline code: pipes, backticks and line breaks neutralized.
    static func markdown(_ text: String) -> String {
        var output = ""
        for character in text {
            switch character {
            case "|": output += "\\|"
            case "`": output += "'"
            case "\n", "\r": output += " "
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            default: output.append(character)
            }
        }
        return output
    }
}

/// Number formats shared by the renderers.
public enum Format {
    /// `99.95%`: two decimals, rounded down so that 99.999 never shows as 100.00%.
    public static func percent(_ value: Double) -> String {
        let rounded = (value * 100).rounded(.down) / 100
        return formatted(rounded, decimals: 2) + "%"
    }

    /// `1.25 ms`.
    public static func milliseconds(_ value: Double) -> String { formatted(value, decimals: 2) + " ms" }

    /// `value` with `decimals` digits after the point, independent of the locale.
    public static func formatted(_ value: Double, decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int64((abs(value) * scale).rounded())
        let whole = scaled / Int64(scale)
        var fraction = String(scaled % Int64(scale))
        while fraction.count < decimals { fraction = "0" + fraction }
        return (value < 0 && scaled != 0 ? "-" : "") + "\(whole)" + (decimals > 0 ? "." + fraction : "")
    }
}
