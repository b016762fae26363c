/// The unfinished part of the table, for gauges and back-pressure.
public struct BacklogStatistics: Sendable, Equatable {
    public var queued: Int
    public var processing: Int
    /// Seconds since the oldest queued job was uploaded; 0 when none waits.
    public var oldestQueuedAge: Double
}
