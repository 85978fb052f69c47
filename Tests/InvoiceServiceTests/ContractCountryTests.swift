import Foundation
import ShadowCore
import TestSupport
import Testing

@testable import InvoiceService

/// The Swift country table (ShadowCore's ContractCountry) against the legacy's `countries.py`, and
/// the port's per-country and per-locale tables against the Swift one: adding a country to one
/// side only fails here.
@Suite struct ContractCountryTests {
    /// One row of `invoicing.countries.COUNTRIES`, as Debian's python3 prints it.
    struct LegacyRow: Decodable, Equatable {
        var code: String
        var currency: String
        var digits: Int
        var locales: [String]
        var timeZones: [String]
        var prices: String
        var rounding: String
        var roundingMode: String
        var taxLabel: String
        /// In minor units.
        var simplifiedThreshold: Int?
        var cashIncrement: Int?
    }

    /// The legacy's table, read by Debian's python3 from `legacy/` (not the pyenv one on PATH).
    static func legacyTable() throws -> [LegacyRow] {
        let script = """
            import json
            from invoicing.countries import COUNTRIES
            def minor(value, digits):
                return None if value is None else int(value.scaleb(digits))
            print(json.dumps([
                {"code": r.code, "currency": r.currency, "digits": r.digits, "locales": list(r.locales),
                 "timeZones": list(r.time_zones), "prices": r.prices, "rounding": r.rounding,
                 "roundingMode": r.rounding_mode, "taxLabel": r.tax_label,
                 "simplifiedThreshold": minor(r.simplified_threshold, r.digits),
                 "cashIncrement": minor(r.cash_increment, r.digits)}
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
        return try JSONDecoder().decode([LegacyRow].self, from: data)
    }

    static func swiftTable() -> [LegacyRow] {
        ContractCountry.all.map { country in
            LegacyRow(
                code: country.code, currency: country.currency, digits: country.digits, locales: country.locales,
                timeZones: country.timeZones, prices: country.prices.rawValue, rounding: country.rounding.rawValue,
                roundingMode: country.roundingMode.rawValue, taxLabel: country.taxLabel,
                simplifiedThreshold: country.simplifiedThreshold, cashIncrement: country.cashIncrement)
        }
    }

    @Test func theSwiftTableIsTheLegacyTable() throws {
        // Given the legacy's table, read by its own interpreter
        let legacy = try Self.legacyTable()
        // Then every row agrees, in the same order, field by field
        #expect(legacy.map(\.code) == ContractCountry.codes)
        for (python, swift) in zip(legacy, Self.swiftTable()) {
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
