import Foundation

/// One run of a job by one replica: the key that a result write must match, so that only the current attempt
/// writes and writing twice changes nothing.
public struct JobAttempt: Sendable, Equatable {
    public var id: UUID
    public var owner: String
    public var number: Int

    public init(id: UUID, owner: String, number: Int) {
        self.id = id
        self.owner = owner
        self.number = number
    }
}
