import Foundation
import Testing

@testable import ShadowStore

/// The path arrays the store writes without `JSONEncoder` must read back as the same strings.
@Suite struct JSONArrayTests {
    static let arrays: [[String]] = [
        [], ["/lines/*/tax"], ["html", "/totals/gross", "legacy:invalid:order.items[*].unit_price"],
        [#"quote " and backslash \ and slash /"#, "tab\tnewline\nreturn\r", "\u{0}\u{1}\u{8}\u{C}\u{1F}\u{7F}"],
        ["Zürich ￥ \u{202F} 👩🏽‍💻 \u{200F}עברית\u{200E}", "~0~1", ""],
    ]

    @Test(arguments: arrays)
    func readsBackAsTheSameStringsAsJSONEncoderText(_ strings: [String]) throws {
        // Given the text the store writes
        let text = ShadowStore.jsonArray(strings)
        // Then JSONDecoder reads the same strings back, as it does from JSONEncoder's text
        let decoded = try JSONDecoder().decode([String].self, from: Data(text.utf8))
        #expect(decoded == strings)
        let encoded = try JSONDecoder().decode([String].self, from: JSONEncoder().encode(strings))
        #expect(decoded == encoded)
    }
}
