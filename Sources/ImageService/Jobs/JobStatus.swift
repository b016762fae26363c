/// Where a job is in its life; ``JobTransition`` says how it moves. `completed` and `failed` are terminal.
public enum JobStatus: String, Sendable, Codable, CaseIterable {
    case queued
    case processing
    case completed
    case failed

    public var isTerminal: Bool { JobStatus.terminal.contains(self) }
}
