@testable import ImageService

extension InsertOutcome {
    struct NotCreated: Error {}

    /// The stored record, or a thrown error when the upload was not stored as a new job.
    func created() throws -> JobRecord {
        guard case .created(let record) = self else { throw NotCreated() }
        return record
    }
}
