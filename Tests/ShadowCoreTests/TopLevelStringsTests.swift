import Foundation
import ShadowCore
import Testing

/// `JSONValue.topLevelStrings` must agree with a full parse on every input, valid or not.
@Suite struct TopLevelStringsTests {
    static let names: Set<String> = ["event_id", "country", "number"]

    /// What the full parser says the same fields are.
    private func expected(_ bytes: [UInt8]) -> [String: String] {
        guard case .object(let members)? = try? JSONValue.parse(String(decoding: bytes, as: UTF8.self)) else {
            return [:]
        }
        var found: [String: String] = [:]
        for name in Self.names {
            if case .string(let value)? = members[name] { found[name] = value }
        }
        return found
    }

    static let crafted: [String] = [
        #"{"event_id":"e1","country":"DE","number":"DE-1"}"#,
        #"  {"country" : "FR" , "nested": {"country": "XX", "list": [1, {"number": "no"}]}}  "#,
        #"{"country":"DE","country":"NL"}"#,
        #"{"country":"DE","country":7}"#,
        #"{"country":7,"country":"SE"}"#,
        #"{"country":"D\u0045","event_id":"\ud83d\ude00 \"quoted\" \\ /"}"#,
        #"{"number":-1.5e+3,"event_id":true,"country":null}"#,
        #"{}"#, #"[]"#, #""country""#, "42", "null",
        #"{"country":"DE"} trailing"#, #"{"country":"DE",}"#, #"{"country":"DE""#, #"{"country" "DE"}"#,
        #"{"country":"\ud800"}"#, "{\"country\":\"tab\there\"}", #"{"country":01}"#, #"{"country":-}"#,
        #"{"a":[1,2,{"b":[]}],"number":"N-9"}"#, #"{"country":"DE"}{"#, "", "   ",
        // Faults inside skipped containers must fail the whole document, as the full parse does.
        #"{"lines":[{"d":"\ud800"}],"number":"N-1"}"#, #"{"lines":[{"d":"\udc00x"}],"number":"N-1"}"#,
        #"{"lines":["\ud83d\ude00 \"q\" \\ \/ \b\f\n\r\t"],"number":"N-2"}"#,
        #"{"lines":["\x"],"number":"N-3"}"#, #"{"lines":["\u12G4"],"number":"N-4"}"#,
        "{\"lines\":[\"tab\there\"],\"number\":\"N-5\"}", #"{"lines":[1,],"number":"N-6"}"#,
        #"{"lines":[1 2],"number":"N-7"}"#, #"{"lines":{"a" 1},"number":"N-8"}"#, #"{"lines":{"a":1,},"number":"N"}"#,
        #"{"lines":[01],"number":"N-9"}"#, #"{"lines":[-],"number":"N-10"}"#, #"{"lines":[tru],"number":"N-11"}"#,
        #"{"lines":["unterminated],"number":"N-12"}"#, #"{"lines":["\"#,
        #"{"lines":[{"a":[]},{}, [], ""],"number":"N-13"}"#,
        // Keys: escaped (the bytes differ from the name, the key does not), near misses, nested escapes.
        #"{"count\u0072y":"DE","num\u0062er":"N-14"}"#, #"{"countr":"DE","countryy":"NL","Country":"SE"}"#,
        #"{"a":{"k\u0065y":1,"\"":2},"number":"N-15"}"#, #"{"a":{"k\x":1},"number":"N-16"}"#,
        #"{"country\"":"DE"}"#, #"{"event_id":"e","\u0063ountry":"FR"}"#,
        String(repeating: "[", count: 600) + String(repeating: "]", count: 600),
        #"{"deep":"# + String(repeating: "[", count: 600) + String(repeating: "]", count: 600) + "}",
    ]

    @Test(arguments: crafted)
    func agreesWithTheFullParserOnCraftedInput(_ text: String) {
        let bytes = Array(text.utf8)
        #expect(JSONValue.topLevelStrings(named: Self.names, in: bytes) == expected(bytes))
        // By position, as EventFacts reads them
        let ordered = Self.names.sorted()
        #expect(JSONValue.topLevelStrings(ordered, in: bytes) == ordered.map { expected(bytes)[$0] })
    }

    @Test func agreesWithTheFullParserOnTheCorpusTheSeedsAndTheHostileFiles() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        var inputs: [[UInt8]] = []
        let corpus = try Data(contentsOf: root.appendingPathComponent("Corpus/events.jsonl"))
        inputs += corpus.split(separator: 0x0A).prefix(500).map { Array($0) }
        for folder in ["Fuzz/seeds", "Hostile"] {
            let directory = root.appendingPathComponent(folder)
            for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
                inputs.append(Array(try Data(contentsOf: directory.appendingPathComponent(name))))
            }
        }
        // Invalid UTF-8 inside and outside strings
        inputs.append([0x7B, 0x22, 0x63, 0x6F, 0x75, 0x6E, 0x74, 0x72, 0x79, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D])
        inputs.append([0xFF, 0x7B, 0x7D])
        #expect(inputs.count > 500)
        for input in inputs {
            #expect(
                JSONValue.topLevelStrings(named: Self.names, in: input) == expected(input),
                "\(String(decoding: input.prefix(80), as: UTF8.self))")
        }
    }
}
