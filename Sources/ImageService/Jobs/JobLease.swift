/// A replica's hold on a job: who (`owner`, the replica id) and for how long from now.
public struct JobLease: Sendable, Equatable {
    public var owner: String
    public var duration: Duration

    public init(owner: String, duration: Duration) {
        self.owner = owner
        self.duration = duration
    }
}
