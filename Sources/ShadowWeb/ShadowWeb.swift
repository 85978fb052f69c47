/// The dashboard, flags API and metrics land with the dashboard issue.
public enum ShadowWebInfo {
    /// The default listen address.
    public static let defaultAddress = "127.0.0.1:8080"
}
