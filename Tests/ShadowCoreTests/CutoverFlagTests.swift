import ShadowCore
import Testing

@Suite struct CutoverFlagTests {
    @Test func primaryAndShadowFollowTheFlag() {
        #expect(CutoverFlag.legacy.primary == .legacy)
        #expect(CutoverFlag.legacy.shadow == nil)
        #expect(CutoverFlag.shadow.primary == .legacy)
        #expect(CutoverFlag.shadow.shadow == .swift)
        #expect(CutoverFlag.live.primary == .swift)
        #expect(CutoverFlag.live.shadow == .legacy)
        #expect(CutoverFlag.swift.primary == .swift)
        #expect(CutoverFlag.swift.shadow == nil)
    }

    @Test func flagsParseFromTheirStoredNames() {
        #expect(CutoverFlag(rawValue: "live") == .live)
        #expect(CutoverFlag(rawValue: "LIVE") == nil)
    }
}
