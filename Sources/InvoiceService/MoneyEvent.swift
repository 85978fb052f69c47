/// One validated Money-System event: the port's counterpart of the legacy's `entities.MoneyEvent`.
struct MoneyEvent: Sendable {
    struct Customer: Sendable {
        var id: String
        var name: String
        var email: String
        var taxID: String?
        var state: String?
    }

    struct Provider: Sendable {
        var id: String
        var legalName: String
        var taxID: String?
        var state: String?
    }

    struct Trip: Sendable {
        var distanceKm: DecimalAmount
        var durationMin: Int
        var pickup: String
        var dropoff: String
    }

    struct Item: Sendable {
        var name: String
        var quantity: Int
        var unitPrice: DecimalAmount
        var category: String
    }

    struct Order: Sendable {
        var restaurant: String
        var items: [Item]
    }

    struct Charge: Sendable {
        var kind: String
        var amount: DecimalAmount
    }

    struct Refund: Sendable {
        var originalInvoiceSeq: Int64
        var reason: String
    }

    struct LocalDate: Equatable, Comparable, Sendable {
        var year: Int
        var month: Int
        var day: Int

        static func < (left: LocalDate, right: LocalDate) -> Bool {
            (left.year, left.month, left.day) < (right.year, right.month, right.day)
        }
    }

    var eventID: String
    var eventType: String
    /// Seconds since 1970 (UTC).
    var occurredAt: Int64
    var country: String
    var city: String
    var timeZone: String
    var locale: String
    var businessLine: String
    var currency: String
    var invoiceSeq: Int64
    var customer: Customer
    var provider: Provider
    var trip: Trip?
    var order: Order?
    var charges: [Charge]
    var refund: Refund?

    var isRefund: Bool { eventType == "refund_issued" }
}
