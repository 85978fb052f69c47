import ShadowCore

/// What the generator needs to know of each country to write valid events: the contract's row
/// (``ContractCountry``: currency, digits, locales, zones) and what makes prices, cities and
/// customers look local.
struct Country: Sendable {
    let contract: ContractCountry
    /// Minor units per US cent, roughly: prices look local.
    let scale: Int
    let cities: [String]
    let customerStates: [String]?

    var code: String { contract.code }
    var currency: String { contract.currency }
    var digits: Int { contract.digits }
    var locales: [String] { contract.locales }
    var timeZones: [String] { contract.timeZones }

    /// What looks local, by country code.
    private static let local: [String: (scale: Int, cities: [String], customerStates: [String]?)] = [
        "US": (
            100, ["New York", "Los Angeles", "Austin", "Chicago", "Honolulu"],
            ["NY", "NY", "CA", "CA", "TX", "WA", "OR"]
        ),
        "GB": (80, ["London", "Manchester", "Edinburgh"], nil),
        "DE": (92, ["Berlin", "München", "Köln", "Hamburg"], nil),
        "FR": (92, ["Paris", "Lyon", "Marseille"], nil),
        "NL": (92, ["Amsterdam", "Rotterdam", "Utrecht"], nil),
        "CH": (90, ["Zürich", "Genève", "Basel"], nil),
        "SE": (1050, ["Stockholm", "Göteborg", "Malmö"], nil),
        "JP": (150, ["東京", "大阪", "Kyoto"], nil),
        "IN": (8300, ["Mumbai", "Bengaluru", "दिल्ली"], ["MH", "MH", "KA", "DL", "TN"]),
        "MX": (1700, ["Ciudad de México", "Monterrey", "Guadalajara"], nil),
    ]

    /// Every contract country, in the contract's order. A country without local data (a new row in
    /// the contract) still gets events: prices in cents, a city named after its code.
    static let all: [Country] = ContractCountry.all.map { contract in
        let local = Self.local[contract.code] ?? (100, ["\(contract.code) City"], nil)
        return Country(
            contract: contract, scale: local.scale, cities: local.cities, customerStates: local.customerStates)
    }
}
