import Testing

@testable import ShadowCore

@Suite struct StableHashTests {
    @Test func bothHashesArePinnedAcrossRunsAndPlatforms() {
        // Stored keys and ids depend on these values: a change here orphans every stored one.
        #expect(StableHash.fnv1aHex([]) == "cbf29ce484222325")  // FNV-1a's offset basis
        #expect(StableHash.fnv1aHex(Array("a".utf8)) == "af63dc4c8601ec8c")  // FNV-1a's published value
        #expect(StableHash.fnv1aHex(Array("98680".utf8)) == "0002ce23b3a76f4e")  // leading zeros kept (Python's %016x)
        // contentHex, as computed by an independent implementation of its definition (a Python
        // script: little-endian words, then the tail, then the finalizer)
        #expect(StableHash.contentHex([]) == "fd537b06e63f9f03")
        #expect(StableHash.contentHex(Array("<p>one</p>".utf8)) == "74e2502c7cc9e85c")  // a word and a tail
        #expect(StableHash.contentHex(Array("0123456789abcdef".utf8)) == "9f02a65b94bcac6d")  // two whole words
    }

    @Test func contentHashesSeparateOneByteChangesLengthsAndTails() {
        // Every single-byte change of a 100-byte document, every length 0-40 of one filler, and
        // tails that differ only past the last whole word: all distinct.
        let document = (0..<100).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        var seen = Set([StableHash.contentHex(document)])
        for index in document.indices {
            var changed = document
            changed[index] ^= 0x01
            seen.insert(StableHash.contentHex(changed))
        }
        #expect(seen.count == 101)
        let lengths = Set((0...40).map { StableHash.contentHex([UInt8](repeating: 0, count: $0)) })
        #expect(lengths.count == 41)
        #expect(StableHash.contentHex(Array("12345678a".utf8)) != StableHash.contentHex(Array("12345678b".utf8)))
    }
}
