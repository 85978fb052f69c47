import Foundation
import ShadowCore

/// A comparison as it travels on the comparisons topic (`shadow.comparisons`) from the instance
/// that made it to every instance's store: JSON, version 1, keyed by event id.
///
/// ```json
/// {"v": 1, "instance": "a", "event_id": "…", "country": "DE", "business_line": "eats",
///  "event_type": "order_completed", "kind": "match", "signature": {…}, "primary": "legacy",
///  "legacy": {"outcome": {…}, "latency_ns": 812000, "wait_ns": 0}, "swift": {…} or absent,
///  "differences": […], "ignored": […], "noise_paths": […], "html_diff": […],
///  "event": "<base64>" (only for a comparison that keeps a discrepancy), "event_hash": "…",
///  "recorded_ms": 1764763200000, "legacy_version": "…", "port_version": "…" (the instance's)}
/// ```
///
/// A match carries neither the event nor its invoices (the store keeps neither for it), so most
/// messages are a few hundred bytes.
public enum ComparisonMessage {
    /// The format's version; a reader refuses others by name.
    public static let version = 1

    /// `record` as a message (the bytes it does not store dropped first).
    public static func encode(_ record: ShadowStore.Record) throws -> [UInt8] {
        let slim = record.withoutUnwrittenBytes()
        let comparison = slim.comparison
        let wire = Wire(
            v: version, instance: slim.instance, eventID: comparison.facts.eventID, country: comparison.facts.country,
            businessLine: comparison.facts.businessLine, eventType: comparison.facts.eventType, kind: comparison.kind,
            signature: comparison.signature, primary: slim.primary, legacy: Side(comparison.legacy),
            swift: comparison.swift.map(Side.init), differences: comparison.differences, ignored: comparison.ignored,
            noisePaths: comparison.noisePaths, htmlDiff: comparison.htmlDiff,
            event: slim.keepsDiscrepancy ? Data(slim.event) : nil,
            eventHash: slim.eventHash ?? StableHash.fnv1aHex(slim.event), recordedMs: milliseconds(slim.recordedAt),
            legacyVersion: slim.versions?.legacy, portVersion: slim.versions?.port)
        return Array(try JSONEncoder().encode(wire))
    }

    /// The record a message carries.
    /// - Throws: ``ShadowStoreError`` with `.unreadableRow` naming what did not decode.
    public static func decode(_ bytes: [UInt8]) throws -> ShadowStore.Record {
        let wire: Wire
        do {
            wire = try JSONDecoder().decode(Wire.self, from: Data(bytes))
        } catch {
            throw ShadowStoreError(.unreadableRow, "a comparison message does not decode: \(error)")
        }
        guard wire.v == version else {
            throw ShadowStoreError(
                .unreadableRow, "a comparison message has version \(wire.v); this build reads version \(version)")
        }
        let comparison = Comparison(
            facts: EventFacts(
                eventID: wire.eventID, country: wire.country, businessLine: wire.businessLine,
                eventType: wire.eventType),
            kind: wire.kind, signature: wire.signature, legacy: wire.legacy.result, swift: wire.swift?.result,
            differences: wire.differences, ignored: wire.ignored, noisePaths: wire.noisePaths, htmlDiff: wire.htmlDiff)
        var record = ShadowStore.Record(
            comparison: comparison, event: wire.event.map { Array($0) } ?? [], primary: wire.primary,
            recordedAt: Date(timeIntervalSince1970: Double(wire.recordedMs) / 1000), eventHash: wire.eventHash,
            instance: wire.instance)
        if let legacy = wire.legacyVersion, let port = wire.portVersion {
            record.versions = ShadowStore.Versions(legacy: legacy, port: port)
        }
        return record
    }

    private struct Wire: Codable {
        var v: Int
        var instance: String?
        var eventID: String
        var country: String
        var businessLine: String
        var eventType: String
        var kind: DiscrepancyKind
        var signature: Signature
        var primary: Implementation
        var legacy: Side
        var swift: Side?
        var differences: [JSONDifference]
        var ignored: [JSONDifference]
        var noisePaths: [String]
        var htmlDiff: [String]
        var event: Data?
        var eventHash: String
        var recordedMs: Int64
        // Optional in version 1: older instances did not send them.
        var legacyVersion: String?
        var portVersion: String?

        enum CodingKeys: String, CodingKey {
            case v, instance, country, kind, signature, primary, legacy, swift, differences, ignored, event
            case eventID = "event_id"
            case businessLine = "business_line"
            case eventType = "event_type"
            case noisePaths = "noise_paths"
            case htmlDiff = "html_diff"
            case eventHash = "event_hash"
            case recordedMs = "recorded_ms"
            case legacyVersion = "legacy_version"
            case portVersion = "port_version"
        }
    }

    private struct Side: Codable {
        var outcome: Outcome
        var latencyNs: Int64
        var waitNs: Int64

        enum CodingKeys: String, CodingKey {
            case outcome
            case latencyNs = "latency_ns"
            case waitNs = "wait_ns"
        }

        init(_ side: SideResult) {
            outcome = Outcome(side.outcome)
            latencyNs = Self.nanoseconds(side.latency)
            waitNs = Self.nanoseconds(side.waitBehindOtherEvents)
        }

        var result: SideResult {
            SideResult(
                outcome: outcome.outcome, latency: .nanoseconds(latencyNs), waitBehindOtherEvents: .nanoseconds(waitNs))
        }

        private static func nanoseconds(_ duration: Duration) -> Int64 {
            let (seconds, attoseconds) = duration.components
            return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        }
    }

    private enum Outcome: Codable {
        case rendered(invoice: String, html: String)
        case invalid(field: String, reason: String)
        case failed(RenderFailure)
        case timeout

        init(_ outcome: RenderOutcome) {
            switch outcome {
            case .rendered(let invoice): self = .rendered(invoice: invoice.invoiceJSON, html: invoice.html)
            case .invalidEvent(let field, let reason): self = .invalid(field: field, reason: reason)
            case .failed(let failure): self = .failed(failure)
            case .timedOut: self = .timeout
            }
        }

        var outcome: RenderOutcome {
            switch self {
            case .rendered(let invoice, let html): .rendered(RenderedInvoice(invoiceJSON: invoice, html: html))
            case .invalid(let field, let reason): .invalidEvent(field: field, reason: reason)
            case .failed(let failure): .failed(failure)
            case .timeout: .timedOut
            }
        }
    }
}
