/// The wire protocol version carried by every message; peers with another version are refused.
public enum ProtocolVersion {
    public static let current = 1
}
