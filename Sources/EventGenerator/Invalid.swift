/// Breaks one rule of the contract in an otherwise valid event.
enum Invalid {
    static func breakOneRule(_ members: [(String, JSONValue)], random: inout SeededGenerator) -> [(String, JSONValue)] {
        var members = members
        func set(_ key: String, _ value: JSONValue) {
            if let index = members.firstIndex(where: { $0.0 == key }) { members[index].1 = value }
        }
        switch random.int(0...7) {
        case 0: set("schema_version", .integer(2))
        case 1: set("country", .string("XX"))
        case 2: set("currency", .string("ZZZ"))
        case 3: members.removeAll { $0.0 == "customer" }
        case 4: set("invoice_seq", .string("12"))
        case 5: set("occurred_at", .string("yesterday"))
        case 6: members.append(("unexpected", .integer(1)))
        default: set("charges", .array([.object([("kind", .string("tip")), ("amount", .string("1.234"))])]))
        }
        return members
    }
}
