import Foundation
import ShadowCore
import TestSupport
import Testing

@testable import InvoiceService

/// The Swift country table (ShadowCore's ContractCountry) against the legacy's `countries.py`, and
/// the port's per-country and per-locale tables against the Swift one: adding a country to one
/// side only fails here.
@Suite struct ContractCountryTests {
    /// The legacy's table, as Debian's python3 reads it from `legacy/` (not the pyenv one on PATH),
    /// in ``ContractCountry``'s JSON form.
    static func legacyTable() throws -> [ContractCountry] {
        let script = """
            import json
            from invoicing.countries import COUNTRIES
            def minor(value, digits):
                return None if value is None else int(value.scaleb(digits))
            print(json.dumps([
                {"code": r.code, "currency": r.currency, "digits": r.digits, "locales": list(r.locales),
                 "time_zones": list(r.time_zones), "prices": r.prices, "rounding": r.rounding,
                 "rounding_mode": r.rounding_mode, "tax_label": r.tax_label,
                 "simplified_threshold": minor(r.simplified_threshold, r.digits),
                 "cash_increment": minor(r.cash_increment, r.digits)}
                for r in COUNTRIES.values()]))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script]
        process.currentDirectoryURL = URL(fileURLWithPath: TestSupport.legacyDirectory)
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return try JSONDecoder().decode([ContractCountry].self, from: data)
    }

    @Test func theSwiftTableIsTheLegacyTable() throws {
        // Given the legacy's table, read by its own interpreter
        let legacy = try Self.legacyTable()
        // Then every row agrees, in the same order, field by field
        #expect(legacy.map(\.code) == ContractCountry.codes)
        for (python, swift) in zip(legacy, ContractCountry.all) {
            #expect(python == swift, "country \(python.code): countries.py and ContractCountry disagree")
        }
    }

    @Test func thePortHasRulesFormatsAndLabelsForEveryContractCountry() {
        #expect(Set(CountryRules.rates.keys) == Set(ContractCountry.codes))
        #expect(CountryRules.all.count == ContractCountry.all.count)
        for locale in ContractCountry.allLocales {
            #expect(BabelFormat.locales[locale] != nil, "no Babel format for \(locale)")
            let language = String(locale.prefix { $0 != "_" })
            #expect(Labels.tables[language] != nil, "no labels for \(language) (\(locale))")
        }
    }
}
