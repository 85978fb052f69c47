import Testing

@testable import ShadowCore

@Suite struct EventFactsTests {
    private func facts(_ text: String) -> EventFacts { EventFacts.read(Array(text.utf8)) }

    @Test func fieldsOfUpToOneHundredCharactersAreKeptWhateverTheirBytes() {
        // 100 two-byte characters (200 bytes) are kept; 101 are not, nor is an empty id
        let hundred = String(repeating: "é", count: 100)
        #expect(facts(#"{"event_id":"\#(hundred)","country":"DE"}"#).eventID == hundred)
        let long = #"{"event_id":"\#(hundred)é","country":"DE"}"#
        #expect(facts(long).eventID == "fnv1a:" + StableHash.fnv1aHex(Array(long.utf8)))
        #expect(facts(#"{"event_id":"","country":"DE"}"#).eventID.hasPrefix("fnv1a:"))
        // ASCII: 100 kept, 101 not
        let ascii = String(repeating: "a", count: 100)
        #expect(facts(#"{"country":"\#(ascii)"}"#).country == ascii)
        #expect(facts(#"{"country":"\#(ascii)a"}"#).country == "??")
    }

    @Test func missingOrNonStringFieldsAndGarbageGiveQuestionMarks() {
        let read = facts(#"{"event_id":"e-1","country":7,"business_line":"eats"}"#)
        #expect(read == EventFacts(eventID: "e-1", country: "??", businessLine: "eats", eventType: "??"))
        // The last duplicate wins, as in a full parse
        #expect(facts(#"{"country":"DE","country":"FR"}"#).country == "FR")
        let garbage = "not json"
        #expect(
            facts(garbage)
                == EventFacts(
                    eventID: "fnv1a:" + StableHash.fnv1aHex(Array(garbage.utf8)), country: "??", businessLine: "??",
                    eventType: "??"))
    }
}
