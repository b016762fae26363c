/// Where a job is in its life. `completed` and `failed` are terminal.
public enum JobStatus: String, Sendable, Codable, CaseIterable {
    case queued
    case processing
    case completed
    case failed

    public var isTerminal: Bool { self == .completed || self == .failed }
}
