extension ServeEngine {
    /// One event's primary path, from consumed to its result published (acknowledged by the broker).
    public struct PrimaryTiming: Sendable {
        /// Consumed → published.
        public var total: Duration
        /// The primary render's own work.
        public var render: Duration
        /// Time the render waited for the legacy's one Python thread to finish other events (the
        /// legacy alone would have made it wait as long).
        public var waitBehindOtherEvents: Duration
        /// What the harness added: ``total`` minus ``render`` and ``waitBehindOtherEvents``.
        public var added: Duration { max(.zero, total - render - waitBehindOtherEvents) }

        /// Where ``total`` went, stage by stage (they add up to it but for a few clock reads):
        /// consumed → the primary render asked for (decoding, the duplicate check, scheduling).
        public var beforeRender: Duration = .zero
        /// The render asked for → its result back (the render, the wait behind other events, and
        /// the hand-off to and from the Python thread).
        public var renderCall: Duration = .zero
        /// The HTML and the invoice index written to the object store (zero for a dead letter).
        public var objectStore: Duration = .zero
        /// The invoice (or the dead letter) sent → acknowledged by the broker.
        public var kafka: Duration = .zero
        /// Port-primary events, rendered in batches: the time this event waited for the others of
        /// its batch (their renders and dead letters before its own store and send, and theirs
        /// after). Zero for a legacy-primary event.
        public var batchWait: Duration = .zero
        /// ``renderCall`` less the render itself and ``waitBehindOtherEvents``: the hand-off.
        public var renderHandOff: Duration { max(.zero, renderCall - render - waitBehindOtherEvents) }
    }

}
