/// The SQLite store lands with the shadow core and replay issue.
public enum ShadowStoreSchema {
    /// The schema version this build writes.
    public static let version = 0
}
