/// What the generator needs to know of each country to write valid events.
struct Country: Sendable {
    let code: String
    let currency: String
    let digits: Int
    /// Minor units per US cent, roughly: prices look local.
    let scale: Int
    let locales: [String]
    let timeZones: [String]
    let cities: [String]
    let customerStates: [String]?

    static let all: [Country] = [
        Country(
            code: "US", currency: "USD", digits: 2, scale: 100, locales: ["en_US", "es_US"],
            timeZones: [
                "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
                "America/Anchorage", "Pacific/Honolulu",
            ],
            cities: ["New York", "Los Angeles", "Austin", "Chicago", "Honolulu"],
            customerStates: ["NY", "NY", "CA", "CA", "TX", "WA", "OR"]),
        Country(
            code: "GB", currency: "GBP", digits: 2, scale: 80, locales: ["en_GB"], timeZones: ["Europe/London"],
            cities: ["London", "Manchester", "Edinburgh"], customerStates: nil),
        Country(
            code: "DE", currency: "EUR", digits: 2, scale: 92, locales: ["de_DE", "en_DE"],
            timeZones: ["Europe/Berlin"], cities: ["Berlin", "München", "Köln", "Hamburg"], customerStates: nil),
        Country(
            code: "FR", currency: "EUR", digits: 2, scale: 92, locales: ["fr_FR"], timeZones: ["Europe/Paris"],
            cities: ["Paris", "Lyon", "Marseille"], customerStates: nil),
        Country(
            code: "NL", currency: "EUR", digits: 2, scale: 92, locales: ["nl_NL", "en_NL"],
            timeZones: ["Europe/Amsterdam"], cities: ["Amsterdam", "Rotterdam", "Utrecht"], customerStates: nil),
        Country(
            code: "CH", currency: "CHF", digits: 2, scale: 90, locales: ["de_CH", "fr_CH", "en_CH"],
            timeZones: ["Europe/Zurich"], cities: ["Zürich", "Genève", "Basel"], customerStates: nil),
        Country(
            code: "SE", currency: "SEK", digits: 2, scale: 1050, locales: ["sv_SE", "en_SE"],
            timeZones: ["Europe/Stockholm"], cities: ["Stockholm", "Göteborg", "Malmö"], customerStates: nil),
        Country(
            code: "JP", currency: "JPY", digits: 0, scale: 150, locales: ["ja_JP"], timeZones: ["Asia/Tokyo"],
            cities: ["東京", "大阪", "Kyoto"], customerStates: nil),
        Country(
            code: "IN", currency: "INR", digits: 2, scale: 8300, locales: ["en_IN"], timeZones: ["Asia/Kolkata"],
            cities: ["Mumbai", "Bengaluru", "दिल्ली"], customerStates: ["MH", "MH", "KA", "DL", "TN"]),
        Country(
            code: "MX", currency: "MXN", digits: 2, scale: 1700, locales: ["es_MX"],
            timeZones: ["America/Mexico_City", "America/Monterrey", "America/Cancun", "America/Tijuana"],
            cities: ["Ciudad de México", "Monterrey", "Guadalajara"], customerStates: nil),
    ]
}
