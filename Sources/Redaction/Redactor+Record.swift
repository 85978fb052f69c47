import ShadowCore
import ShadowStore

extension Redactor {
    /// `record` as the harness may keep and show it: for a record that keeps its details (a
    /// discrepancy), the event redacted and every trace of its personal values in both outcomes, the
    /// differences and the HTML diff replaced by their tokens. A record at parity keeps neither event
    /// nor invoices, and is returned as it is.
    public func redact(_ record: ShadowStore.Record) -> ShadowStore.Record {
        guard record.keepsDiscrepancy else { return record }
        var record = record
        // The duplicate check keys on the original bytes' hash: computed before they go.
        if record.eventHash == nil { record.eventHash = StableHash.fnv1aHex(record.event) }
        let redacted = redact(event: record.event)
        record.event = redacted.bytes
        record.comparison = trace(record.comparison, redacted.replacements)
        return record
    }
}
