/// What became of an upload: stored, or an earlier upload with the same idempotency key.
public enum InsertOutcome: Sendable, Equatable {
    case created(JobRecord)
    /// The key was used within 24 hours for the same bytes and parameters: this is that job.
    case existing(JobRecord)
    /// The key was used within 24 hours for a different upload.
    case keyReused
}
