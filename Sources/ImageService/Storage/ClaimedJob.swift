/// A job a sweep took, and whether it was taken from a replica whose lease had run out.
public struct ClaimedJob: Sendable {
    public var job: PendingJob
    public var wasAbandoned: Bool
}
