/// The engine's identity, reported by workers so results can be traced to a build.
public enum EngineInfo {
    public static let version = "0.1.0"
}
