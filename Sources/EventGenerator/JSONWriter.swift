import ShadowCore

/// A JSON value with ordered keys, written byte for byte the same on every run.
enum JSONValue {
    case string(String)
    case integer(Int)
    case object([(String, JSONValue)])
    case array([JSONValue])
    case null

    /// Compact JSON text with keys in the given order.
    func write(into output: inout String) {
        switch self {
        case .string(let value):
            ShadowCore.JSONValue.writeString(value, into: &output)
        case .integer(let value):
            output += String(value)
        case .null:
            output += "null"
        case .array(let values):
            output += "["
            for (index, value) in values.enumerated() {
                if index > 0 { output += "," }
                value.write(into: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { output += "," }
                ShadowCore.JSONValue.writeString(key, into: &output)
                output += ":"
                value.write(into: &output)
            }
            output += "}"
        }
    }
}
