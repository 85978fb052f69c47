import Foundation

/// Proleptic Gregorian dates and the event's local date, without Calendar's overhead.
enum CivilCalendar {
    static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysIn(year: Int, month: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 (Howard Hinnant's days_from_civil).
    static func days(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let monthIndex = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * monthIndex + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func secondsSinceEpoch(year: Int, month: Int, day: Int) -> Int64 {
        days(year: year, month: month, day: day) * 86_400
    }

    /// The civil date of a day count from 1970-01-01.
    static func date(days: Int64) -> MoneyEvent.LocalDate {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * monthIndex + 2) / 5 + 1)
        let month = Int(monthIndex < 10 ? monthIndex + 3 : monthIndex - 9)
        let year = Int(yearOfEra + era * 400) + (month <= 2 ? 1 : 0)
        return MoneyEvent.LocalDate(year: year, month: month, day: day)
    }

    /// Zones are looked up once: `TimeZone(identifier:)` reads the system's tzdata, as the legacy's zoneinfo does.
    private static let zones: [String: TimeZone] = {
        var zones: [String: TimeZone] = [:]
        for rules in CountryRules.all.values {
            for identifier in rules.timeZones { zones[identifier] = TimeZone(identifier: identifier) }
        }
        return zones
    }()

    /// The local date of a UTC instant in a zone of the country table.
    static func localDate(secondsSinceEpoch seconds: Int64, zone identifier: String) -> MoneyEvent.LocalDate {
        let offset = zones[identifier]?.secondsFromGMT(for: Date(timeIntervalSince1970: Double(seconds))) ?? 0
        let local = seconds + Int64(offset)
        return date(days: local >= 0 ? local / 86_400 : (local - 86_399) / 86_400)
    }
}
