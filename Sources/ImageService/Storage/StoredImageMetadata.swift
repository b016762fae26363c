/// What a download needs to know before it reads any image bytes: the job, and the image of the kind asked for if
/// it is there.
public struct StoredImageMetadata: Sendable, Equatable {
    /// The job, as ``JobStore/find(id:)`` reads it (no bytes).
    public var job: JobRecord
    public var kind: ImageKind

    public init(job: JobRecord, kind: ImageKind) {
        self.job = job
        self.kind = kind
    }

    /// Format, size and byte count of the image: always for the original, once `completed` for the result; nil
    /// means not there (yet).
    public var image: ImageSummary? {
        switch kind {
        case .original: job.original
        case .processed: job.status == .completed ? job.processed : nil
        }
    }
}
